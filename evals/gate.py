"""The CI gate: minimum scores per dataset, recorded in evals/thresholds.json."""

import json
from pathlib import Path

from evals.results import Summary

THRESHOLDS = Path(__file__).with_name("thresholds.json")


def check_thresholds(dataset_name: str, summary: Summary, path: Path = THRESHOLDS) -> list[str]:
    """Each recorded minimum the summary falls below, as "metric value < minimum"."""
    minimums: dict[str, float] = json.loads(path.read_text()).get(dataset_name, {})
    failures = []
    for metric, minimum in minimums.items():
        value = _lookup(summary, metric)
        if value is None or value < minimum:
            failures.append(f"{metric} {value} < {minimum}")
    return failures


def _lookup(summary: Summary, metric: str) -> float | None:
    """`hybrid recall@10` -> retrieval["hybrid"]["recall@10"]; else an answer metric."""
    side, _, name = metric.partition(" ")
    if name and side in summary.retrieval:
        return summary.retrieval[side].get(name)
    return summary.answer.get(metric)
