"""The eval harness: loader errors, metric values, and the CI gate on the sample dataset."""

import json
from pathlib import Path

import pytest

from db import open_stores
from evals import metrics
from evals.compare import compare
from evals.dataset import DatasetError, load_dataset
from evals.gate import check_thresholds
from evals.report import write_reports
from evals.runner import run_dataset
from tests.conftest import fresh_store_config

DATASETS = Path(__file__).resolve().parents[2] / "evals" / "datasets"


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines))
    return path


GOOD = {"id": "a", "question": "q?", "export": "sample:100", "kind": "semantic"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", ":1: not JSON"),
        ({**GOOD, "kind": "gossip"}, ":1: kind: Input should be"),
        ({k: v for k, v in GOOD.items() if k != "question"}, ":1: question: Field required"),
        ({**GOOD, "relevant": ["not-an-id"]}, "is not a message id"),
    ],
)
def test_loader_names_the_line_and_the_problem(tmp_path: Path, line, message: str):
    with pytest.raises(DatasetError, match=message):
        load_dataset(write(tmp_path, line))


def test_loader_defaults_duplicates_and_paths(tmp_path: Path):
    with pytest.raises(DatasetError, match="duplicate id 'a'"):
        load_dataset(write(tmp_path, GOOD, GOOD))
    dataset = load_dataset(
        write(
            tmp_path,
            {"defaults": {"export": "exports/x"}},
            {k: v for k, v in GOOD.items() if k != "export"},
        )
    )
    assert dataset.cases[0].export == str((tmp_path / "exports" / "x").resolve())


def test_shipped_datasets_are_big_enough_and_cover_every_kind():
    sample, houston = (
        load_dataset(DATASETS / "sample.jsonl"),
        load_dataset(DATASETS / "houston.jsonl"),
    )
    assert len(sample.cases) >= 60 and len(houston.cases) >= 40
    assert {c.kind for c in sample.cases} == {
        "metadata",
        "semantic",
        "hybrid",
        "thread",
        "reactions",
        "newsletter",
        "pr",
    }
    assert any(not c.answerable for c in sample.cases) and any(
        not c.answerable for c in houston.cases
    )


def test_metrics_on_known_rankings():
    ranked, relevant = ["x", "a", "y", "b"], {"a", "b"}
    assert metrics.recall_at_k(ranked, relevant, 1) == 0.0
    assert metrics.recall_at_k(ranked, relevant, 2) == 0.5
    assert metrics.reciprocal_rank(ranked, relevant) == 0.5
    ideal = 1 + 1 / metrics.math.log2(3)
    assert metrics.ndcg_at_k(ranked, relevant, 10) == pytest.approx(
        (1 / metrics.math.log2(3) + 1 / metrics.math.log2(5)) / ideal
    )
    assert metrics.fact_coverage("Run  MAKE deploy now", ["make deploy", "on-call"]) == 0.5
    assert metrics.citation_precision(["a", "z"], relevant) == 0.5
    assert metrics.citation_precision([], relevant) is None
    assert metrics.percentile([10, 20, 30, 40], 50) == 25


def test_sample_dataset_passes_the_gate(request, tmp_path: Path, embedder):
    dataset = load_dataset(DATASETS / "sample.jsonl")
    with fresh_store_config(request, "embedded", tmp_path / "data") as config:
        with open_stores(config, embedder=embedder) as stores:
            run = run_dataset(stores, dataset, tmp_path)

    assert run.summary.cases == len(dataset.cases)
    assert check_thresholds("sample.jsonl", run.summary) == []
    hybrid, keyword = run.summary.retrieval["hybrid"], run.summary.retrieval["keyword"]
    assert hybrid["recall@10"] > keyword["recall@10"]
    paths = write_reports(run, tmp_path / "report")
    assert "<svg" in paths["html"].read_text() and "## Worst cases" in paths["markdown"].read_text()
    worse = run.model_copy(deep=True)
    worse.cases[0].answer.fact_coverage = 0.0
    worse.summary.retrieval["hybrid"]["recall@10"] = 0.1
    assert check_thresholds("sample.jsonl", worse.summary) == ["hybrid recall@10 0.1 < 0.74"]
    comparison = compare(run, worse)
    assert [c.case for c in comparison.worse if c.metric == "fact_coverage"] == (
        [run.cases[0].id] if run.cases[0].answer.fact_coverage > 0 else []
    )
