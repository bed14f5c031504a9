-- The Slack bot: answers it gave (with their citations) and the feedback on them, installs
-- with encrypted tokens, and app-internal state that belongs to no workspace.

CREATE TABLE bot_answers (
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    answer_id    text NOT NULL,
    channel_id   text NOT NULL,
    thread_ts    text NOT NULL,
    user_id      text,
    question     text NOT NULL,
    answer       text NOT NULL,
    citations    jsonb NOT NULL DEFAULT '[]',
    mode         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, answer_id)
);
CREATE INDEX bot_answers_thread_idx ON bot_answers (workspace_id, channel_id, thread_ts);

CREATE TABLE bot_feedback (
    workspace_id text NOT NULL,
    answer_id    text NOT NULL,
    user_id      text NOT NULL,
    vote         smallint NOT NULL CHECK (vote IN (-1, 1)),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, answer_id, user_id),
    FOREIGN KEY (workspace_id, answer_id) REFERENCES bot_answers ON DELETE CASCADE
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['bot_answers', 'bot_feedback'] LOOP
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

-- Tokens are stored encrypted (Fernet, key from settings); `data` keeps the rest of Bolt's
-- Installation (ids, scopes, names), nothing secret.
ALTER TABLE installations RENAME COLUMN bot_token TO bot_token_encrypted;
ALTER TABLE installations ADD COLUMN user_token_encrypted text;
ALTER TABLE installations ADD COLUMN data jsonb NOT NULL DEFAULT '{}';

-- State of no workspace: OAuth `state` values in flight, and the agent's thread memory
-- (LangGraph's checkpoint tables, created there by the bot at start).
CREATE SCHEMA app_internal;
CREATE TABLE app_internal.oauth_states (
    state      text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
