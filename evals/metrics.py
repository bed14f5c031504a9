"""Retrieval and answer metrics, as plain functions over ids and strings."""

import math
from collections.abc import Sequence


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant messages among the first k results."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant result (0 when none is found)."""
    for rank, message_id in enumerate(ranked, start=1):
        if message_id in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance."""
    gain = sum(
        1.0 / math.log2(rank + 1)
        for rank, message_id in enumerate(ranked[:k], start=1)
        if message_id in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return gain / ideal if ideal else 0.0


def fact_coverage(answer: str, facts: Sequence[str]) -> float:
    """Share of the facts the answer states (case-insensitive substring)."""
    if not facts:
        return 1.0
    text = " ".join(answer.lower().split())
    return sum(1 for fact in facts if " ".join(fact.lower().split()) in text) / len(facts)


def citation_precision(cited: Sequence[str], relevant: set[str]) -> float | None:
    """Share of the cited messages that are relevant (None when nothing was cited, or when the
    case names no relevant message: an answer from metadata is judged by its facts)."""
    if not cited or not relevant:
        return None
    return sum(1 for message_id in cited if message_id in relevant) / len(cited)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between ranks; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
