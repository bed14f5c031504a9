"""Two eval runs side by side: what got better and what got worse, case by case."""

from pydantic import BaseModel

from evals.results import Run

CASE_METRICS = ("hybrid recall@10", "fact_coverage", "not_found_correct")


class Change(BaseModel):
    """One metric of one case that moved."""

    case: str
    metric: str
    before: float
    after: float


class Comparison(BaseModel):
    """Summary deltas and the cases that moved."""

    summary: dict[str, tuple[float | None, float | None]]
    better: list[Change]
    worse: list[Change]


def compare(before: Run, after: Run) -> Comparison:
    """Compare two runs of the same dataset by case id."""
    summary: dict[str, tuple[float | None, float | None]] = {}
    for side, scores in after.summary.retrieval.items():
        for metric, value in scores.items():
            summary[f"{side} {metric}"] = (
                before.summary.retrieval.get(side, {}).get(metric),
                value,
            )
    for metric, answered in after.summary.answer.items():
        summary[metric] = (before.summary.answer.get(metric), answered)
    old = {case.id: case for case in before.cases}
    changes = []
    for case in after.cases:
        if case.id not in old:
            continue
        for metric in CASE_METRICS:
            a, b = _value(old[case.id], metric), _value(case, metric)
            if a is not None and b is not None and abs(a - b) > 1e-9:
                changes.append(Change(case=case.id, metric=metric, before=a, after=b))
    return Comparison(
        summary=summary,
        better=[c for c in changes if c.after > c.before],
        worse=[c for c in changes if c.after < c.before],
    )


def _value(case, metric: str) -> float | None:
    if metric == "hybrid recall@10":
        side = case.retrieval.get("hybrid")
        return side.scores["recall@10"] if side and case.relevant else None
    if metric == "fact_coverage":
        return case.answer.fact_coverage
    return float(case.answer.not_found_correct)
