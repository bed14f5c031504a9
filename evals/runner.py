"""Run a dataset: import its exports, score retrieval per side, run the agent, summarise."""

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from agent import render
from agent.contracts import Request, Result
from agent.graph import run as run_agent
from agent.pr_review import pr_number
from agent.runner import AgentRunner
from db.channels import match_channels
from db.messages import message_stored
from db.models import message_id
from db.stores import Stores
from evals import metrics
from evals.dataset import (
    RETRIEVAL_KINDS,
    SAMPLE_PREFIX,
    Case,
    Dataset,
    DatasetError,
    MessageRef,
)
from evals.judge import judge
from evals.results import (
    RETRIEVAL_METRICS,
    AnswerScore,
    CaseResult,
    RetrievalScore,
    Run,
    Summary,
)
from ingest.export_import import import_export
from mcp_server.contracts import SearchArgs
from mcp_server.search import Side, ranked_ids
from sample.export import write_sample_export

SIDES: tuple[Side, ...] = ("keyword", "semantic", "hybrid")


def run_dataset(
    runner: AgentRunner,
    dataset: Dataset,
    scratch: Path,
    *,
    sides: Sequence[Side] = SIDES,
    judge_model: BaseChatModel | None = None,
) -> Run:
    """Import what the dataset needs into the runner's stores, run every case, return the
    scored run. The agent uses the in-process tools over those stores, whatever MCP server the
    runner was configured with.

    With `judge_model`, each answer is also graded by it (reported as judge_score beside the
    deterministic metrics)."""
    stores = runner.stores
    local = runner.with_local_tools()
    workspaces = {
        export: import_case_export(stores, export, scratch) for export in dataset.exports()
    }
    results = []
    for export, workspace_id in workspaces.items():
        cases = [c for c in dataset.cases if c.export == export]
        results += asyncio.run(_run_cases(local, workspace_id, cases, sides, judge_model))
    order = {case.id: n for n, case in enumerate(dataset.cases)}
    results.sort(key=lambda r: order[r.id])
    return Run(
        dataset=str(dataset.path),
        split=dataset.split,
        mode="llm" if runner.model else "offline",
        summary=summarise(results, sides),
        by_kind=_by_kind(results),
        cases=results,
    )


def import_case_export(stores: Stores, export: str, scratch: Path) -> str:
    """Import one export a dataset names (a path, or the generated sample); its workspace id."""
    if export.startswith(SAMPLE_PREFIX):
        size = int(export.removeprefix(SAMPLE_PREFIX))
        path = write_sample_export(scratch / f"sample-{size}", messages=size)
    else:
        path = Path(export)
    return import_export(stores, path).workspace_id


async def _run_cases(
    runner: AgentRunner,
    workspace_id: str,
    cases: list[Case],
    sides: Sequence[Side],
    judge_model: BaseChatModel | None,
) -> list[CaseResult]:
    stores, results = runner.stores, []
    async with runner.session(workspace_id) as context:
        for case in cases:
            relevant = relevant_ids(stores, workspace_id, case)
            retrieval: dict[str, RetrievalScore] = {
                side: _score(ranked_ids(stores, workspace_id, search_args(case), side), relevant)
                for side in sides
            }
            result = await run_agent(_request(case), context)
            answer = _answer_score(stores, workspace_id, case, relevant, result)
            if judge_model is not None:
                verdict = await judge(
                    judge_model, case.question, case.facts, case.answerable, answer.text
                )
                answer = answer.model_copy(
                    update={"judge_score": verdict.score, "judge_reason": verdict.reason}
                )
            results.append(
                CaseResult(
                    id=case.id,
                    kind=case.kind,
                    question=case.question,
                    answerable=case.answerable,
                    relevant=sorted(relevant),
                    facts=case.facts,
                    retrieval=retrieval,
                    answer=answer,
                )
            )
    return results


def relevant_ids(stores: Stores, workspace_id: str, case: Case) -> set[str]:
    """The case's relevant messages as ids; a ref that matches nothing is a dataset error."""
    ids = set()
    with stores.postgres.tenant(workspace_id) as conn:
        for ref in case.relevant:
            if isinstance(ref, MessageRef):
                match = match_channels(conn, [ref.channel])
                if len(match.ids) != 1:
                    raise DatasetError(f"case {case.id}: no channel {ref.channel!r} in the export")
                ref_id = message_id(workspace_id, match.ids[0], ref.ts)
            else:
                ref_id = ref
            if not message_stored(conn, ref_id):
                raise DatasetError(f"case {case.id}: no message {ref_id} in the export")
            ids.add(ref_id)
    return ids


def search_args(case: Case) -> SearchArgs:
    """The case's question and filters as a search for ten messages."""
    f = case.filters
    return SearchArgs.model_validate(
        {
            "query": case.question,
            "channels": [f.channel] if f and f.channel else None,
            "users": [f.user] if f and f.user else None,
            "since": f.since if f else None,
            "until": f.until if f else None,
            "limit": 10,
        }
    )


def _score(ranked: list[str], relevant: set[str]) -> RetrievalScore:
    scores = {
        "recall@1": metrics.recall_at_k(ranked, relevant, 1),
        "recall@5": metrics.recall_at_k(ranked, relevant, 5),
        "recall@10": metrics.recall_at_k(ranked, relevant, 10),
        "mrr": metrics.reciprocal_rank(ranked, relevant),
        "ndcg@10": metrics.ndcg_at_k(ranked, relevant, 10),
    }
    return RetrievalScore(ranked=ranked, scores=scores)


def _request(case: Case) -> Request:
    f = case.filters
    since = datetime.fromisoformat(f.since) if f and f.since else None
    until = datetime.fromisoformat(f.until) if f and f.until else None
    channels = [f.channel] if f and f.channel else []
    if case.kind == "newsletter":
        return Request(
            task="newsletter", question=case.question, channels=channels, since=since, until=until
        )
    if case.kind == "pr":
        review = Request(task="pr_review", question=case.question)
        try:
            return review.model_copy(update={"pr_number": pr_number(review)})
        except ValueError:
            pass  # names no PR: asked as a question
    return Request(
        task="answer", question=case.question, channels=channels, since=since, until=until
    )


def _answer_score(
    stores: Stores, workspace_id: str, case: Case, relevant: set[str], result: Result
) -> AnswerScore:
    cited = [c.message_id for c in result.citations]
    claims = [c for s in result.draft.sections for p in s.points for c in p.citations]
    held = stores.vectors.get(workspace_id, list({c.message_id for c in claims}))
    with stores.postgres.tenant(workspace_id) as conn:
        stored = {c.message_id for c in claims if message_stored(conn, c.message_id)}
    # a quote must be in the cited message's text; a citation without one (a channel event,
    # which has no text) must name a stored message
    valid = [
        c.message_id in held
        and " ".join(c.quote.split()) in " ".join(held[c.message_id].document.split())
        if c.quote
        else c.message_id in stored
        for c in claims
    ]
    text = render.markdown(result)
    return AnswerScore(
        mode=result.mode,
        found=result.found,
        text=text,
        cited=cited,
        fact_coverage=metrics.fact_coverage(text, case.facts),
        citation_precision=metrics.citation_precision(cited, relevant) if case.answerable else None,
        citation_validity=sum(valid) / len(valid) if valid else None,
        not_found_correct=result.found == case.answerable,
        latency_ms=result.latency_ms,
    )


def summarise(results: list[CaseResult], sides: Sequence[str]) -> Summary:
    """Retrieval: means over the cases found by searching text (RETRIEVAL_KINDS) that have
    relevant messages; answer metrics over all cases."""
    scored = [r for r in results if r.relevant and r.kind in RETRIEVAL_KINDS]
    answerable = [r for r in results if r.answerable]
    latencies = [r.answer.latency_ms for r in results]
    return Summary(
        cases=len(results),
        retrieval={
            side: {
                m: round(metrics.mean([r.retrieval[side].scores[m] for r in scored]) or 0.0, 4)
                for m in RETRIEVAL_METRICS
            }
            for side in sides
        },
        answer={
            "fact_coverage": _round(metrics.mean([r.answer.fact_coverage for r in answerable])),
            "citation_precision": _round(
                metrics.mean([r.answer.citation_precision for r in answerable])
            ),
            "citation_validity": _round(
                metrics.mean([r.answer.citation_validity for r in results])
            ),
            "not_found_accuracy": _round(
                metrics.mean([float(r.answer.not_found_correct) for r in results])
            ),
            **_judge_mean(results),
        },
        latency_ms={
            "p50": round(metrics.percentile(latencies, 50), 1),
            "p95": round(metrics.percentile(latencies, 95), 1),
        },
    )


def _by_kind(results: list[CaseResult]) -> dict[str, dict[str, float | None]]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[r.kind].append(r)
    table = {}
    for kind, group in groups.items():
        scored = [r for r in group if r.relevant]
        row: dict[str, float | None] = {"cases": len(group)}
        for side in group[0].retrieval:
            row[f"{side} recall@10"] = _round(
                metrics.mean([r.retrieval[side].scores["recall@10"] for r in scored])
            )
        row["fact_coverage"] = _round(metrics.mean([r.answer.fact_coverage for r in group]))
        latencies = [r.answer.latency_ms for r in group]
        row["latency p50"] = round(metrics.percentile(latencies, 50), 1)
        row["latency p95"] = round(metrics.percentile(latencies, 95), 1)
        table[kind] = row
    return table


def _judge_mean(results: list[CaseResult]) -> dict[str, float | None]:
    scores = [r.answer.judge_score for r in results if r.answer.judge_score is not None]
    return {"judge_score": _round(metrics.mean(scores))} if scores else {}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
