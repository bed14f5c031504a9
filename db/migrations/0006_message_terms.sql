-- The keyword side of hybrid search: the words of every content message as a tsvector under a
-- GIN index, so an exact term (an error code, a PR number, a name) is found by an index lookup.
-- Chroma's document search scans: ~0.45 s per term at a million messages.
-- A tsvector holds lowercased words and their positions, not the text Slack sent; the text still
-- lives only in Chroma. The words are written with the metadata in one transaction, so they never
-- disagree with it, and the analytics reader role may not read them (not in READER_TABLES).

-- One tokenisation for documents and queries: runs of letters and runs of digits, lowercased, no
-- stemming. Punctuation and letter/digit boundaries separate, so 'WEB-311', 'ERR_42' and 'v2.14'
-- are found as the phrases web 311, err 42 and v 2 14, '502' finds '502s' but not '5020', and a
-- PR URL's '/pull/1234' holds the word 1234.
CREATE FUNCTION search_words(body text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(
        regexp_replace(
            regexp_replace(body, '[\W_]+', ' ', 'g'),
            '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
        '([[:digit:]])([[:alpha:]])', '\1 \2', 'g');

CREATE FUNCTION search_document(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig, search_words(body));

CREATE FUNCTION search_phrase(term text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN phraseto_tsquery('simple'::regconfig, search_words(term));

CREATE TABLE message_terms (
    workspace_id text NOT NULL,
    message_id   text NOT NULL,
    terms        tsvector NOT NULL,
    PRIMARY KEY (workspace_id, message_id),
    FOREIGN KEY (workspace_id, message_id) REFERENCES message_metadata ON DELETE CASCADE
);
CREATE INDEX message_terms_idx ON message_terms USING gin (terms);

ALTER TABLE message_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON message_terms
    USING (workspace_id = current_setting('app.current_workspace', true))
    WITH CHECK (workspace_id = current_setting('app.current_workspace', true));
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY operator_all ON message_terms TO %I USING (true) WITH CHECK (true)',
        current_user);
END
$$;
