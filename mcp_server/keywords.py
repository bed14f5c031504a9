"""The keyword side of hybrid search: exact terms looked up in PostgreSQL's full-text index.

The index lives in PostgreSQL (`message_terms`, written with the metadata in one transaction),
not in Chroma's document search: Chroma's `$contains` scans every document, ~0.45 s per term
at a million messages, while a GIN lookup costs milliseconds and joins the channel, people and
time filters in the same statement. Words are matched as whole tokens (see migration 0006), so
'502' finds '502s' and 'HTTP/502' but not '15020'.
"""

import re

import psycopg

from mcp_server.filters import Filters

_STOPWORDS = frozenset(
    "what when where which who why how did does the this that there slack".split()
)
_EXACT = re.compile(r"[A-Za-z]*\d[\w.-]*|[A-Z][A-Z0-9_-]{1,}|\w+[-_.]\w[\w.-]*")
_NAME = re.compile(r"(?<=\s)[A-Z][A-Za-z]{2,}\b")  # Globex, GitHub, PyData: whole words
_WORD = re.compile(r"[^\W_]")


def keyword_terms(query: str, limit: int = 4) -> list[str]:
    """Terms worth matching literally: quoted phrases, tokens with digits or in capitals (PR 1234,
    ERR_42, v2.14, WEB-311) and capitalised names after the first word (Globex, GitHub).

    Plain words are left to the vector side: matched literally, common ones ("deploy") would
    outvote meaning.
    """
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    exact = [t.rstrip(".,;:?!") for t in _EXACT.findall(rest)]
    names = [w for w in _NAME.findall(rest) if w.lower() not in _STOPWORDS]
    terms = [t for t in dict.fromkeys(phrases + exact + names) if _WORD.search(t)]
    return terms[:limit]


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
