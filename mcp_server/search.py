"""Hybrid search: Chroma's vectors and PostgreSQL's full-text index, fused by a convex
combination of normalised scores (Bruch, Gai and Ingber, "An Analysis of Fusion Functions for
Hybrid Retrieval", ACM TOIS 2023: it beats reciprocal rank fusion and needs one weight, learnt
from data). The keyword side scores a message by the BM25 inverse document frequency of the
exact terms it holds (each as a share of a term found in one message only; summed, at most 1),
so a common word adds little and a rare code adds much; the semantic side is cosine similarity.
The weight was fitted on the eval datasets' dev cases (`slack-helper eval fit-fusion`).

The vector side picks a strategy per query from what PostgreSQL knows about the filters (the
kept ids when few, else the planner's estimate of their share), because a Chroma `where` costs
hundreds of milliseconds at a million vectors whatever its selectivity, while an unfiltered
query costs a few (../shared/PERFORMANCE.md). The keyword side is `keywords.keyword_matches`.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import psycopg

from db.filters import Filters, estimated_rows, kept_ids, passage_counts
from db.keywords import keyword_matches, keyword_scores, term_counts, word_counts
from db.models import message_of, passage_ids
from db.stores import Stores
from db.vectors import VectorHit
from mcp_server import lookup
from mcp_server.contracts import SearchArgs, SearchHit, SearchResult
from mcp_server.keywords import content_words, keyword_terms

# The semantic side's share of a hybrid score. Fitted by `eval fit-fusion --split dev` over
# every dataset's dev cases (the largest weight within 0.005 of the best mean MRR);
# 1.0 would be the semantic side alone.
FUSION_WEIGHT = 0.75
# A term's frequency is counted up to this share of the workspace: past it, the term is common
# and no evidence, whatever its exact count.
COMMON_SHARE = 0.05
RARE_ANYWHERE = 5  # a term held by this few messages is rare in any workspace, even a tiny one
EXACT_WORD_COUNTS = 2000  # a query word's messages are counted up to this many
EXACT_CANDIDATES = 2000  # at most this many kept ids are read from PostgreSQL and scored exactly
# Kept ids are read up front only when the planner expects at most this many: reading 2,001 ids
# of a filter that keeps 50,000 costs ~1,350 heap pages (9 ms cold) only to learn it is large.
# A filter the planner overrates is read later, if post-filtering cannot serve it.
READ_IDS_BELOW = 4 * EXACT_CANDIDATES
# Records fetched per message wanted: a long message's passages (ingest/passages.py) may fill
# several places of one ranking, which counts each message once.
PASSAGE_ROOM = 2
OVERSAMPLE_LIMIT = 10_000  # deepest unfiltered query before falling back to a Chroma filter
# What each strategy costs at a million vectors on a 2-core machine (measured with
# scripts like `bench query`'s): reading one candidate's embedding ~45 us; an unfiltered query
# ~7 ms plus ~11 us per result; a Chroma `where` 0.5-1.6 s whatever it keeps.
EXACT_MS_PER_ID = 0.045
SCAN_MS = 7.0
SCAN_MS_PER_RESULT = 0.011


Side = Literal["keyword", "semantic", "hybrid"]
Source = Literal["semantic", "keyword"]  # the rankings fused into a hybrid one


def hybrid_search(stores: Stores, workspace_id: str, args: SearchArgs) -> SearchResult:
    """Messages best matching `args.query` by meaning or by exact words, within the filters."""
    total = max(stores.vectors.recent_count(workspace_id), 1)  # no pooled connection held
    similarity, keyword, strategy = _sides(stores, workspace_id, args, "hybrid", total)
    fused = fuse(similarity, keyword)[: args.limit]
    refs = lookup.message_refs(stores, workspace_id, [message_id for message_id, _, _ in fused])
    scores = {message_id: (score, sources) for message_id, score, sources in fused}
    hits = [
        SearchHit(
            **ref.model_dump(),
            score=round(scores[ref.message_id][0], 5),
            similarity=_rounded(similarity.get(ref.message_id)),
            matched_by=scores[ref.message_id][1],
        )
        for ref in refs
    ]
    with stores.postgres.tenant(workspace_id) as conn:
        counts = word_counts(conn, content_words(args.query), _count_cap(total))
    weights = _rarities(list(counts.values()), total)
    return SearchResult(
        hits=hits,
        strategy=strategy,
        unknown_words=[word for word, count in counts.items() if not count],
        word_weights={w: round(weight, 4) for w, weight in zip(counts, weights, strict=True)},
    )


def _count_cap(total: int) -> int:
    """How far a query word's messages are counted: exactly in a small workspace (a word in
    half of it must weigh less than one in a twentieth), to EXACT_WORD_COUNTS in a large one,
    past which any word is common; counting costs a heap read per message, and a semantic
    search pays it (bench query at 100k messages: p95 +3 ms over none; a 5% cap, +20)."""
    return min(total, EXACT_WORD_COUNTS)


def ranked_ids(stores: Stores, workspace_id: str, args: SearchArgs, side: Side) -> list[str]:
    """The ids one side of the search ranks first (or both fused): what evals compare."""
    similarity, keyword, _ = _sides(stores, workspace_id, args, side)
    if side == "semantic":
        return list(similarity)[: args.limit]
    if side == "keyword":
        return list(keyword)[: args.limit]
    return [message_id for message_id, _, _ in fuse(similarity, keyword)[: args.limit]]


def search_sides(
    stores: Stores, workspace_id: str, args: SearchArgs
) -> tuple[dict[str, float], dict[str, float]]:
    """Both sides' scores, for fitting the fusion weight on eval data."""
    similarity, keyword, _ = _sides(stores, workspace_id, args, "hybrid")
    return similarity, keyword


def _sides(
    stores: Stores, workspace_id: str, args: SearchArgs, side: Side, total: int | None = None
) -> tuple[dict[str, float], dict[str, float], str]:
    """The vector side (similarity by id, best first; for hybrid, followed by the keyword
    matches it did not reach) and the keyword side (evidence in [0, 1] by id, best first).
    `total`, the workspace's message count, is read from Chroma when not given and needed."""
    terms = keyword_terms(args.query) if side != "semantic" else []
    if total is None and terms:
        total = stores.vectors.recent_count(workspace_id)  # no pooled connection held
    with stores.postgres.tenant(workspace_id) as conn:
        filters = Filters(
            channel_ids=lookup.channel_ids(conn, args.channels) if args.channels else [],
            user_ids=lookup.user_ids(conn, args.users) if args.users else [],
            since=args.since,
            until=args.until,
            in_thread=args.in_thread,
        )
        size = _filter_size(conn, filters) if side != "keyword" else None
        weights = _term_weights(conn, terms, total or 0) if terms else []
        terms, weights = _evidence_terms(terms, weights)
        # fusion can lift a deeper vector hit that also matches a term; without terms, and for
        # the vector side alone, only the top `limit` can be returned (and shallower is cheaper)
        depth = max(args.limit * 3, 30) if terms and side == "hybrid" else args.limit
        keyword = keyword_matches(conn, terms, weights, filters, depth)
    similarity: dict[str, float] = {}
    strategy = "none"
    if side != "keyword":
        query_vector = stores.embedder.embed([args.query])[0]
        similarity, strategy = _vector_side(
            stores, workspace_id, query_vector, filters, depth, size
        )
        if side == "hybrid":
            # a convex combination needs both scores of every candidate: a keyword match the
            # vector side did not reach is scored exactly, not as if it meant nothing, and so
            # is a vector candidate that a common term's keyword list was cut off before
            unscored = [i for i in keyword if i not in similarity]
            if unscored:
                similarity |= _exact(stores, workspace_id, query_vector, unscored, len(unscored))
            unmatched = [i for i in similarity if i not in keyword]
            if len(keyword) == depth and unmatched:
                with stores.postgres.tenant(workspace_id) as conn:
                    keyword |= keyword_scores(conn, terms, weights, unmatched)
    return similarity, keyword, strategy


@dataclass
class FilterSize:
    """What PostgreSQL knows about a filter before any vector is read."""

    share: float  # of the workspace's content messages, the share the filter keeps
    candidates: list[str] | None  # every id it keeps, when read (expected few) and few


def _filter_size(conn: psycopg.Connection, filters: Filters) -> FilterSize | None:
    """None without filters. Otherwise the kept share, and the kept ids if there are few: the
    planner's estimate decides whether they are worth reading (counting them costs tens of
    milliseconds at a million messages, and the share only sizes an oversampled query whose
    result is checked).
    """
    if not filters.narrows():
        return None
    kept = estimated_rows(conn, filters)
    ids = None
    if kept <= READ_IDS_BELOW:
        ids = kept_ids(conn, filters, EXACT_CANDIDATES)
        kept = len(ids) if ids is not None else max(kept, EXACT_CANDIDATES + 1)
    # both estimates carry the same row-level-security factor, so their ratio is the share
    total = max(estimated_rows(conn, None), kept, 1)
    return FilterSize(share=kept / total, candidates=ids)


def _vector_side(
    stores: Stores,
    workspace_id: str,
    query: np.ndarray,
    filters: Filters,
    depth: int,
    size: FilterSize | None,
) -> tuple[dict[str, float], str]:
    """Cosine similarity of the nearest messages, best first, from the cheapest strategy that
    still returns the true nearest ones: plain nearest neighbours without filters; for a
    filter, scoring its few candidates exactly or an unfiltered query deep enough to hold
    `depth` of them, whichever costs less; Chroma's `where` only when neither is possible."""
    vectors = stores.vectors
    if size is None:
        hits = vectors.query(
            workspace_id, query, depth * PASSAGE_ROOM, with_documents=False, with_metadata=False
        )
        return _best_first(_per_message(hits), depth), "unfiltered"
    candidates = size.candidates
    if candidates == []:
        return {}, "empty-filter"
    oversample = math.ceil(depth / size.share * 2)  # twice the depth expected to pass
    scan_ms = SCAN_MS + SCAN_MS_PER_RESULT * oversample
    if candidates and EXACT_MS_PER_ID * len(candidates) <= scan_ms:
        return _exact(stores, workspace_id, query, candidates, depth), "exact-candidates"
    found = _post_filter(stores, workspace_id, query, filters, depth, oversample, candidates)
    if found is not None:
        return found, "post-filter"
    if candidates is None:  # expected many, yet too few passed: maybe few enough to score
        with stores.postgres.tenant(workspace_id) as conn:
            candidates = kept_ids(conn, filters, EXACT_CANDIDATES)
    if candidates is not None:
        return _exact(stores, workspace_id, query, candidates, depth), "exact-candidates"
    hits = vectors.query(
        workspace_id,
        query,
        depth * PASSAGE_ROOM,
        where=filters.chroma_where(),
        with_documents=False,
        with_metadata=False,
    )
    return _best_first(_per_message(hits), depth), "chroma-where"


def _exact(
    stores: Stores, workspace_id: str, query: np.ndarray, candidates: list[str], depth: int
) -> dict[str, float]:
    """Every candidate scored (by its best record, with its passages): recall 1.0, no Chroma
    filter."""
    with stores.postgres.tenant(workspace_id) as conn:
        long = passage_counts(conn, candidates)
    passages = [p for m, count in long.items() for p in passage_ids(m, count)]
    found = stores.vectors.embeddings(workspace_id, [*candidates, *passages])
    if not found:
        return {}
    scores = np.asarray(list(found.values())) @ query
    return _best_first(_message_max(zip(found, scores.tolist(), strict=True)), depth)


def _post_filter(
    stores: Stores,
    workspace_id: str,
    query: np.ndarray,
    filters: Filters,
    depth: int,
    oversample: int,
    candidates: list[str] | None,
) -> dict[str, float] | None:
    """Nearest neighbours without a filter, deep enough that `depth` of them pass it; None
    when that would take a deeper query than OVERSAMPLE_LIMIT.

    Known candidates, or channel and time filters (read from the ids), need no Chroma
    metadata: fetching it is most of a deep query's cost.
    """
    kept_ids = set(candidates or ())
    by_id = bool(kept_ids) or filters.readable_from_ids()

    def accepts(hit) -> bool:
        if kept_ids:
            return message_of(hit.id) in kept_ids
        return filters.accepts_id(hit.id) if by_id else filters.accepts(hit.metadata)

    for _ in range(3):  # sized by the estimate, then by what the last pass kept
        if oversample > OVERSAMPLE_LIMIT:
            return None
        hits = stores.vectors.query(
            workspace_id, query, oversample, with_documents=False, with_metadata=not by_id
        )
        kept = _per_message([h for h in hits if accepts(h)])
        if len(kept) >= depth or len(hits) < oversample:
            return _best_first(kept, depth)
        # re-size from the share this pass kept (below one in len(hits) if it kept none)
        oversample = math.ceil(depth * len(hits) / max(len(kept), 1) * 2)
    return None


def _per_message(hits: list[VectorHit]) -> dict[str, float]:
    """Each message's similarity: that of its best record (its own or a passage's)."""
    return _message_max((h.id, 1.0 - h.distance) for h in hits)


def _message_max(scored: Iterable[tuple[str, float]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for record_id, score in scored:
        message = message_of(record_id)
        best[message] = max(score, best.get(message, -1.0))
    return best


def _best_first(similarity: dict[str, float], depth: int) -> dict[str, float]:
    """The `depth` most similar, ties (messages with the same text) broken by id, so every
    strategy and every run order them alike."""
    ranked = sorted(similarity, key=lambda i: (-round(similarity[i], 5), i))[:depth]
    return {i: similarity[i] for i in ranked}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _term_weights(conn: psycopg.Connection, terms: list[str], total: int) -> list[float]:
    """Each term's BM25 inverse document frequency over the workspace's `total` content
    messages (Chroma's count: the planner's estimate under row-level security is far off), as
    a share of a term held by one message only. A message's evidence is the sum over the terms
    it holds, at most 1: one rare code is strong evidence however many common words the
    question also has. A term held by more than COMMON_SHARE of the messages (and by more than
    RARE_ANYWHERE) is no evidence at all, as a document-frequency stop list cuts it (Luhn's upper
    cut-off): at the cut-off the idf share is still ~0.46 in a workspace of a thousand, so
    "D3", held by 65 of houston's 1,061 messages, had lifted each of them by 0.12."""
    common = max(int(total * COMMON_SHARE), RARE_ANYWHERE)
    counts = term_counts(conn, terms, common + 1)
    # Chroma may count fewer messages than PostgreSQL holds (an ingest under way)
    rarities = _rarities(counts, max(total, *counts, 1))
    return [0.0 if n > common else r for n, r in zip(counts, rarities, strict=True)]


def _evidence_terms(terms: list[str], weights: list[float]) -> tuple[list[str], list[float]]:
    """The terms that weigh something, with their weights: a common one matches no message."""
    kept = [(t, w) for t, w in zip(terms, weights, strict=True) if w > 0]
    return [t for t, _ in kept], [w for _, w in kept]


def _rarities(counts: list[int], total: int) -> list[float]:
    """Each count's BM25 inverse document frequency among `total` messages, as a share of that
    of a term held by one message only (a term held by none weighs as much)."""
    rarest = _idf(1, total)
    return [_idf(max(n, 1), total) / rarest for n in counts]


def _idf(count: int, total: int) -> float:
    return math.log(1 + (total - count + 0.5) / (count + 0.5))


def fuse(
    similarity: dict[str, float], keyword: dict[str, float], weight: float = FUSION_WEIGHT
) -> list[tuple[str, float, list[Source]]]:
    """Convex combination: weight x similarity (cosine, 0 when below zero or unknown)
    + (1 - weight) x keyword evidence; best first, ties by similarity."""
    scores: dict[str, float] = {}
    sources: dict[str, list[Source]] = {}
    for message_id, cosine in similarity.items():
        scores[message_id] = weight * max(cosine, 0.0)
        sources[message_id] = ["semantic"]
    for message_id, evidence in keyword.items():
        scores[message_id] = scores.get(message_id, 0.0) + (1 - weight) * min(evidence, 1.0)
        sources.setdefault(message_id, []).append("keyword")
    ordered = sorted(scores, key=lambda i: (-scores[i], -similarity.get(i, -1.0)))
    return [(i, scores[i], sources[i]) for i in ordered]
