-- Tenant isolation. Every tenant table is visible only for the workspace named by the
-- transaction-local setting app.current_workspace; with none set, nothing is visible.
-- FORCE makes the rule hold for the table owner too. The owner (the role that ran the migrations:
-- the operator, used for migrations and cross-workspace status) is given its own explicit policy;
-- the application's role is never the owner, so the tenant policy is all it gets.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'workspaces', 'users', 'channels', 'message_metadata', 'reactions', 'links', 'files',
        'bookmarks', 'thread_participants', 'sync_status', 'processing_queue', 'bot_config',
        'installations'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY workspace_isolation ON %I '
            'USING (workspace_id = current_setting(''app.current_workspace'', true)) '
            'WITH CHECK (workspace_id = current_setting(''app.current_workspace'', true))', t);
        EXECUTE format(
            'CREATE POLICY operator_all ON %I TO %I USING (true) WITH CHECK (true)',
            t, current_user);
    END LOOP;
END
$$;
