"""The layers the README promises, checked against the code: who may import whom, and that
SQL is written only in db/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "slack_helper": {"agent", "bench", "bot", "db", "evals", "ingest", "mcp_server", "sample"},
    "bot": {"agent", "db", "ingest", "mcp_server"},
    "evals": {"agent", "db", "ingest", "mcp_server", "sample"},
    "agent": {"db", "mcp_server"},
    "mcp_server": {"db"},
    "ingest": {"db"},
    "db": set(),
    "sample": set(),
    "bench": {"agent", "db", "ingest", "mcp_server", "sample"},
}


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def _imported_packages(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


def test_each_package_imports_only_the_layers_below_it():
    wrong = [
        f"{path} imports {other}"
        for package, allowed in ALLOWED.items()
        for path, tree in _modules(package)
        for other in sorted(_imported_packages(tree) - allowed - {package})
    ]
    assert wrong == []


def test_sql_is_executed_only_in_db():
    found = []
    for package in set(ALLOWED) - {"db", "bench"}:
        for path, tree in _modules(package):
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef):
                    continue
                for node in ast.walk(function):
                    calls_execute = (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("execute", "executemany")
                    )
                    if calls_execute:
                        found.append(f"{path}:{node.lineno} in {function.name}")
    assert found == []
