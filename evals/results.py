"""What an eval run produces: per-case results and the summary, as saved in run.json."""

from pydantic import BaseModel, Field

RETRIEVAL_METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")


class RetrievalScore(BaseModel):
    """One retrieval side on one case."""

    ranked: list[str]
    scores: dict[str, float]


class AnswerScore(BaseModel):
    """The agent's answer to one case."""

    mode: str
    found: bool
    text: str
    cited: list[str]
    fact_coverage: float
    citation_precision: float | None
    citation_validity: float | None
    not_found_correct: bool
    latency_ms: float
    judge_score: int | None = None  # 1-5 from the optional LLM judge
    judge_reason: str | None = None


class CaseResult(BaseModel):
    """Everything measured on one case."""

    id: str
    kind: str
    question: str
    answerable: bool
    relevant: list[str]
    facts: list[str] | None = None  # what the answer had to state (None: not recorded)
    retrieval: dict[str, RetrievalScore]
    answer: AnswerScore


class Summary(BaseModel):
    """The numbers `eval run --json` prints."""

    cases: int
    retrieval: dict[str, dict[str, float]]
    answer: dict[str, float | None]
    latency_ms: dict[str, float]


class Run(BaseModel):
    """A whole run: the dataset, the summary, per-kind breakdowns and every case."""

    dataset: str
    split: str = "all"  # dev, test or all
    mode: str
    summary: Summary
    by_kind: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    cases: list[CaseResult]
