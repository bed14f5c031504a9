-- Slack delivers events at least once. Each applied event's id is recorded in the same
-- transaction as its changes, so a redelivery (same event_id) is recognised and changes nothing.
CREATE TABLE processed_events (
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    event_id     text NOT NULL,
    event_type   text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, event_id)
);
CREATE INDEX processed_events_time_idx ON processed_events (workspace_id, processed_at);

ALTER TABLE processed_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE processed_events FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON processed_events
    USING (workspace_id = current_setting('app.current_workspace', true))
    WITH CHECK (workspace_id = current_setting('app.current_workspace', true));
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY operator_all ON processed_events TO %I USING (true) WITH CHECK (true)',
        current_user);
END
$$;

-- Pins arrive as pin_added / pin_removed events; kept on the message.
ALTER TABLE message_metadata ADD COLUMN is_pinned boolean NOT NULL DEFAULT false;
