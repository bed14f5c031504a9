"""Fit hybrid search's one free parameter, the semantic side's weight in the convex combination
(mcp_server.search.fuse), on eval cases: a learnt weight, as Bruch et al. (2023) recommend,
instead of a constant picked by hand. Run it on the dev split only; the test split then says
how the fitted weight does on questions it never saw.
"""

from pathlib import Path

from pydantic import BaseModel

from db.stores import Stores
from evals import metrics
from evals.dataset import Dataset
from evals.runner import import_case_export, relevant_ids, search_args
from mcp_server.search import fuse, search_sides

WEIGHTS = tuple(round(0.05 * i, 2) for i in range(21))
TOLERANCE = 0.005  # a weight this close to the best mean counts as as good


class DatasetRecall(BaseModel):
    """Mean reciprocal rank (top ten) of one dataset's cases with relevant messages: each side
    alone, the fusion this replaced, and each weight."""

    cases: int
    keyword: float
    semantic: float
    reciprocal_rank: float  # the fusion this replaced (RRF, k = 60), for comparison
    by_weight: dict[str, float]


class FusionFit(BaseModel):
    """The `eval fit-fusion --json` document."""

    datasets: dict[str, DatasetRecall]
    mean_by_weight: dict[str, float]
    weight: float  # the most semantic weight within TOLERANCE of the best mean MRR


def fit_fusion(stores: Stores, datasets: list[Dataset], scratch: Path) -> FusionFit:
    """Search every retrieval case once (both sides' scores), then score each weight."""
    per_dataset = {}
    for dataset in datasets:
        sides = []
        for export in dataset.exports():
            workspace_id = import_case_export(stores, export, scratch)
            for case in dataset.cases:
                if case.export != export or not case.relevant:
                    continue
                relevant = relevant_ids(stores, workspace_id, case)
                similarity, keyword = search_sides(stores, workspace_id, search_args(case))
                sides.append((similarity, keyword, relevant))
        if not sides:
            continue

        per_dataset[dataset.path.stem] = DatasetRecall(
            cases=len(sides),
            keyword=_mean(sides, lambda s, k: list(k)[:10]),
            semantic=_mean(sides, lambda s, k: sorted(s, key=lambda i: -s[i])[:10]),
            reciprocal_rank=_mean(
                sides, lambda s, k: _rrf([sorted(s, key=lambda i: -s[i]), list(k)])[:10]
            ),
            by_weight={
                f"{w:.2f}": _mean(sides, lambda s, k, w=w: [i for i, _, _ in fuse(s, k, w)[:10]])
                for w in WEIGHTS
            },
        )
    means = {
        f"{w:.2f}": round(
            sum(d.by_weight[f"{w:.2f}"] for d in per_dataset.values()) / max(len(per_dataset), 1),
            4,
        )
        for w in WEIGHTS
    }
    best = max(means.values())  # a weight within TOLERANCE of it is as good
    weight = max(w for w in WEIGHTS if means[f"{w:.2f}"] >= best - TOLERANCE)
    return FusionFit(datasets=per_dataset, mean_by_weight=means, weight=weight)


def _mean(sides, ranked_for) -> float:
    """Mean reciprocal rank (of the first relevant message in the top ten) over
    (similarity, keyword, relevant) triples of a ranking function: recall@10 is saturated
    on most cases, where both sides find the message, while its rank still moves."""
    scores = [metrics.reciprocal_rank(ranked_for(s, k)[:10], r) for s, k, r in sides]
    return round(sum(scores) / len(scores), 4)


def _rrf(rankings: list[list[str]], k: int = 60) -> list[str]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, message_id in enumerate(ranking, start=1):
            scores[message_id] = scores.get(message_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda i: -scores[i])
