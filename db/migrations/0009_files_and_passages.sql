-- Where a shared file's title and text sit in its message's text (character offsets, end
-- exclusive; NULL when the file brought no text). The text itself lives in Chroma, with the
-- message; when Slack says the file was deleted, this span is cut out of the message's text, so
-- the file's words leave search while the message stays.
ALTER TABLE files ADD COLUMN text_start integer, ADD COLUMN text_end integer;

-- How many passage records (ingest/passages.py) Chroma holds for a long message beside its own,
-- written when the vectors are: a filtered search scores those passages too by id, without a
-- Chroma metadata filter (~20 ms at 100k vectors whatever it finds).
ALTER TABLE message_metadata ADD COLUMN passages integer NOT NULL DEFAULT 0;
CREATE INDEX message_metadata_passages ON message_metadata (workspace_id, message_id)
    WHERE passages > 0;
