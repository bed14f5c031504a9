"""Exact terms looked up in PostgreSQL's full-text index (the keyword side of hybrid search).

The index lives in PostgreSQL (`message_terms`, written with the metadata in one transaction),
not in Chroma's document search: Chroma's `$contains` scans every document, ~0.45 s per term
at a million messages, while a GIN lookup costs milliseconds and joins the channel, people and
time filters in the same statement. Words are matched as whole tokens (see migration 0006), so
'502' finds '502s' and 'HTTP/502' but not '15020'.
"""

import psycopg

from db.filters import Filters


def keyword_matches(
    conn: psycopg.Connection, terms: list[str], filters: Filters, depth: int
) -> list[str]:
    """Ids of the content messages holding any of `terms` (each as a phrase) within the
    filters: most terms first, then newest. `conn` is scoped to the workspace."""
    if not terms:
        return []
    return [r[0] for r in conn.execute(*keyword_query(terms, filters, depth))]


def keyword_query(terms: list[str], filters: Filters, depth: int) -> tuple[str, dict]:
    """The statement `keyword_matches` runs, and its parameters.

    It reads `workspace_terms`, not `message_terms`, and finds the matches before joining them
    with the metadata: under row-level security the planner may not use the full-text index
    otherwise, and scans every message's words instead (120 ms at a million; migration 0007).
    """
    condition, params = filters.sql_condition("m")
    phrases = {f"term{i}": term for i, term in enumerate(terms)}
    any_term = " || ".join(f"search_phrase(%({name})s)" for name in phrases)
    matched = " + ".join(f"(t.terms @@ search_phrase(%({name})s))::int" for name in phrases)
    statement = f"""WITH hits AS MATERIALIZED (
            SELECT message_id, {matched} AS matched FROM workspace_terms t
            WHERE t.terms @@ ({any_term}))
        SELECT h.message_id FROM hits h
        JOIN message_metadata m ON m.message_id = h.message_id
        WHERE {condition}
        ORDER BY h.matched DESC, m.created_at DESC, h.message_id
        LIMIT %(depth)s"""
    return statement, {**params, **phrases, "depth": depth}
