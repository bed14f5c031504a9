"""User-written SQL (already checked by mcp_server.safe_sql), run with caps on rows and bytes.

A value like `format('%300000000s', 'x')` must never be sent, so the query is wrapped: the
server measures each row and sends a row over the cap as NULLs with its size; a server-side
cursor computes rows only as they are fetched, and reading stops once the sizes add up to the
cap. The one place where SQL text arrives from outside.
"""

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as pg_sql

_BATCH = 100


class ResultTooLargeError(ValueError):
    """A single row is larger than the byte cap."""


@dataclass(frozen=True)
class CappedRows:
    """What came back; `truncated` when the row or byte cap cut it short."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def run_capped(
    conn: psycopg.Connection, query: str, params: list[Any] | None, *, row_cap: int, byte_cap: int
) -> CappedRows:
    """Run one SELECT; at most `row_cap` rows and about `byte_cap` bytes of them come back."""
    # Raw cursors: PostgreSQL's own $1 placeholders, and '%' in the SQL stays literal
    with psycopg.RawCursor(conn) as probe:
        probe.execute(_probe(query), params or None)
        columns = [c.name for c in probe.description or []]
    rows: list[tuple[Any, ...]] = []
    sent = 0
    with psycopg.RawServerCursor(conn, "user_sql") as cursor:
        cursor.execute(_measured(query, len(columns), row_cap, byte_cap), params or None)
        while len(rows) <= row_cap and (batch := cursor.fetchmany(_BATCH)):
            for *values, size in batch:
                sent += size
                if sent > byte_cap:
                    if not rows:
                        raise ResultTooLargeError(
                            f"the first row alone is over {byte_cap:,} bytes; "
                            "select fewer or shorter values"
                        )
                    return CappedRows(columns, rows, truncated=True)
                rows.append(tuple(values))
    return CappedRows(columns, rows[:row_cap], truncated=len(rows) > row_cap)


def _probe(query: str) -> bytes:
    return f"SELECT * FROM (\n{query}\n) AS q LIMIT 0".encode()


def _measured(query: str, width: int, row_cap: int, byte_cap: int) -> bytes:
    # positional aliases, because a user's columns may share a name ("?column?" twice)
    aliases = [pg_sql.Identifier(f"_sh_{i}") for i in range(width)]
    size = pg_sql.Identifier("_sh_size")
    kept = [
        pg_sql.SQL("CASE WHEN {size} <= {cap} THEN {col} END").format(
            size=size, cap=byte_cap, col=alias
        )
        for alias in aliases
    ]
    # each value's text length, not the row's text: casting a whole row quotes it character
    # by character, which for a huge value takes longer than the timeout can interrupt
    measure: pg_sql.Composable = pg_sql.SQL(" + ").join(
        [pg_sql.SQL("coalesce(octet_length({}::text), 0)").format(a) for a in aliases]
    )
    if not aliases:
        measure = pg_sql.SQL("0")
    wrapped = pg_sql.SQL(
        "SELECT {kept} FROM (SELECT q.*, {measure} AS {size} "
        # OFFSET 0 keeps the query a subquery, so each of its values is computed once
        "FROM (SELECT * FROM (\n{query}\n) AS q0 OFFSET 0) AS q{alias_list}) AS s "
        "LIMIT {limit}"
    ).format(
        kept=pg_sql.SQL(", ").join([*kept, size]),
        measure=measure,
        size=size,
        query=pg_sql.SQL(query),  # checked by safe_sql first
        alias_list=pg_sql.SQL("({})").format(pg_sql.SQL(", ").join(aliases))
        if aliases
        else pg_sql.SQL(""),
        limit=row_cap + 1,
    )
    return wrapped.as_bytes(None)
