"""Exact terms looked up in PostgreSQL's full-text index (the keyword side of hybrid search).

The index lives in PostgreSQL (`message_terms`, written with the metadata in one transaction),
not in Chroma's document search: Chroma's `$contains` scans every document, ~0.45 s per term
at a million messages, while a GIN lookup costs milliseconds and joins the channel, people and
time filters in the same statement. Words are matched as whole tokens (see migration 0006), so
'502' finds '502s' and 'HTTP/502' but not '15020'.
"""

import psycopg

from db.filters import Filters


def term_counts(conn: psycopg.Connection, terms: list[str], cap: int) -> list[int]:
    """How many of the workspace's content messages hold each term, counted up to `cap` (a
    common term's count is only needed to know it is common)."""
    return _bounded_counts(conn, [("search_phrase", term) for term in terms], cap)


def word_counts(conn: psycopg.Connection, words: list[str], cap: int) -> dict[str, int]:
    """How many content messages of the workspace hold each word (lowercase letters and
    digits) in any form, counted up to `cap`: a message holds it when one of its indexed words
    starts with the word's Snowball English stem ("gets" is known from "get", "announced"
    from "announcement", "companies" from "company"); a word with digits, which the index
    holds split ("ggplot2" as the phrase ggplot 2), is looked up as that phrase. 0 means no
    message ever mentions it."""
    words = [w for w in dict.fromkeys(words) if w.isalnum() and w.isascii()]
    if not words:
        return {}
    row = conn.execute(
        "SELECT array_agg(coalesce((ts_lexize('english_stem', w))[1], w) ORDER BY n) "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS u(w, n)",
        [words],
    ).fetchone()
    stems = row[0] if row else words
    queries = [
        ("search_phrase", w) if not w.isalpha() else ("prefix", _prefixes(stem))
        for w, stem in zip(words, stems, strict=True)
    ]
    return dict(zip(words, _bounded_counts(conn, queries, cap), strict=True))


def _prefixes(stem: str) -> str:
    """A stem's forms as index prefixes (the index holds words unstemmed). Snowball turns a
    final y into i ("company" and "companies" are "compani"), so such a stem is also looked up
    with its y ("company", "shiny" in "shinyapps")."""
    return f"{stem}:* | {stem[:-1]}y:*" if stem.endswith("i") else f"{stem}:*"


# Each query is a constant the full-text index answers: a bounded count, so the planner reads
# the index (an EXISTS is planned as a scan that hopes to stop early, the worst plan exactly
# when nothing matches).
_QUERY_FORMS = {
    "search_phrase": "search_phrase(%({name})s)",
    "prefix": "to_tsquery('simple', %({name})s)",
}
_COUNT_BOUND = 100  # rows the planner expects to read at least, so that it uses the index


def _bounded_counts(
    conn: psycopg.Connection, queries: list[tuple[str, str]], cap: int
) -> list[int]:
    """For each (form, value) query, how many content messages match, counted up to `cap`."""
    if not queries:
        return []
    counts = ", ".join(
        f"(SELECT least(count(*), %(cap)s) FROM (SELECT 1 FROM workspace_terms t "
        f"WHERE t.terms @@ {_QUERY_FORMS[form].format(name=f'term{i}')} "
        f"LIMIT greatest(%(cap)s, {_COUNT_BOUND})) AS c{i})"
        for i, (form, _) in enumerate(queries)
    )
    params = {**_term_params([value for _, value in queries]), "cap": cap}
    row = conn.execute(f"SELECT {counts}", params).fetchone()
    return list(row) if row else [0] * len(queries)


def keyword_matches(
    conn: psycopg.Connection,
    terms: list[str],
    weights: list[float],
    filters: Filters,
    depth: int,
) -> dict[str, float]:
    """The content messages holding any of `terms` (each as a phrase) within the filters,
    scored by the summed weights of the terms each holds: best first, then newest. `conn` is
    scoped to the workspace."""
    if not terms:
        return {}
    return {r[0]: float(r[1]) for r in conn.execute(*keyword_query(terms, weights, filters, depth))}


def keyword_query(
    terms: list[str], weights: list[float], filters: Filters, depth: int
) -> tuple[str, dict]:
    """The statement `keyword_matches` runs, and its parameters.

    It reads `workspace_terms`, not `message_terms`, and finds the matches before joining them
    with the metadata: under row-level security the planner may not use the full-text index
    otherwise, and scans every message's words instead (120 ms at a million; migration 0007).
    """
    condition, params = filters.sql_condition("m")
    statement = f"""WITH hits AS MATERIALIZED (
            SELECT message_id, {_score(len(terms))} AS score FROM workspace_terms t
            WHERE t.terms @@ ({_any_term(len(terms))}))
        SELECT h.message_id, h.score FROM hits h
        JOIN message_metadata m ON m.message_id = h.message_id
        WHERE {condition}
        ORDER BY h.score DESC, m.created_at DESC, h.message_id
        LIMIT %(depth)s"""
    return statement, {**params, **_scored_params(terms, weights), "depth": depth}


def keyword_scores(
    conn: psycopg.Connection, terms: list[str], weights: list[float], message_ids: list[str]
) -> dict[str, float]:
    """The same score for chosen messages (the vector side's candidates, which a common
    term's `keyword_matches` may have cut off at its depth): those holding any term."""
    if not terms or not message_ids:
        return {}
    statement = f"""SELECT message_id, {_score(len(terms))} FROM workspace_terms t
        WHERE message_id = ANY(%(ids)s) AND t.terms @@ ({_any_term(len(terms))})"""
    rows = conn.execute(statement, {**_scored_params(terms, weights), "ids": message_ids})
    return {r[0]: float(r[1]) for r in rows}


def _any_term(count: int) -> str:
    """Whether a message holds any of the terms."""
    return " || ".join(f"search_phrase(%(term{i})s)" for i in range(count))


def _score(count: int) -> str:
    """A message's score: the summed weights of the terms it holds."""
    return " + ".join(
        f"(t.terms @@ search_phrase(%(term{i})s))::int * %(weight{i})s::float8"
        for i in range(count)
    )


def _scored_params(terms: list[str], weights: list[float]) -> dict[str, str | float]:
    """The parameters `_score` and `_any_term` name: term0, weight0, term1, weight1, …"""
    return {**_term_params(terms), **{f"weight{i}": w for i, w in enumerate(weights)}}


def _term_params(terms: list[str]) -> dict[str, str]:
    """The query parameters term0, term1, … that the statements' search_phrase calls name."""
    return {f"term{i}": term for i, term in enumerate(terms)}
