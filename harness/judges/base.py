"""What every judge shares: the judgement of a claim, the way evidence and checks become one, and the
hook by which a judge is built from a run's configuration.

A judge subclasses `Judge`, which owns evidence -> checks -> decision, and implements `assess` (its support
for each claim); `decide` turns a support probability and the checks into a verdict, the decisive checks
(harness.checks.DECISIVE) overruling. `soft_minimum` is the summary-level score over the claims' p_support.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any

from harness.checks import DECISIVE, prefetch, run_checks
from harness.checks.base import CONFLICT, FAIL, MISSING, CheckResult, SourceFacts
from harness.claims import Claim
from harness.config import Config
from harness.evidence import Evidence
from harness.registry import ARTEFACT, CONTRADICTED, SUPPORTED, UNSUPPORTED


@dataclass
class Judgement:
    verdict: str
    p_support: float | None
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == FAIL]


def artefact_judgement(claim: Claim) -> Judgement:
    """Every judge's answer for an artefact: not a statement of fact, so no p_support."""
    return Judgement(ARTEFACT, None, [], f"not summary content: {claim.artefact}")


class Judge:
    """What every judge does: evidence -> checks -> decision. Artefacts are never scored; every other claim gets
    every check on its best evidence, the judge's own assessment of it (`assess`, the one thing a judge
    implements, for all of a candidate's claims at once so a model can batch them), and `verdict` turns
    assessment and checks into a judgement (by default `decide`: the decisive checks overrule).

    `name` is the judge's name in harness.toml (`[judge] name`); harness.judges registers every subclass
    that sets one. `option_names` says which `[judge] options` it takes (its `__init__` parameters unless
    overridden), `config_options` what it takes from the rest of the configuration instead."""

    name = ""
    threshold = 0.5

    @classmethod
    def config_options(cls, config: Config) -> dict[str, Any]:
        """The `__init__` arguments this judge takes from the run's configuration rather than from `[judge]
        options` (a model, a cache folder); a user may not set them as options. None by default."""
        return {}

    @classmethod
    def option_names(cls) -> list[str]:
        """The `[judge] options` this judge takes: by default its `__init__` parameters (named ones: a judge
        taking `**options` overrides this with the names it checks), less those `config_options` supplies."""
        supplied = cls.config_options(Config())
        return [
            p.name
            for p in inspect.signature(cls).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in supplied
        ]

    @classmethod
    def from_config(cls, config: Config | None = None, **options: Any) -> Judge:
        """The judge for a run: `options` from `[judge] options`, plus what `config_options` reads from
        `config` (nothing without a config: each then takes its default)."""
        supplied = cls.config_options(config) if config is not None else {}
        return cls(**{**supplied, **options})

    def assess(
        self, claims: list[Claim], evidence: list[list[Evidence]], checks: list[list[CheckResult]], sources: SourceFacts
    ) -> list:
        """For each claim (never an artefact), in order: (p_support, reason), or what `verdict` reads."""
        raise NotImplementedError

    def verdict(self, assessment, checks: list[CheckResult]) -> Judgement:
        p, reason = assessment
        return decide(p, checks, self.threshold, reason)

    def judge(self, claims: list[Claim], evidence: list[list[Evidence]], sources: SourceFacts) -> list[Judgement]:
        """One judgement per claim, in order."""
        todo = [i for i, c in enumerate(claims) if not c.is_artefact]
        prefetch([claims[i].match_text for i in todo])
        checks = [
            run_checks(claims[i].match_text, sources, evidence[i][0].passage.text if evidence[i] else None)
            for i in todo
        ]
        assessed = self.assess([claims[i] for i in todo], [evidence[i] for i in todo], checks, sources)
        judgements: list[Judgement] = [artefact_judgement(c) for c in claims]
        for i, found, assessment in zip(todo, checks, assessed):
            judgements[i] = self.verdict(assessment, found)
        return judgements


def decide(p: float, checks: list[CheckResult], threshold: float, reason: str) -> Judgement:
    """Turn a support probability and the checks into a verdict. A decisive check (numbers, dates,
    quotations) that finds a conflicting source statement makes the claim contradicted, one that finds a
    detail no source states makes it unsupported; p_support is lowered to match. Advisory checks (names,
    negation) only count through the judge's features."""
    failure = decisive_failure(checks)
    if failure == CONFLICT:
        return Judgement(CONTRADICTED, round(p * 0.1, 4), checks, "a fact check found a conflicting source statement")
    if failure == MISSING:
        return Judgement(UNSUPPORTED, round(p * 0.3, 4), checks, "a fact check found a detail the sources never state")
    return Judgement(SUPPORTED if p >= threshold else UNSUPPORTED, round(p, 4), checks, reason)


def decisive_failure(checks: list[CheckResult]) -> str:
    """CONFLICT if a decisive check found a conflicting statement, else MISSING if one found an unstated detail,
    else ''."""
    decisive = [c for c in checks if c.status == FAIL and c.check in DECISIVE]
    if any(c.kind == CONFLICT for c in decisive):
        return CONFLICT
    return MISSING if decisive else ""


def soft_minimum(values: list[float], sharpness: float = 10.0) -> float | None:
    """Summary-level consistency: a smooth minimum of the claims' p_support.

    One contradicted claim makes a summary inconsistent, so the summary score follows the weakest claim;
    the soft form (-log mean exp(-k p) / k) still rewards summaries whose other claims are well supported.
    """
    if not values:
        return None
    m = min(values)
    return m - math.log(sum(math.exp(-sharpness * (v - m)) for v in values) / len(values)) / sharpness
