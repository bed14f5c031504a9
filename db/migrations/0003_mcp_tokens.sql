-- Bearer tokens of the MCP HTTP transport: each maps to one workspace. Only a SHA-256 of the
-- token is stored; the token itself is shown once, when it is created.
CREATE TABLE mcp_tokens (
    token_hash   text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    label        text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_tokens_workspace_idx ON mcp_tokens (workspace_id);

ALTER TABLE mcp_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE mcp_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON mcp_tokens
    USING (workspace_id = current_setting('app.current_workspace', true))
    WITH CHECK (workspace_id = current_setting('app.current_workspace', true));
DO $$
BEGIN
    EXECUTE format('CREATE POLICY operator_all ON mcp_tokens TO %I USING (true) WITH CHECK (true)',
                   current_user);
END
$$;
