"""The gate's results: one GateCheck per check, the GateReport holding them, and the wording every output
shares (lists cut to a console line, the not-applicable warnings, a candidate's failing claims).

A metric a story cannot have is not applicable, not missing: without key facts there is nothing to cover,
so coverage thresholds neither pass nor fail its candidates (the gate says so in a warning and in each
check's message)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.registry import FAILING, NEEDS_KEY_FACTS, NEEDS_REFERENCE_SUMMARY

SHOWN = 5  # names a console line lists before "and N more"


def listed(names: list[str] | set[str], limit: int | None = SHOWN) -> str:
    """`a, b, c and 97 more`: a list a console line can hold (limit None: every name)."""
    names = sorted(names)
    if limit is None or len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"


def coverage_warning(
    stories: list[str] | set[str], not_applied: list[str] | tuple[str, ...] = (), limit: int | None = SHOWN
) -> str:
    """The one wording of "these stories have no key facts" (run.json, console, gate output), naming the
    thresholds that therefore neither pass nor fail their candidates."""
    return (
        f"{len(stories):,} {'story has' if len(stories) == 1 else 'stories have'} no key facts ({listed(stories, limit)}): "
        f"{', '.join(NEEDS_KEY_FACTS)} are not applicable to their candidates"
        + (f"; {', '.join(not_applied)} neither passes nor fails them" if not_applied else "")
    )


def not_applicable(metrics: dict[str, Any]) -> tuple[str, ...]:
    """The metrics this candidate cannot have: coverage when its story has no key facts, ROUGE against a
    reference summary when it declares none (or the run predates them)."""
    missing = NEEDS_KEY_FACTS if metrics.get("key_facts") == 0 else ()
    return missing + (() if metrics.get("reference_summaries") else NEEDS_REFERENCE_SUMMARY)


def not_applicable_reason(skipped: list[str], per_system: bool = False) -> str:
    """Why the thresholds `skipped` (min_/max_<metric>) were not applied, in words."""
    metrics = {key.partition("_")[2] for key in skipped}
    lacks = "none of its stories has {}" if per_system else "the story has no {}"
    reasons = [lacks.format("key facts")] if metrics & set(NEEDS_KEY_FACTS) else []
    reasons += [lacks.format("reference summary")] if metrics & set(NEEDS_REFERENCE_SUMMARY) else []
    return " and ".join(reasons)


@dataclass
class GateCheck:
    scope: str  # "candidate" or "system"
    name: str  # "story/candidate" or the system name
    kind: str  # "threshold", "regression", "error", "missing"
    passed: bool
    message: str
    details: list[str] = field(default_factory=list)


@dataclass
class GateReport:
    checks: list[GateCheck]
    matched: int
    new: list[str]
    missing: list[str]
    baseline: str | None
    no_key_facts: list[str] = field(default_factory=list)  # stories whose candidates cannot have coverage
    not_applied: list[str] = field(default_factory=list)  # the thresholds therefore not applied to them
    no_summary: list[str] = field(default_factory=list)  # candidates held to a reference-summary threshold without one
    unknown_tables: list[str] = field(
        default_factory=list
    )  # [gate.story.X] / [gate.system.X] naming nothing in the run

    def warnings(self, limit: int | None = SHOWN) -> list[str]:
        """What the gate could not judge, for every output (a metric not applicable is no failure)."""
        found = [coverage_warning(self.no_key_facts, self.not_applied, limit)] if self.no_key_facts else []
        if self.unknown_tables:
            found.append(
                f"{', '.join(self.unknown_tables)} name no story or system of this run: their thresholds apply to "
                "nothing (a typo?)"
            )
        if self.no_summary:
            found.append(
                f"{len(self.no_summary):,} candidates' stories declare no reference summary ({listed(self.no_summary, limit)}): "
                f"{', '.join(NEEDS_REFERENCE_SUMMARY)} are not applicable to them and their thresholds neither pass nor fail"
            )
        return found

    @property
    def passed(self) -> bool:
        """Zero checks never pass: a gate that checked nothing has shown nothing."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]


def failing_claims(record: dict[str, Any], limit: int = 10) -> list[str]:
    """Readable lines for the contradicted and unsupported claims of a candidate, with evidence and checks."""
    lines = []
    failing = [c for c in record.get("claims", []) if c["verdict"] in FAILING]
    for claim in sorted(failing, key=lambda c: (FAILING.index(c["verdict"]), c["p_support"] or 0.0)):
        checks = "; ".join(claim.get("failed_checks") or []) or "no fact check failed; weak evidence"
        evidence = claim.get("evidence") or ""
        lines.append(
            f"{claim['id']} [{claim['verdict']}, p={claim['p_support']}] {claim['text']}\n"
            f"      checks: {checks}\n      evidence ({claim.get('evidence_source', '')}): {evidence}"
        )
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])
