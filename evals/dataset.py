"""Eval datasets: JSONL, one case a line, validated with errors that name the line.

A case names the export it runs on (a path relative to the dataset's folder, an absolute path,
or `sample:N` for the generated sample workspace of about N messages), the messages that
support the answer and the facts the answer must state.
"""

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

Kind = Literal[
    "metadata", "semantic", "hybrid", "thread", "reactions", "newsletter", "pr", "history", "count"
]
# The kinds whose answer is found by searching text: retrieval is scored on these. The others are
# answered by other tools (SQL, reactions, channel history), whatever a search would rank.
RETRIEVAL_KINDS = frozenset({"semantic", "hybrid", "thread"})
Split = Literal["dev", "test"]
SAMPLE_PREFIX = "sample:"
TEST_SHARE = 0.3  # of a dataset's cases, held out: run them only to report, never to tune


class DatasetError(Exception):
    """The dataset file is not valid; the message names the line and the problem."""


class MessageRef(BaseModel):
    """A message by channel (name or id) and ts."""

    channel: str
    ts: str


class CaseFilters(BaseModel):
    """Filters the question implies, passed to retrieval as they are."""

    channel: str | None = None
    user: str | None = None
    since: str | None = None
    until: str | None = None


class Case(BaseModel):
    """One question, where its answer lives, and what the answer must say."""

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    export: str
    relevant: list[str | MessageRef] = []
    facts: list[str] = []
    filters: CaseFilters | None = None
    answerable: bool = True
    kind: Kind
    split: Split | None = Field(
        None, description="dev (look while building) or test (held out); by default fixed by id."
    )

    @property
    def part(self) -> Split:
        """The case's split: as written, else a hash of its id (stable, about TEST_SHARE test)."""
        if self.split is not None:
            return self.split
        digest = int(hashlib.sha256(self.id.encode()).hexdigest()[:8], 16)
        return "test" if digest / 0xFFFFFFFF < TEST_SHARE else "dev"

    @field_validator("relevant")
    @classmethod
    def _ids_look_like_ids(cls, refs: list) -> list:
        for ref in refs:
            if isinstance(ref, str) and ref.count(":") != 2:
                raise ValueError(f"{ref!r} is not a message id '<workspace>:<channel>:<ts>'")
        return refs


class Dataset(BaseModel):
    """A loaded dataset, exports resolved."""

    path: Path
    cases: list[Case]
    split: Split | Literal["all"] = "all"  # the part these cases are

    def only(self, split: Split | None) -> "Dataset":
        """The cases of one split (None: all of them)."""
        if split is None:
            return self
        cases = [c for c in self.cases if c.part == split]
        return self.model_copy(update={"cases": cases, "split": split})

    def exports(self) -> list[str]:
        """The distinct exports its cases run on, in first-use order."""
        return list(dict.fromkeys(case.export for case in self.cases))


def load_dataset(path: Path) -> Dataset:
    """Read and validate a JSONL dataset; DatasetError with the line number on any problem."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file")
    defaults: dict = {}
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        if not isinstance(raw, dict):
            raise DatasetError(f"{path}:{number}: expected an object")
        if "defaults" in raw:
            defaults = raw["defaults"]
            continue
        try:
            case = Case.model_validate({**defaults, **raw})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'case'}: {e['msg']}" for e in exc.errors()
            )
            raise DatasetError(f"{path}:{number}: {problems}") from exc
        if case.id in seen:
            raise DatasetError(f"{path}:{number}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case.model_copy(update={"export": _resolve(case.export, path.parent)}))
    if not cases:
        raise DatasetError(f"{path}: no cases")
    return Dataset(path=path, cases=cases)


def _resolve(export: str, folder: Path) -> str:
    if export.startswith(SAMPLE_PREFIX):
        return export
    return str((folder / export).resolve())
