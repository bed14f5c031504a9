-- The workspace's own history: renames, topic and purpose changes, archives, joins and leaves,
-- pins and integrations, as Slack posted them (channel_name, channel_topic, pinned_item, ...
-- messages). message_metadata already holds who and when; this holds what changed, so "what was
-- #tutorials called before?" is one indexed read. A row lives and dies with its message.
CREATE TABLE channel_events (
    workspace_id text NOT NULL,
    message_id   text NOT NULL,
    channel_id   text NOT NULL,
    kind         text NOT NULL,
    user_id      text,
    created_at   timestamptz NOT NULL,
    old_value    text,
    new_value    text,
    item_ts      text,
    PRIMARY KEY (workspace_id, message_id),
    FOREIGN KEY (workspace_id, message_id) REFERENCES message_metadata ON DELETE CASCADE
);
CREATE INDEX channel_events_by_channel ON channel_events (workspace_id, channel_id, created_at);

ALTER TABLE channel_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_events FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON channel_events
    USING (workspace_id = current_setting('app.current_workspace', true))
    WITH CHECK (workspace_id = current_setting('app.current_workspace', true));
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY operator_all ON channel_events TO %I USING (true) WITH CHECK (true)',
        current_user);
END
$$;
