"""The harness's vocabulary, stated once: verdict names, the metric registry and the probe's edit kinds.

Plain names and records with no harness imports, at the bottom of the import graph, so the configuration
(which checks a threshold names a metric, a probe minimum an edit kind), the judges, the metrics, the reports
and the gate all read the same facts without importing each other.

`METRICS` is the one list of what a candidate is scored on: each metric's name, label, direction and
format. The gate (which metrics it can hold to a threshold, which way is worse), the reports (column order,
labels, per-system sums or means) and the pipeline read it, so a new metric is added here and computed by
the pipeline (harness.evaluation.metrics), nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ---- verdicts -----------------------------------------------------------------------------------------

SUPPORTED, CONTRADICTED, UNSUPPORTED, ARTEFACT = "supported", "contradicted", "unsupported", "artefact"
VERDICTS = (SUPPORTED, CONTRADICTED, UNSUPPORTED, ARTEFACT)

# ---- the registry -------------------------------------------------------------------------------------

HIGHER, LOWER = "higher", "lower"  # which way a metric is better
SHARE, SCORE, COUNT = "share", "score", "count"  # a fraction in [0, 1], another real number, a whole number
ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
ROUGE_LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeLsum": "ROUGE-Lsum"}
ROUGE_AGGREGATES = ("max", "mean")  # over a story's references: the best match, and the average
FAILING = (CONTRADICTED, UNSUPPORTED)  # the verdicts that count against a summary (artefacts are not scored)


def formatted(value: Any, digits: int = 3) -> str:
    """A metric value as the reports show it: a dash for none, a whole number as it is, a fraction to
    `digits` decimals (a system's mean of a count is a fraction too)."""
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Metric:
    """What the harness knows about one metric besides its value."""

    label: str  # how the reports name it (report.html's column heading)
    better: str | None  # HIGHER or LOWER; None: a description (length, compression), never gated
    kind: str  # SHARE, SCORE or COUNT: what a value is, and so how it is shown
    total: bool = False  # per system the sum over its candidates (claim counts); otherwise the mean
    needs_key_facts: bool = False  # not applicable to a story without key facts (there is nothing to cover)
    needs_reference_summary: bool = False  # not applicable to a story that declares no reference summary
    digits: int = 3  # decimals a fractional value is shown with

    def format(self, value: Any) -> str:
        return formatted(value, self.digits)


def rouge_name(rouge_type: str, aggregate: str) -> str:
    """The metric name of a ROUGE type aggregated over references: `rouge1_max`, `rougeLsum_mean`."""
    return f"{rouge_type}_{aggregate}"


def summary_rouge_name(rouge_type: str) -> str:
    """The metric name of a ROUGE type against the story's declared reference summaries (best over them):
    `rouge1_summary`. The `_max`/`_mean` ones are against the source articles."""
    return f"{rouge_type}_summary"


def _rouge_label(rouge_type: str, aggregate: str) -> str:
    label = ROUGE_LABELS[rouge_type]
    return label if aggregate == "max" else f"{label} (mean over references)"


def _verdict_count(verdict: str) -> Metric:
    better = HIGHER if verdict == SUPPORTED else LOWER
    return Metric("artefacts" if verdict == ARTEFACT else verdict, better, COUNT, total=True)


# Every metric of a candidate, in the order of the candidates.csv columns (the order the pipeline makes them).
_CLAIM_COUNTS = {
    "claims": Metric("claims", None, COUNT, total=True),
    "scored_claims": Metric("scored claims", None, COUNT, total=True),
    **{verdict: _verdict_count(verdict) for verdict in VERDICTS},
}
_FAITHFULNESS = {  # the share of supported claims, the judge's mean, the summary score
    "faithfulness": Metric("faithfulness", HIGHER, SHARE),
    "mean_p_support": Metric("mean p(support)", HIGHER, SHARE),
    "consistency": Metric("consistency", HIGHER, SHARE),
}
_COVERAGE = {  # of the story's key facts
    "key_facts": Metric("key facts", None, COUNT),
    "key_facts_covered": Metric("key facts covered", HIGHER, COUNT, needs_key_facts=True),
    "coverage": Metric("coverage", HIGHER, SHARE, needs_key_facts=True),
    "weighted_coverage": Metric("key-fact coverage", HIGHER, SHARE, needs_key_facts=True),
}
_OVERLAP = {  # with the references
    **{rouge_name(t, a): Metric(_rouge_label(t, a), HIGHER, SHARE) for t in ROUGE_TYPES for a in ROUGE_AGGREGATES},
    "semantic_similarity": Metric("similarity", HIGHER, SCORE),
    "reference_summaries": Metric("reference summaries", None, COUNT),
    **{
        summary_rouge_name(t): Metric(
            f"{ROUGE_LABELS[t]} vs reference summary", HIGHER, SHARE, needs_reference_summary=True
        )
        for t in ROUGE_TYPES
    },
}
_FORM = {  # how the summary is made, copied fragments and length: no better direction
    "fragment_coverage": Metric("fragment coverage", None, SHARE),
    "fragment_density": Metric("density", None, SCORE),
    "compression": Metric("compression", None, SCORE),
    "words": Metric("words", None, COUNT),
    "sentences": Metric("sentences", None, COUNT),
}
METRICS: dict[str, Metric] = {**_CLAIM_COUNTS, **_FAITHFULNESS, **_COVERAGE, **_OVERLAP, **_FORM}
GATED = frozenset(name for name, metric in METRICS.items() if metric.better)  # what thresholds may bound
# The shares before the count, as every warning has named them.
NEEDS_KEY_FACTS = tuple(
    sorted((n for n, m in METRICS.items() if m.needs_key_facts), key=lambda n: METRICS[n].kind == COUNT)
)

NEEDS_REFERENCE_SUMMARY = tuple(n for n, m in METRICS.items() if m.needs_reference_summary)


def lower_is_better(name: str) -> bool:
    return METRICS[name].better == LOWER


def in_registry_order(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with the registry's metrics first, in its order (the CSV column order), then any other key
    as it came (a result cached by an older version)."""
    rank = {name: i for i, name in enumerate(METRICS)}
    return dict(sorted(values.items(), key=lambda item: rank.get(item[0], len(rank))))


# ---- the probe's edit kinds (harness probe) -----------------------------------------------------------

CAUGHT, ACCEPTED = "caught", "accepted"  # what each kind expects of the judge


@dataclass(frozen=True)
class Kind:
    expect: str  # CAUGHT or ACCEPTED
    description: str
    example: str  # before -> after, as the README shows it


KINDS: dict[str, Kind] = {
    "original": Kind(ACCEPTED, "the source sentence itself", "unchanged"),
    "reorder": Kind(
        ACCEPTED,
        "a leading or trailing clause moved to the other end",
        "X was freed after talks. -> After talks, X was freed.",
    ),
    "synonym": Kind(ACCEPTED, "one word for a synonym of its part of speech, inflected alike", "said -> stated"),
    "drop_modifier": Kind(
        ACCEPTED,
        "a parenthetical, an -ly adverb or an adjective that does not change the claim dropped",
        "X (a critic) was freed. -> X was freed.",
    ),
    "negation": Kind(CAUGHT, "a negation inserted or removed", "was freed -> was not freed"),
    "antonym": Kind(CAUGHT, "one word for a WordNet antonym of its part of speech", "taken -> given"),
    "entity": Kind(CAUGHT, "a name for another of the same type and function from the story", "Spain -> Italy"),
    "roles": Kind(CAUGHT, "two names of one type and function exchange places", "A beat B -> B beat A"),
    "number": Kind(CAUGHT, "a number changed", "five -> 5 stays; 800 -> 1200"),
    "date": Kind(CAUGHT, "a weekday, day, month, year, season or relative date changed", "last year -> last month"),
    "quote": Kind(
        CAUGHT, "one word of a quotation for a source word of its tag", '"a tragic accident" -> "a tragic dispute"'
    ),
    "other_story": Kind(CAUGHT, "a sentence from another story added", "needs two or more stories"),
}
MUST_CATCH = tuple(k for k, v in KINDS.items() if v.expect == CAUGHT)
MUST_ACCEPT = tuple(k for k, v in KINDS.items() if v.expect == ACCEPTED)
