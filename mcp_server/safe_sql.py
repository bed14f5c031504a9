"""Decide whether a SQL text is one harmless SELECT, using PostgreSQL's own parser (pglast).

An allowlist, not a denylist: only the metadata tables and a fixed set of pure functions may be
named. Anything else is refused with a message that says what to change. The database enforces
the rest again (a read-only role under row-level security, a READ ONLY transaction, a timeout).
"""

from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

from db.migrate import READER_TABLES

QUERYABLE_TABLES = frozenset(READER_TABLES)

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


def check_select(sql: str) -> None:
    """Raise UnsafeSqlError unless `sql` is exactly one safe SELECT."""
    try:
        statements = parse_sql(sql)
    except ParseError as exc:
        raise UnsafeSqlError(f"SQL does not parse: {exc}") from exc
    if len(statements) != 1:
        raise UnsafeSqlError(f"send exactly one statement, not {len(statements)}")
    root = statements[0].stmt
    if not isinstance(root, ast.SelectStmt):
        raise UnsafeSqlError(f"only SELECT is allowed, not {type(root).__name__}")
    _Checker()(statements[0])


class _Checker(Visitor):
    """Walks every node of the statement, including CTEs and subqueries."""

    def __init__(self) -> None:
        self.ctes: set[str] = set()

    def visit_CommonTableExpr(self, ancestors, node: ast.CommonTableExpr) -> None:
        if not isinstance(node.ctequery, ast.SelectStmt):
            raise UnsafeSqlError("WITH queries must be SELECTs; data-modifying CTEs are refused")
        self.ctes.add(str(node.ctename))

    def visit_SelectStmt(self, ancestors, node: ast.SelectStmt) -> None:
        if node.intoClause is not None:
            raise UnsafeSqlError("SELECT ... INTO is refused; just SELECT the rows")
        if node.lockingClause:
            raise UnsafeSqlError("FOR UPDATE/SHARE is refused: queries are read-only")
        # register CTE names before their uses are visited
        for cte in (node.withClause.ctes if node.withClause else None) or ():
            self.ctes.add(str(cte.ctename))

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
