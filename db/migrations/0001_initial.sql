-- The 13 tables of the seed note. Every table carries workspace_id and is isolated by row-level
-- security (see 0002). Message identity is '{workspace_id}:{channel_id}:{ts}': Slack's ts is
-- unique only within a channel.

CREATE TABLE workspaces (
    workspace_id text PRIMARY KEY CHECK (workspace_id ~ '^[A-Za-z0-9][A-Za-z0-9_-]*$'),
    name         text NOT NULL,
    domain       text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workspaces_name_key ON workspaces (lower(name));

CREATE TABLE users (
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    user_id      text NOT NULL,
    name         text,
    real_name    text,
    display_name text,
    email        text,
    title        text,
    tz           text,
    is_bot       boolean NOT NULL DEFAULT false,
    is_admin     boolean NOT NULL DEFAULT false,
    is_deleted   boolean NOT NULL DEFAULT false,
    -- false for users known only from a message (an export without users.json)
    has_profile  boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX users_name_idx ON users (workspace_id, lower(name));

CREATE TABLE channels (
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    channel_id   text NOT NULL,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('public', 'private', 'im', 'mpim')),
    topic        text,
    purpose      text,
    creator_id   text,
    is_archived  boolean NOT NULL DEFAULT false,
    member_ids   text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, channel_id)
);
CREATE INDEX channels_name_idx ON channels (workspace_id, lower(name));

CREATE TABLE message_metadata (
    workspace_id  text NOT NULL,
    message_id    text NOT NULL,
    channel_id    text NOT NULL,
    ts            text NOT NULL,
    user_id       text,
    bot_id        text,
    created_at    timestamptz NOT NULL,
    thread_ts     text,
    subtype       text,
    -- message | thread_reply | bot_message | file_share | ... : what kind of thing was said
    message_type  text NOT NULL,
    -- false for membership and settings events (channel_join, channel_topic, ...): not embedded
    is_content    boolean NOT NULL,
    reply_count   integer NOT NULL DEFAULT 0,
    latest_reply  text,
    reaction_count integer NOT NULL DEFAULT 0,
    has_files     boolean NOT NULL DEFAULT false,
    has_links     boolean NOT NULL DEFAULT false,
    edited_at     timestamptz,
    -- hash of the document + metadata that Chroma must hold, and of what it does hold
    content_hash  text,
    indexed_hash  text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, message_id),
    UNIQUE (workspace_id, channel_id, ts),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels ON DELETE CASCADE,
    CHECK (message_id = workspace_id || ':' || channel_id || ':' || ts)
);
CREATE INDEX message_channel_time_idx ON message_metadata (workspace_id, channel_id, created_at);
CREATE INDEX message_user_time_idx ON message_metadata (workspace_id, user_id, created_at);
CREATE INDEX message_time_idx ON message_metadata (workspace_id, created_at);
CREATE INDEX message_thread_idx ON message_metadata (workspace_id, channel_id, thread_ts)
    WHERE thread_ts IS NOT NULL;

CREATE TABLE reactions (
    workspace_id text NOT NULL,
    message_id   text NOT NULL,
    emoji        text NOT NULL,
    user_id      text NOT NULL,
    PRIMARY KEY (workspace_id, message_id, emoji, user_id),
    FOREIGN KEY (workspace_id, message_id) REFERENCES message_metadata ON DELETE CASCADE
);
CREATE INDEX reactions_user_idx ON reactions (workspace_id, user_id);
CREATE INDEX reactions_emoji_idx ON reactions (workspace_id, emoji);

CREATE TABLE links (
    workspace_id text NOT NULL,
    message_id   text NOT NULL,
    url          text NOT NULL,
    link_type    text NOT NULL
        CHECK (link_type IN ('github_pr', 'github_issue', 'jira', 'google_doc', 'other')),
    domain       text,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, message_id, url),
    FOREIGN KEY (workspace_id, message_id) REFERENCES message_metadata ON DELETE CASCADE
);
CREATE INDEX links_type_time_idx ON links (workspace_id, link_type, created_at);

CREATE TABLE files (
    workspace_id text NOT NULL,
    message_id   text NOT NULL,
    file_id      text NOT NULL,
    user_id      text,
    name         text,
    title        text,
    mimetype     text,
    filetype     text,
    size_bytes   bigint,
    permalink    text,
    created_at   timestamptz,
    PRIMARY KEY (workspace_id, message_id, file_id),
    FOREIGN KEY (workspace_id, message_id) REFERENCES message_metadata ON DELETE CASCADE
);
CREATE INDEX files_file_idx ON files (workspace_id, file_id);

CREATE TABLE bookmarks (
    workspace_id text NOT NULL,
    bookmark_id  text NOT NULL,
    channel_id   text NOT NULL,
    title        text,
    link         text,
    emoji        text,
    created_by   text,
    created_at   timestamptz,
    PRIMARY KEY (workspace_id, bookmark_id),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels ON DELETE CASCADE
);

CREATE TABLE thread_participants (
    workspace_id  text NOT NULL,
    channel_id    text NOT NULL,
    thread_ts     text NOT NULL,
    user_id       text NOT NULL,
    message_count integer NOT NULL,
    first_at      timestamptz NOT NULL,
    last_at       timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, channel_id, thread_ts, user_id),
    FOREIGN KEY (workspace_id, channel_id) REFERENCES channels ON DELETE CASCADE
);
CREATE INDEX thread_participants_user_idx ON thread_participants (workspace_id, user_id);

-- Progress of each source over each scope (an export day file, a channel's history, ...), so an
-- interrupted run continues where it stopped.
CREATE TABLE sync_status (
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    source       text NOT NULL,
    scope        text NOT NULL,
    status       text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    checkpoint   text,
    cursor       text,
    oldest_ts    text,
    newest_ts    text,
    items        integer NOT NULL DEFAULT 0,
    error        text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, source, scope)
);

-- The outbox: written in the same transaction as the metadata, drained into Chroma.
CREATE TABLE processing_queue (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    message_id   text NOT NULL,
    op           text NOT NULL CHECK (op IN ('upsert', 'delete')),
    payload      jsonb,
    content_hash text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    available_at timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- At most one pending item per message: a newer write replaces the older payload.
CREATE UNIQUE INDEX processing_queue_pending_key ON processing_queue (workspace_id, message_id)
    WHERE status = 'pending';
CREATE INDEX processing_queue_ready_idx ON processing_queue (workspace_id, available_at, id)
    WHERE status = 'pending';

CREATE TABLE bot_config (
    workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    key          text NOT NULL,
    value        jsonb NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE installations (
    workspace_id    text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
    installation_id text NOT NULL,
    enterprise_id   text,
    app_id          text,
    bot_id          text,
    bot_user_id     text,
    bot_token       text,
    bot_scopes      text[] NOT NULL DEFAULT '{}',
    installer_user_id text,
    installed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, installation_id)
);
