-- The door the application searches through. A query on message_terms itself cannot use the GIN
-- index: row-level security evaluates its policy first, and the planner may not run a
-- non-leakproof operator such as @@ before it, so every search became a scan of the whole table
-- (120 ms at a million messages). This view applies the same workspace condition explicitly and
-- reads the table as its owner, whose policy is true, so @@ reaches the index. It is read-only
-- (grants, and the check option), and the analytics reader role may not read it.
CREATE VIEW workspace_terms AS
    SELECT workspace_id, message_id, terms FROM message_terms
    WHERE workspace_id = current_setting('app.current_workspace', true)
    WITH LOCAL CHECK OPTION;
