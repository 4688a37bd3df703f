"""Precise fact checks: each compares a claim with the story's sources and says pass, fail or n/a.

A failure is either a `conflict` (the sources state something incompatible: a different number for the
same thing, another day of the same month, a misquotation) or `missing` (the sources never state it).
The judge turns conflicts into `contradicted` and missing facts into `unsupported`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def document_runs(self) -> list[tuple[int, int]]:
        """(start, end) sentence ranges of each reference, so chunks never join two documents."""
        labels = self.documents or [""] * len(self.sentences)
        runs, start = [], 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[start]:
                runs.append((start, i))
                start = i
        return runs

    def cached(self, name: str, compute):
        """What a check derives from the sources (their numbers, dates, words), computed once per story."""
        if name not in self.extra:
            self.extra[name] = compute()
        return self.extra[name]


# Checks precise enough to decide a verdict on their own; the others are features the judge weighs.
DECISIVE = (
    "number",
    "date",
    "quote",
    "role",
    "antonym",
    "reporting",
    "modality",
    "substitution",
    "swap",
    "attribution",
)


def forget_memory() -> None:
    """Empty what the checks remember per process (entities, aligned words): benchmarks time cold runs."""
    from harness.checks import align, names

    names.forget_entities()
    align.forget_tokens()


def run_checks(claim: str, sources: SourceFacts, evidence: str | None = None) -> list[CheckResult]:
    """Every check on one claim; `evidence` is the best evidence passage (for the negation check)."""
    from harness.checks import dates, meaning, names, negation, numbers, quotes, roles

    return [
        numbers.check(claim, sources),
        dates.check(claim, sources),
        quotes.check(claim, sources),
        roles.check(claim, sources),
        names.check(claim, sources),
        negation.check(claim, evidence),
        *meaning.check(claim, sources, evidence),
    ]
