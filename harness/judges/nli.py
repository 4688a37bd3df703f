"""The NLI judge: an NLI model reads each claim sentence by sentence (harness.judges.reader), and one learned,
calibrated combination of what it read, the evidence and the checks gives `p_support` and the verdict.

    [judge]
    name = "nli"
    options = { model = "harness-nli-minilm", reading = "sentences", premises = 2 }

Why a combination: the model alone misses what the checks see (a number or a name the sources never give)
and the checks alone miss what the model sees (a negated or reversed statement, a fact joined to the wrong
subject); each is weak where the other is strong. The combiner is a logistic regression over
`combiner_features`: the reader's outputs (NLI_FEATURES), the evidence similarity, the share of novel words and
one flag per check group (harness.judges.calibrated.FEATURES). Its weights are fitted on development data only
(SummEdits `val`, DocNLI pairs and one-edit variants of `../shared/nli` premises; never SummEdits `test` or
SummEval) by `benchmarks/fit_nli_judge.py`, and shipped with their card in harness/models/nli-combiner/. A model,
or a reading, other than the one the combiner was fitted for is read as it is: `p_support` is p(entailment).

The decisive checks overrule everything (`decide`). An advisory flag that the model confirms is not
overlooked: a claim whose negation or name check failed and which no premise entails (p(entailment) below
`CONFIRMS`) is never `supported`.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from harness.checks.declaration import FAIL, CheckResult, SourceFacts
from harness.config import Config
from harness.judges.calibrated import FEATURES, claim_features
from harness.judges.contract import Assessment, Judge, Judgement
from harness.judges.reader import NLIReader, Reading, check_reading
from harness.registry import CONTRADICTED, SUPPORTED, UNSUPPORTED
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import NLI_SHIPPED

COMBINER_FILE = "models/nli-combiner/combiner.json"  # in the package
NLI_FEATURES = ("nli_entailment", "nli_window_entailment", "nli_contradiction", "nli_margin")
ADVISORY_FLAGS = ("negation", "name")  # flags that count only when the model does not entail the claim
CONFIRMS = 0.5  # p(entailment) below which the model is taken to agree with a raised advisory flag


def reading_features(reading: Reading) -> dict[str, float]:
    """The reader's outputs as combiner features, each in [0, 1]: the best single sentence's p(entailment), the
    best window's (the single sentence's when no window was read), the strongest p(contradiction), and
    SummaC's margin (e - c + 1) / 2 at the single sentences."""
    contradiction = reading.p_contradiction or 0.0
    return {
        "nli_entailment": reading.p_sentence,
        "nli_window_entailment": reading.p_window if reading.p_window is not None else reading.p_sentence,
        "nli_contradiction": contradiction,
        "nli_margin": (reading.p_sentence - contradiction + 1) / 2,
    }


class Combiner:
    """A fitted logistic regression over named features: its JSON holds `features`, `coefficients`,
    `intercept`, `threshold` (the verdict's), `refute_threshold` and `model` (the NLI model it was fitted for)."""

    def __init__(self, params: dict[str, Any], source: str):
        try:
            self.features = tuple(params["features"])
            self.weights = [float(params["coefficients"][f]) for f in self.features]
            self.intercept = float(params["intercept"])
            self.threshold = float(params["threshold"])
            self.refute_threshold = float(params["refute_threshold"])
            self.model = str(params["model"])
            self.reading = dict(params.get("reading") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"combiner {source}: not a combiner file ({type(exc).__name__}: {exc})") from exc
        if not all(math.isfinite(w) for w in [*self.weights, self.intercept]):
            raise ValueError(f"combiner {source}: a weight is not a finite number")
        self.params = params

    @classmethod
    def load(cls, path: str | None = None) -> Combiner:
        """The shipped combiner, or the one in the JSON file `path`."""
        source = path or COMBINER_FILE
        try:
            text = (
                Path(path).read_text("utf-8")
                if path
                else resources.files("harness").joinpath(COMBINER_FILE).read_text("utf-8")
            )
            params = json.loads(text)
        except OSError as exc:
            raise ValueError(f"combiner {source}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"combiner {source}: not a JSON file ({exc})") from exc
        if not isinstance(params, dict):
            raise ValueError(f"combiner {source}: expected a JSON object, got {type(params).__name__}")
        return cls(params, source)

    def check_features(self, known: tuple[str, ...]) -> None:
        unknown = [f for f in self.features if f not in known]
        if unknown:
            raise ValueError(
                f"the combiner weighs {', '.join(unknown)}, which nothing computes any longer; "
                "refit it (benchmarks/fit_nli_judge.py)"
            )

    def fits(self, model: str, reading: str, premises: int) -> bool:
        """Whether these weights were fitted for this model read this way: weights fitted for one model and
        reading regime mean nothing for another."""
        return self.model == model and self.reading in ({}, {"regime": reading, "premises": premises})

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(w * features[f] for w, f in zip(self.weights, self.features))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def combiner_features(
    claim, evidence, checks: list[CheckResult], sources: SourceFacts, reading: Reading
) -> dict[str, float]:
    """Everything the combiner may weigh for one claim: the calibrated judge's evidence and check features and
    the reader's outputs."""
    return {**claim_features(claim, evidence, checks, sources), **reading_features(reading)}


class NLIJudge(Judge):
    """An NLI model reads each claim against single source sentences and windows of two; a fitted combiner
    turns that, the evidence and the checks into `p_support`. See the module docstring."""

    name = "nli"

    @classmethod
    def check_values(cls, options: dict[str, Any]) -> None:
        """Reading, premises and the thresholds in range, and a named combiner a readable combiner file."""
        check_reading(options.get("reading", "sentences"), options.get("premises", 2))
        for name in ("threshold", "refute_threshold"):
            value = options.get(name)
            if value is not None and not (
                isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0
            ):
                raise ValueError(f"{name} = {value!r}: expected a probability between 0 and 1")
        if options.get("combiner") is not None:
            if not isinstance(options["combiner"], str):
                raise ValueError(f"combiner = {options['combiner']!r}: expected the path of a combiner JSON file")
            Combiner.load(options["combiner"]).check_features(FEATURES + NLI_FEATURES)

    @classmethod
    def config_options(cls, config: Config) -> dict[str, Any]:
        """A cache folder for the model's (premise, claim) scores, shared with the crossencoder judge's."""
        return {"cache_dir": Path(config.cache) / "crossencoder"}

    def __init__(
        self,
        model: str = NLI_SHIPPED,
        reading: str = "sentences",
        premises: int = 2,
        combiner: str | None = None,
        threshold: float | None = None,
        refute_threshold: float | None = None,
        label: str | None = None,
        cache_dir: Path | None = None,
    ):
        self.check_values(
            {"reading": reading, "premises": premises, "threshold": threshold, "refute_threshold": refute_threshold}
        )
        self.encoder = CrossEncoder(model, cache_dir, label=label, nli="entailment")
        self.reader = NLIReader(self.encoder, reading, premises)
        fitted = Combiner.load(combiner)
        fitted.check_features(FEATURES + NLI_FEATURES)
        # a user's model, or the shipped one read another way, is read as it is, unless they fitted a combiner
        # for it and name it
        self.combiner = fitted if combiner or fitted.fits(model, reading, premises) else None
        default = self.combiner.threshold if self.combiner else 0.5
        self.threshold = threshold if threshold is not None else default
        default_refute = self.combiner.refute_threshold if self.combiner else 0.5
        self.refute_threshold = refute_threshold if refute_threshold is not None else default_refute

    def assess(self, claims, evidence, checks, sources) -> list[Assessment]:
        premises = [self.reader.premise_texts(c.match_text, ev, sources) for c, ev in zip(claims, evidence)]
        readings = self.reader.read([c.match_text for c in claims], premises)
        out = []
        for claim, ev, found, reading in zip(claims, evidence, checks, readings):
            read = f"NLI p(entailment) {reading.p_entailment:.2f}, best of {reading.premises_read} premise(s)"
            if reading.p_contradiction is not None:
                read += f", p(contradiction) {reading.p_contradiction:.2f}"
            if self.combiner is not None:
                p = self.combiner.probability(combiner_features(claim, ev, found, sources, reading))
                read = f"combined p = {p:.2f} ({read})"
            else:
                p = reading.p_entailment
            out.append(
                Assessment(
                    p,
                    read,
                    p_refuted=reading.p_contradiction,
                    p_entailment=reading.p_entailment,
                    premise=reading.premise,
                )
            )
        return out

    def verdict(self, assessment: Assessment, checks: list[CheckResult]) -> Judgement:
        """`decide`, then: a claim an advisory check flagged (negation, a name) and the model does not entail
        is not supported; contradicted when the model reads a refutation, else unsupported."""
        judgement = super().verdict(assessment, checks)
        flagged = [c.check for c in checks if c.status == FAIL and c.check in ADVISORY_FLAGS]
        if judgement.verdict != SUPPORTED or not flagged or (assessment.p_entailment or 0.0) >= CONFIRMS:
            return judgement
        refuted = (assessment.p_refuted or 0.0) >= self.refute_threshold
        return replace(
            judgement,
            verdict=CONTRADICTED if refuted else UNSUPPORTED,
            p_support=round(min(judgement.p_support or 0.0, self.threshold * 0.99), 4),
            reason=f"{judgement.reason}; the {' and '.join(flagged)} check's flag, confirmed by the model",
        )
