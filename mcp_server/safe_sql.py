"""Decide whether a SQL text is one harmless SELECT, using PostgreSQL's own parser (pglast).

An allowlist, not a denylist: only the metadata tables and a fixed set of pure functions may be
named. Anything else is refused with a message that says what to change. The database enforces
the rest again (a read-only role under row-level security, a READ ONLY transaction, a timeout).
"""

from pglast import ast, parse_sql
from pglast.parser import ParseError, scan
from pglast.visitors import Skip, Visitor

from db.migrate import READER_TABLES

QUERYABLE_TABLES = frozenset(READER_TABLES)

# The parser recurses in C: text far past these limits overflows its stack and kills the whole
# process (a 30,000-term sum does). Both are checked with the lexer, which does not recurse, and
# sit an order of magnitude below what the parser survives in a worker thread.
MAX_SQL_CHARS = 10_000
MAX_NESTING = 64
_OPENING, _CLOSING = frozenset({"ASCII_40", "ASCII_91"}), frozenset({"ASCII_41", "ASCII_93"})

# Pure functions: aggregates, date/time, string, math, arrays, conditionals. Nothing that sleeps,
# reads files or settings, touches large objects, or reaches other servers.
ALLOWED_FUNCTIONS = frozenset(
    {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "array_agg",
        "string_agg",
        "bool_and",
        "bool_or",
        "every",
        "percentile_cont",
        "percentile_disc",
        "mode",
        "stddev",
        "variance",
        "row_number",
        "rank",
        "dense_rank",
        "ntile",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "now",
        "date_trunc",
        "date_part",
        "extract",
        "age",
        "make_interval",
        "to_timestamp",
        "to_char",
        "to_date",
        "timezone",
        "date_bin",
        "justify_interval",
        "lower",
        "upper",
        "length",
        "char_length",
        "substring",
        "substr",
        "left",
        "right",
        "trim",
        "btrim",
        "ltrim",
        "rtrim",
        "replace",
        "split_part",
        "position",
        "strpos",
        "concat",
        "concat_ws",
        "initcap",
        "starts_with",
        "regexp_replace",
        "regexp_match",
        "format",
        "abs",
        "round",
        "ceil",
        "floor",
        "greatest",
        "least",
        "coalesce",
        "nullif",
        "div",
        "mod",
        "array_length",
        "cardinality",
        "unnest",
        "array_position",
        "array_to_string",
        "generate_series",
    }
)

_WRITING_STATEMENTS = (
    ast.InsertStmt,
    ast.UpdateStmt,
    ast.DeleteStmt,
    ast.MergeStmt,
    ast.CopyStmt,
    ast.VariableSetStmt,
    ast.CreateTableAsStmt,
)


class UnsafeSqlError(ValueError):
    """The SQL is not one plain SELECT over the metadata tables; the message says why."""


def check_select(sql: str) -> str:
    """Raise UnsafeSqlError unless `sql` is exactly one safe SELECT; return that statement's
    text (without the trailing semicolon, so it can be wrapped)."""
    _check_size(sql)
    try:
        statements = parse_sql(sql)
    except ParseError as exc:
        raise UnsafeSqlError(f"SQL does not parse: {exc}") from exc
    if len(statements) != 1:
        raise UnsafeSqlError(f"send exactly one statement, not {len(statements)}")
    root = statements[0].stmt
    if not isinstance(root, ast.SelectStmt):
        raise UnsafeSqlError(f"only SELECT is allowed, not {type(root).__name__}")
    _Checker(frozenset())(root)
    encoded = sql.encode()  # the parser's locations count bytes
    start, length = statements[0].stmt_location or 0, statements[0].stmt_len
    return encoded[start : start + length if length else None].decode()


def _check_size(sql: str) -> None:
    if len(sql) > MAX_SQL_CHARS:
        raise UnsafeSqlError(
            f"SQL is {len(sql):,} characters; the limit is {MAX_SQL_CHARS:,}: aggregate instead "
            "of listing values"
        )
    try:
        tokens = scan(sql)
    except ParseError as exc:
        raise UnsafeSqlError(f"SQL does not parse: {exc}") from exc
    depth = deepest = 0
    for token in tokens:
        if token.name in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif token.name in _CLOSING:
            depth -= 1
    if deepest > MAX_NESTING:
        raise UnsafeSqlError(f"SQL nests {deepest} brackets deep; the limit is {MAX_NESTING}")


class _Checker(Visitor):
    """Walks every node of one query; `ctes` are the WITH names in scope there.

    A WITH query is checked before its name comes into scope (and sees only the names defined
    before it, or itself too under RECURSIVE), so `WITH pg_roles AS (SELECT * FROM pg_roles)`
    is judged by what its body reads, not by the name it gives itself.
    """

    def __init__(self, ctes: frozenset[str]) -> None:
        self.ctes = ctes

    def visit_SelectStmt(self, ancestors, node: ast.SelectStmt):
        if node.intoClause is not None:
            raise UnsafeSqlError("SELECT ... INTO is refused; just SELECT the rows")
        if node.lockingClause:
            raise UnsafeSqlError("FOR UPDATE/SHARE is refused: queries are read-only")
        if node.withClause is None:
            return None
        scope = set(self.ctes)
        for cte in node.withClause.ctes or ():
            if not isinstance(cte.ctequery, ast.SelectStmt):
                raise UnsafeSqlError(
                    "WITH queries must be SELECTs; data-modifying CTEs are refused"
                )
            name = str(cte.ctename)
            own = {name} if node.withClause.recursive else set()
            _Checker(frozenset(scope | own))(cte.ctequery)
            scope.add(name)
        with_clause, node.withClause = node.withClause, None
        try:
            _Checker(frozenset(scope))(node)  # the query itself, with every WITH name in scope
        finally:
            node.withClause = with_clause
        return Skip

    def visit_RangeVar(self, ancestors, node: ast.RangeVar) -> None:
        if node.schemaname not in (None, "public") or (
            node.relname not in QUERYABLE_TABLES and node.relname not in self.ctes
        ):
            qualified = f"{node.schemaname}.{node.relname}" if node.schemaname else node.relname
            raise UnsafeSqlError(
                f"table {qualified!r} is not available; query only: "
                + ", ".join(sorted(QUERYABLE_TABLES))
            )

    def visit_FuncCall(self, ancestors, node: ast.FuncCall) -> None:
        parts = [p.sval for p in node.funcname or ()]
        name = parts[-1].lower()
        if (len(parts) > 1 and parts[0] != "pg_catalog") or name not in ALLOWED_FUNCTIONS:
            raise UnsafeSqlError(
                f"function {'.'.join(parts)}() is not allowed; use aggregates, date/time, string "
                "and math functions (see describe_schema rules)"
            )

    def visit(self, ancestors, node) -> None:
        if isinstance(node, _WRITING_STATEMENTS):
            raise UnsafeSqlError(f"{type(node).__name__} is refused: queries are read-only")
