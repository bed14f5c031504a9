"""The README's eval table: one row per run, in the counts a reader of the answers can check
("6 of 10 unanswerable questions refused"), not only rates."""

from pathlib import Path

from pydantic import BaseModel

from evals.dataset import RETRIEVAL_KINDS
from evals.results import Run


def header(sides: list[str]) -> str:
    """The table's head, naming the retrieval sides as the rows give them."""
    return (
        f"| dataset | split | recall@10 {' / '.join(sides)} | facts | unanswerable → not found "
        "| answerable → found | citation precision | p50 / p95 ms |\n"
        "|---|---|---|---|---|---|---|---|"
    )


class TableRow(BaseModel):
    """One run's row: the run summary's rates (recall over the cases answered by searching
    text, None without any; facts over the answerable cases, None when no case names a fact:
    houston-files asks only for the file) and the counts behind not found and found."""

    dataset: str
    label: str
    cases: int
    search_cases: int
    sides: list[str]  # the retrieval sides the run measured, in its order
    recall_at_10: dict[str, float] | None  # by side
    facts: float | None
    refused: int
    unanswerable: int
    found: int
    answerable: int
    citation_precision: float | None
    p50_ms: float
    p95_ms: float

    def markdown(self) -> str:
        """The row as the README's table has it."""
        if self.recall_at_10 is None:
            recall = "–"
        elif self.search_cases == 1:
            last = list(self.recall_at_10.values())[-1]  # hybrid, when every side ran
            recall = f"– (1 search case: {last:.1f})"
        else:
            recall = " / ".join(f"{value:.3f}" for value in self.recall_at_10.values())
        cells = [
            self.dataset,
            f"{self.label} ({self.cases})",
            recall,
            "–" if self.facts is None else f"{self.facts:.3f}",
            f"{self.refused}/{self.unanswerable}" if self.unanswerable else "–",
            f"{self.found}/{self.answerable}",
            "–" if self.citation_precision is None else f"{self.citation_precision:.2f}",
            f"{self.p50_ms:.0f} / {self.p95_ms:.0f}",
        ]
        return "| " + " | ".join(cells) + " |"


def table_row(run: Run, label: str | None = None) -> TableRow:
    """The row of one run, labelled with its split unless `label` says otherwise."""
    searched = [c for c in run.cases if c.relevant and c.kind in RETRIEVAL_KINDS and c.retrieval]
    answerable = [c for c in run.cases if c.answerable]
    unanswerable = [c for c in run.cases if not c.answerable]
    summary = run.summary
    recall = {side: scores["recall@10"] for side, scores in summary.retrieval.items()}
    return TableRow(
        dataset=Path(run.dataset).stem,
        label=label or run.split,
        cases=len(run.cases),
        search_cases=len(searched),
        sides=list(recall),
        recall_at_10=recall if searched else None,
        facts=summary.answer.get("fact_coverage") if _names_facts(run) else None,
        refused=sum(not c.answer.found for c in unanswerable),
        unanswerable=len(unanswerable),
        found=sum(c.answer.found for c in answerable),
        answerable=len(answerable),
        citation_precision=summary.answer.get("citation_precision"),
        p50_ms=summary.latency_ms["p50"],
        p95_ms=summary.latency_ms["p95"],
    )


def _names_facts(run: Run) -> bool:
    """Whether some case names a fact (assumed for a run written before facts were kept)."""
    return any(c.facts is None or c.facts for c in run.cases)
