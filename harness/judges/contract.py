"""What every judge shares: the judgement of a claim, the way evidence and checks become one, and the
hook by which a judge is built from a run's configuration.

A judge subclasses `Judge`, which owns evidence -> checks -> decision, and implements `assess` (its support
for each claim); `decide` turns a support probability and the checks into a verdict, the decisive checks
(harness.checks.DECISIVE) overruling. `soft_minimum` is the summary-level score over the claims' p_support.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from harness.checks import DECISIVE, prefetch, run_checks
from harness.checks.declaration import CONFLICT, FAIL, MISSING, CheckResult, SourceFacts
from harness.config import Config
from harness.reading.claims import Claim
from harness.reading.retrieval import Evidence
from harness.registry import ARTEFACT, CONTRADICTED, SUPPORTED, UNSUPPORTED
from harness.runtime.cross_encoders import CrossEncoder


@dataclass(frozen=True)
class Assessment:
    """A judge's reading of one claim, before the checks have their say: what `Judge.assess` returns per claim.

    `p_support` is the judge's probability that the sources back the claim; `reason` says why in words.
    The rest is optional, each for the judges that have it:
    - `p_refuted`: how surely the sources contradict the claim (a model with a contradiction class); at or above
      the judge's `refute_threshold`, a claim it does not support is `contradicted` rather than `unsupported`;
    - `verdict`: a verdict the judge names itself (an LLM's answer), used unless a decisive check overrules it;
    - `error`: why the judge could not read the claim (a failed request, an unreadable reply): the claim is then
      `unsupported` with the error in its reason, and the run counts it as a judge failure;
    - `p_entailment`, `premise`: an NLI reader's best p(entailment) and the source text that gave it, shown in
      claims.csv and the report so a verdict can be checked by eye.
    """

    p_support: float
    reason: str
    p_refuted: float | None = None
    verdict: str | None = None
    error: str | None = None
    p_entailment: float | None = None
    premise: str = ""


@dataclass
class JudgeUsage:
    """What a judge's work has cost, for run.json's `judge_usage` and the run's failure share: requests sent to a
    model endpoint, answers read from the judge's cache instead, claims it could not read (a failed request, an
    unreadable reply) and the endpoint's token counts. All zero for a judge that calls no endpoint."""

    requests: int = 0
    cached: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, counts: dict[str, int]) -> None:
        """Add an endpoint's counts (its reply's `usage`); names this record does not keep are ignored."""
        for name in USAGE_COUNTS:
            setattr(self, name, getattr(self, name) + int(counts.get(name, 0)))

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in USAGE_COUNTS}

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """The counts added after `before` (an earlier `counts()`)."""
        return {name: value - before.get(name, 0) for name, value in self.counts().items()}


USAGE_COUNTS = tuple(f.name for f in fields(JudgeUsage))  # run.json's `judge_usage` keys


def judge_failures(usage: dict[str, int]) -> tuple[int, int]:
    """(claims the judge failed on, claims it was asked about) from `judge_usage` counts."""
    return usage.get("errors", 0), usage.get("requests", 0) + usage.get("cached", 0)


@dataclass
class Judgement:
    verdict: str
    p_support: float | None
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""
    p_entailment: float | None = None  # an NLI reader's p(entailment) at the premise that decided
    p_contradiction: float | None = None  # its strongest p(contradiction) over the premises read
    premise: str = ""  # that premise: a source sentence or two adjacent ones

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
    # p_refuted at which an unsupported claim is contradicted: never, unless a judge reads refutations
    refute_threshold = math.inf
    # the cross-encoder a judge reads with, if any: coverage reuses it rather than load the same model twice
    encoder: CrossEncoder | None = None

    @property
    def usage(self) -> JudgeUsage:
        """What this judge's work has cost so far; made on first use, so a judge's `__init__` owes nothing."""
        if "_usage" not in self.__dict__:
            self.__dict__["_usage"] = JudgeUsage()
        return self.__dict__["_usage"]

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
    def check_values(cls, options: dict[str, Any]) -> None:
        """A ValueError naming the first option whose value this judge cannot take, found without loading any
        model, so `harness validate` says it too; nothing by default (the constructor checks what it reads)."""

    @classmethod
    def from_config(cls, config: Config | None = None, **options: Any) -> Judge:
        """The judge for a run: `options` from `[judge] options`, plus what `config_options` reads from
        `config` (nothing without a config: each then takes its default)."""
        supplied = cls.config_options(config) if config is not None else {}
        return cls(**{**supplied, **options})

    def assess(
        self, claims: list[Claim], evidence: list[list[Evidence]], checks: list[list[CheckResult]], sources: SourceFacts
    ) -> list[Assessment]:
        """One Assessment per claim (never an artefact), in order."""
        raise NotImplementedError

    def verdict(self, assessment: Assessment, checks: list[CheckResult]) -> Judgement:
        """The assessment and the checks as one judgement (`decide`), with what the judge read kept beside it."""
        judgement = decide(assessment, checks, self.threshold, self.refute_threshold)
        return replace(
            judgement,
            p_entailment=assessment.p_entailment,
            p_contradiction=assessment.p_refuted,
            premise=assessment.premise,
        )

    def judge(self, claims: list[Claim], evidence: list[list[Evidence]], sources: SourceFacts) -> list[Judgement]:
        """One judgement per claim, in order."""
        todo = [i for i, c in enumerate(claims) if not c.is_artefact]
        prefetch([claims[i].match_text for i in todo])
        checks = [
            run_checks(claims[i].match_text, sources, evidence[i][0].passage.text if evidence[i] else None)
            for i in todo
        ]
        assessed = self.assess([claims[i] for i in todo], [evidence[i] for i in todo], checks, sources)
        if len(assessed) != len(todo) or not all(isinstance(a, Assessment) for a in assessed):
            raise TypeError(
                f"judge '{self.name}': assess must return one harness.judges.contract.Assessment per claim "
                f"({len(todo)} claims), got {type(assessed).__name__} of {len(assessed)}: "
                f"{sorted({type(a).__name__ for a in assessed})}"
            )
        judgements: list[Judgement] = [artefact_judgement(c) for c in claims]
        for i, found, assessment in zip(todo, checks, assessed):
            judgements[i] = self.verdict(assessment, found)
        return judgements


def decide(
    assessment: Assessment, checks: list[CheckResult], threshold: float, refute_threshold: float = math.inf
) -> Judgement:
    """Turn an assessment and the checks into a verdict. A decisive check (numbers, dates, quotations) that
    finds a conflicting source statement makes the claim contradicted, one that finds a detail no source states
    makes it unsupported; p_support is lowered to match. Advisory checks (names, negation) only count through
    the judge's features. Then, in order: a judge's error makes the claim unsupported; a verdict the judge
    named stands; a claim below `threshold` is contradicted when `p_refuted` reaches `refute_threshold`."""
    p, reason = assessment.p_support, assessment.reason
    failure = decisive_failure_kind(checks)
    if failure == CONFLICT:
        why = "a fact check found a conflicting source statement"
        return Judgement(CONTRADICTED, round(p * 0.1, 4), checks, _with_error(why, assessment.error))
    if failure == MISSING:
        why = "a fact check found a detail the sources never state"
        return Judgement(UNSUPPORTED, round(p * 0.3, 4), checks, _with_error(why, assessment.error))
    if assessment.error:
        return Judgement(UNSUPPORTED, round(p, 4), checks, assessment.error)
    if assessment.verdict is not None:
        return Judgement(assessment.verdict, round(p, 4), checks, reason)
    if p >= threshold:
        return Judgement(SUPPORTED, round(p, 4), checks, reason)
    if (assessment.p_refuted or 0.0) >= refute_threshold:
        return Judgement(CONTRADICTED, round(p, 4), checks, reason + ": the model reads a refutation")
    return Judgement(UNSUPPORTED, round(p, 4), checks, reason)


def _with_error(reason: str, error: str | None) -> str:
    return f"{reason}; {error}" if error else reason


def decisive_failure_kind(checks: list[CheckResult]) -> str:
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
