"""The `[gate]` settings: thresholds (global, per story, per system), probe minimums, the tolerance against a
baseline and how that comparison is made, read from harness.toml or from the copy a run recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.values import Range, check_number, check_text, shown
from harness.document import InputError, did_you_mean
from harness.registry import COUNT, GATED, METRICS, MUST_ACCEPT, MUST_CATCH, SHARE

BASELINE_IN_REPORTS = Path("baseline/baseline.json")  # the baseline's place in a reports folder, unless configured
DEFAULT_BASELINE = Path("reports") / BASELINE_IN_REPORTS  # so with the default reports folder
# a candidate may not gain a contradicted or unsupported claim or an artefact against its baseline, nor lose more
# than 0.05 of these scores (the built-in regression check)
DEFAULT_TOLERANCE = {
    "faithfulness": 0.05,
    "consistency": 0.05,
    "weighted_coverage": 0.05,
    "contradicted": 0,
    "unsupported": 0,
    "artefact": 0,  # a chatbot leftover or a field dump would hide a false statement from the judge
}


@dataclass
class GateConfig:
    """The `[gate]` settings: thresholds (global, per story, per system), the tolerance against a baseline,
    and how that comparison is made (harness.gate)."""

    thresholds: dict[str, float] = field(default_factory=dict)  # "min_faithfulness" -> 0.3
    probe: dict[str, float] = field(default_factory=dict)  # "min_catch_negation" -> 0.8 (`harness probe`)
    stories: dict[str, dict[str, float]] = field(default_factory=dict)  # story -> thresholds
    systems: dict[str, dict[str, float]] = field(default_factory=dict)  # system -> thresholds
    tolerance: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TOLERANCE))
    baseline: str | None = None  # none: thresholds only
    fail_on_missing: bool = True
    bootstrap_samples: int = 2000
    seed: int = 0

    def thresholds_for(self, story: str | None, system: str | None) -> dict[str, float]:
        """Global thresholds, then the story's, then the system's: the most specific wins."""
        merged = dict(self.thresholds)
        merged.update(self.stories.get(story or "", {}))
        merged.update(self.systems.get(system or "", {}))
        return merged


# [gate] settings and the values they may take (thresholds are any finite number).
GATE_RANGES = {
    "bootstrap_samples": Range(100, 100_000, integer=True),  # fewer gives no interval; the resampling holds samples x n
    "seed": Range(0, integer=True),  # numpy refuses negative seeds
}
GATE_KEYS = ("thresholds", "story", "system", "tolerance", "baseline", "fail_on_missing", "probe", *GATE_RANGES)
THRESHOLD = Range()
TOLERANCE = Range(0)


def _table(value: Any, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(path, f"expected a table, got {shown(value)}", where)
    return value


def _check_thresholds(where: str, table: Any, path: Path) -> dict[str, float]:
    """`min_<metric>` and `max_<metric>` bounds, each of a metric the gate knows (harness.evaluation.metrics)."""
    thresholds = {}
    for key, value in _table(table, path, where).items():
        bound, _, metric = key.partition("_")
        if bound not in ("min", "max") or metric not in GATED:
            raise InputError(
                path,
                f"unknown threshold '{key}'{did_you_mean(key, [f'{b}_{m}' for b in ('min', 'max') for m in GATED])}: "
                "expected min_<metric> or max_<metric> with a metric of " + ", ".join(sorted(GATED)),
                f"{where}.{key}",
            )
        thresholds[key] = check_number(value, _metric_range(metric), path, f"{where}.{key}")
    return thresholds


def _metric_range(metric: str) -> Range:
    """The values a metric can take, so a threshold it can never meet (min_faithfulness = 5) is refused:
    a share lies in [0, 1], a count is at least 0, a score is any finite number."""
    kind = METRICS[metric].kind
    return Range(0, 1) if kind == SHARE else Range(0) if kind == COUNT else THRESHOLD


def _check_probe(where: str, table: Any, path: Path) -> dict[str, float]:
    """`min_catch_<kind>` for an edit the judge must catch, `min_accept_<kind>` for one it must accept
    (harness.measure.probe.KINDS), each a rate in [0, 1]."""
    allowed = [f"min_catch_{k}" for k in MUST_CATCH] + [f"min_accept_{k}" for k in MUST_ACCEPT]
    minimums = {}
    for key, value in _table(table, path, where).items():
        if key not in allowed:
            raise InputError(
                path,
                f"unknown probe minimum '{key}'{did_you_mean(key, allowed)}: expected one of {', '.join(allowed)}",
                f"{where}.{key}",
            )
        minimums[key] = check_number(value, Range(0, 1), path, f"{where}.{key}")
    return minimums


def _check_tolerance(where: str, table: Any, path: Path) -> dict[str, float]:
    """The defaults, with the metrics the table names replaced."""
    tolerance = dict(DEFAULT_TOLERANCE)
    for metric, value in _table(table, path, where).items():
        if metric not in GATED:
            raise InputError(
                path,
                f"unknown metric{did_you_mean(metric, GATED)} (expected one of {', '.join(sorted(GATED))})",
                f"{where}.{metric}",
            )
        tolerance[metric] = check_number(value, TOLERANCE, path, f"{where}.{metric}")
    return tolerance


def gate_config(table: Any, path: Path, where: str) -> GateConfig:
    """GateConfig from a `[gate]` table: a config file's, or the one a run recorded in its run.json
    (`gate.settings`), checked alike. A relative baseline is resolved against `path`'s folder."""
    table = _table(table, path, where)
    for key in table:
        if key not in GATE_KEYS:
            hint = did_you_mean(key, GATE_KEYS)
            if not hint and key.partition("_")[0] in ("min", "max"):  # a threshold one table too high
                hint = f" (a threshold: put it under [{where}.thresholds])"
            raise InputError(
                path, f"unknown key{hint} (expected one of {', '.join(sorted(GATE_KEYS))})", f"{where}.{key}"
            )
    gate = GateConfig(
        thresholds=_check_thresholds(f"{where}.thresholds", table.get("thresholds", {}), path),
        stories={
            s: _check_thresholds(f"{where}.story.{s}", t, path)
            for s, t in _table(table.get("story", {}), path, f"{where}.story").items()
        },
        systems={
            s: _check_thresholds(f"{where}.system.{s}", t, path)
            for s, t in _table(table.get("system", {}), path, f"{where}.system").items()
        },
        tolerance=_check_tolerance(f"{where}.tolerance", table.get("tolerance", {}), path),
        probe=_check_probe(f"{where}.probe", table.get("probe", {}), path),
    )
    if "baseline" in table:
        baseline = Path(check_text(table["baseline"], path, f"{where}.baseline"))
        gate.baseline = str(baseline if baseline.is_absolute() else path.parent / baseline)
    if "fail_on_missing" in table:
        if not isinstance(table["fail_on_missing"], bool):  # "no" would otherwise read as true
            raise InputError(
                path, f"expected true or false, got {shown(table['fail_on_missing'])}", f"{where}.fail_on_missing"
            )
        gate.fail_on_missing = table["fail_on_missing"]
    for key, allowed_range in GATE_RANGES.items():
        if key in table:
            setattr(gate, key, check_number(table[key], allowed_range, path, f"{where}.{key}"))
    return gate
