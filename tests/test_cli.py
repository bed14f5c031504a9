"""The CLI as a newcomer uses it: embedded default, no servers, one data dir."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

STATUS_KEYS = {
    "workspace_id",
    "name",
    "url",
    "messages_postgres",
    "messages_embeddable",
    "messages_chroma",
    "passages_chroma",
    "vector_graph",
    "users",
    "channels",
    "reactions",
    "links",
    "files",
    "outbox_pending",
    "outbox_dead",
    "indexed_through",
}


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_HELPER_")}
    env["SLACK_HELPER_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "slack_helper", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=data_dir.parent,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    result = _run(data_dir, "demo")
    assert result.returncode == 0, result.stderr
    assert "600 messages in PostgreSQL" in result.stdout
    assert "How we deploy to production" in result.stdout  # the agent's cited answer
    assert "/archives/C02ENG/p1709546400900000" in result.stdout
    return data_dir


def test_status_json_after_demo(demo_dir: Path):
    result = _run(demo_dir, "status", "--json")
    assert result.returncode == 0, result.stderr
    (workspace,) = json.loads(result.stdout)["workspaces"]
    assert set(workspace) == STATUS_KEYS
    assert workspace["messages_postgres"] == 600
    assert workspace["messages_chroma"] == workspace["messages_embeddable"] > 500
    assert workspace["indexed_through"].startswith("2024-03-")


def test_ask_json_has_the_documented_shape(demo_dir: Path):
    result = _run(demo_dir, "ask", "How do we deploy to production?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"answer", "found", "mode", "citations", "tool_calls", "latency_ms"}
    assert (answer["found"], answer["mode"]) == (True, "offline")
    assert set(answer["citations"][0]) == {
        "message_id",
        "channel",
        "ts",
        "user",
        "permalink",
        "text",
    }
    assert answer["citations"][0]["permalink"] == "/archives/C02ENG/p1709546400900000"
    assert "offline mode" in answer["answer"]

    missing = json.loads(_run(demo_dir, "ask", "What is the capital of France?", "--json").stdout)
    assert (missing["found"], missing["citations"]) == (False, [])


def test_newsletter_and_pr_review_commands(demo_dir: Path):
    news = _run(
        demo_dir,
        "newsletter",
        "--since",
        "2024-03-11",
        "--until",
        "2024-03-18",
        "--format",
        "slack",
    )
    assert news.returncode == 0, news.stderr
    blocks = json.loads(news.stdout)["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Newsletter"}}
    assert "/archives/C" in news.stdout

    review = _run(demo_dir, "pr-review", "https://github.com/acme/webapp/pull/1234")
    assert review.returncode == 0, review.stderr
    assert "### Decisions" in review.stdout and "dual reads" in review.stdout
    assert _run(demo_dir, "pr-review", "99999").returncode == 3  # nothing found

    bad = _run(demo_dir, "newsletter", "--since", "last tuesday")
    assert bad.returncode == 2 and "duration such as 7d" in bad.stderr


def test_workspace_is_found_by_name_or_team_id(demo_dir: Path):
    by_name = json.loads(_run(demo_dir, "status", "--json", "-w", "ACME-SAMPLE").stdout)
    by_id = json.loads(_run(demo_dir, "status", "--json", "--workspace", "TSAMPLE01").stdout)
    assert by_name == by_id and len(by_id["workspaces"]) == 1
    unknown = _run(demo_dir, "status", "--workspace", "nope")
    assert unknown.returncode == 1
    assert "no workspace named or with id 'nope'" in unknown.stderr


def test_bad_export_path_is_a_clean_error(demo_dir: Path, tmp_path: Path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = _run(demo_dir, "ingest", "export", str(junk))
    assert result.returncode == 1
    said = " ".join(result.stderr.split())  # rich wraps long lines at the terminal's width
    assert "not a ZIP file or folder" in said and "Traceback" not in said


def test_an_export_of_a_stored_team_under_another_name_needs_into(demo_dir: Path, tmp_path: Path):
    impostor = _run(demo_dir, "sample", str(tmp_path / "impostor"))
    assert impostor.returncode == 0, impostor.stderr
    refused = _run(demo_dir, "ingest", "export", str(tmp_path / "impostor"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "--into TSAMPLE01" in " ".join(refused.stderr.split())
    bad_url = _run(demo_dir, "ingest", "export", str(tmp_path / "impostor"), "--url", "acme")
    assert bad_url.returncode == 2 and "slack.com" in bad_url.stderr


def test_db_upgrade_reports_the_schema(demo_dir: Path):
    from db.migrate import available_migrations

    latest, _ = available_migrations()[-1]
    result = _run(demo_dir, "db", "upgrade")
    assert result.returncode == 0 and f"schema at {latest}" in result.stdout


def test_reindex_of_a_current_graph_changes_nothing(demo_dir: Path):
    from db.vectors import CURRENT_GRAPH

    result = _run(demo_dir, "reindex", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["rebuilt"], report["graph_after"], report["dropped"]) == (
        False,
        CURRENT_GRAPH,
        [],
    )
    assert report["vectors"] > 500


def test_reindex_re_embeds_every_message_and_the_stores_still_agree(demo_dir: Path):
    result = _run(demo_dir, "reindex", "--re-embed")
    assert result.returncode == 0, result.stderr
    assert "already current" in result.stdout
    assert "580 messages embedded again" in result.stdout  # the demo's content messages
    assert _run(demo_dir, "reconcile", "--dry-run").returncode == 0


def test_bench_ingest_json(tmp_path: Path):
    result = _run(tmp_path / "data", "bench", "ingest", "--messages", "300", "--json")
    assert result.returncode == 0, result.stderr
    bench = json.loads(result.stdout)
    assert set(bench) == {
        "messages",
        "ingest_msgs_per_s",
        "embedder_msgs_per_s",
        "ratio",
        "peak_rss_mb",
    }
    assert bench["messages"] == 300
    assert bench["ingest_msgs_per_s"] > 0 and 0 < bench["ratio"] and bench["peak_rss_mb"] > 100


def test_bench_query_json_and_a_kept_store(tmp_path: Path):
    store = tmp_path / "bench"
    args = ["bench", "query", "--queries", "5", "--store", str(store), "--json"]
    result = _run(tmp_path / "data", *args, "--messages", "3000")
    assert result.returncode == 0, result.stderr
    bench = json.loads(result.stdout)
    assert bench["messages"] == 3000
    for kind in ("metadata", "semantic", "hybrid", "hybrid_pgvector", "keyword"):
        assert 0 < bench[kind]["p50_ms"] <= bench[kind]["p95_ms"]
    # few candidates: the hybrid path scores them exactly, so it must find the true top 10
    assert bench["hybrid"]["strategies"] == {"exact-candidates": 5}
    assert bench["hybrid"]["recall_at_10"] >= 0.95
    for kind in ("semantic", "hybrid", "hybrid_pgvector"):
        assert 0 <= bench[kind]["worst_recall_at_10"] <= bench[kind]["recall_at_10"] <= 1
    # the kept workspace is reused only at its own size, and measures the same data again
    wrong = _run(tmp_path / "data", *args, "--messages", "4000")
    assert wrong.returncode == 1
    assert "holds a bench workspace of 3,000 messages" in " ".join(wrong.stderr.split())
    other_shape = _run(tmp_path / "data", *args, "--messages", "3000", "--vectors", "islands")
    assert other_shape.returncode == 1 and "with blended vectors" in other_shape.stderr
    again = json.loads(_run(tmp_path / "data", *args, "--messages", "3000").stdout)
    assert again["hybrid"]["recall_at_10"] >= 0.95 and again["semantic"]["recall_at_10"] > 0.5
    # a workspace kept before vectors were two-view means measures other data: refused
    marker = store / "bench.json"
    marker.write_text(json.dumps({"messages": 3000, "vectors": "blended"}))
    stale = _run(tmp_path / "data", *args, "--messages", "3000")
    assert stale.returncode == 1 and "before two views" in " ".join(stale.stderr.split())


def test_eval_compare_refuses_a_missing_or_foreign_run(tmp_path: Path):
    foreign = tmp_path / "run.json"
    foreign.write_text('{"not": "a run"}')
    missing = _run(tmp_path / "data", "eval", "compare", str(tmp_path / "nope"), str(foreign))
    wrong = _run(tmp_path / "data", "eval", "compare", str(foreign), str(foreign))
    for result, says in ((missing, "does not exist"), (wrong, "is not a run.json")):
        message = " ".join(result.stderr.replace("│", " ").split())  # unwrap rich's error box
        assert result.returncode == 2 and says in message and "Traceback" not in message
