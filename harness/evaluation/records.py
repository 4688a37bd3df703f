"""The records a run produces, built once by the pipeline and passed down to the reports and the gate: one
`CandidateResult` per candidate file (or per unreadable one), and the `RunResult` that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.config import Config
from harness.document import Document, InputError, Story
from harness.evaluation.coverage import FactMatch
from harness.judges.contract import Judgement
from harness.reading.claims import Claim
from harness.reading.retrieval import Evidence


@dataclass(kw_only=True)
class CandidateResult:
    """One candidate's evaluation, or the error that stopped it (`error`), built by keyword."""

    story: str
    document: Document | None
    path: str
    claims: list[Claim] = field(default_factory=list)
    evidence: list[list[Evidence]] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    fact_matches: list[FactMatch] = field(default_factory=list)
    rouge_by_reference: dict[str, dict[str, float]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    warning: str = ""  # evaluated, but something a reader must know (no scorable claim)

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(kw_only=True)
class RunResult:
    """A whole run: its config, the stories as evaluated (key facts completed), every candidate's result, the
    input errors, timings and cache counts, built by keyword."""

    config: Config
    stories: list[Story]
    results: list[CandidateResult]
    errors: list[InputError]
    timings: dict[str, float]
    cache: dict[str, int]
    embedding_model_id: str
    judge: str
    judge_usage: dict[str, int] = field(default_factory=dict)  # an LLM judge's requests and tokens, summed
