"""What every check shares: its result (`CheckResult`), what it reads of a story's sources (`SourceFacts`), and
what a check module declares to be registered (`Check`, `CheckName`; harness.checks finds them).

A failure is either a `conflict` (the sources state something incompatible: a different number for the
same thing, another day of the same month, a misquotation) or `missing` (the sources never state it).
The judge turns decisive conflicts into `contradicted` and decisive missing facts into `unsupported`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from harness.reading.retrieval import Passage

PASS, FAIL, NA = "pass", "fail", "n/a"
CONFLICT, MISSING = "conflict", "missing"


@dataclass
class CheckResult:
    check: str
    status: str
    reason: str = ""
    kind: str = ""  # CONFLICT or MISSING when status == FAIL
    explanation: str = ""  # the failure in plain words, for people reading the report

    def label(self) -> str:
        """The `checks` column form: `number:800 and 1,000 vs 800 and 900`."""
        return f"{self.check}:{self.reason}"


@dataclass
class SourceFacts:
    """What the checks need from a story's references, extracted once per story."""

    sentences: list[str]
    story_date: str | None = None
    extra: dict = field(default_factory=dict)
    documents: list[str] = field(default_factory=list)  # the reference each sentence comes from

    @classmethod
    def of_passages(cls, passages: list[Passage], story_date: str | None = None) -> SourceFacts:
        """The facts of an evidence index's passages (harness.reading.retrieval), each labelled with its document: the
        one way the pipeline, the pair scorer and key-fact coverage build them."""
        return cls([p.text for p in passages], story_date, documents=[p.source for p in passages])

    def document_runs(self) -> list[tuple[int, int]]:
        """(start, end) sentence ranges of each reference, so chunks never join two documents."""
        labels = self.documents or [""] * len(self.sentences)
        runs, start = [], 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[start]:
                runs.append((start, i))
                start = i
        return runs

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """What a check derives from the sources (their numbers, dates, words), computed once per story."""
        if name not in self.extra:
            self.extra[name] = compute()
        return self.extra[name]


# (claim, the story's sources, the claim's best evidence sentence or None) -> one result per declared name
RunCheck = Callable[[str, SourceFacts, str | None], list[CheckResult]]


@dataclass(frozen=True)
class CheckName:
    """One `check` name a module's results carry. `decisive`: precise enough to decide a verdict alone (the
    others are weighed by the judges). `feature`: the calibrated judge's feature group it counts in
    (`<feature>_fail`), by default its own name; several names may share one group (the meaning checks)."""

    name: str
    decisive: bool = False
    feature: str = ""

    @property
    def group(self) -> str:
        return self.feature or self.name


@dataclass(frozen=True)
class Check:
    """What a check module declares as its module-level `CHECK` to be registered: its results' names in the
    order `run` returns them, its place in every claim's list of results (lower first: the `checks` column
    of claims.csv keeps this order), and optional hooks: `prefetch` (texts about to be checked, to batch
    work such as NER) and `forget` (empty what it remembers per process, for cold timings)."""

    order: int
    names: tuple[CheckName, ...]
    run: RunCheck
    prefetch: Callable[[list[str]], None] | None = None
    forget: Callable[[], None] | None = None
