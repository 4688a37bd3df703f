"""The gate's checks: does a run meet its thresholds, and did it get worse than a baseline?

Thresholds (`[gate.thresholds]` in harness.toml, overridable per story and per system) bound a metric from
below (`min_<metric>`) or above (`max_<metric>`). They apply to every candidate and to each system's mean.

Regression against a baseline: candidates are matched by (story, candidate id). A candidate regresses on a
metric when it is worse than its baseline by more than the metric's tolerance. A system regresses when the
mean paired change over its matched candidates is worse than the tolerance *and* a paired bootstrap 95%
interval of that mean lies entirely on the worse side. New candidates are listed (and still held to the
thresholds); missing ones are listed and fail the gate unless `fail_on_missing = false`; a baseline with no
matched candidate can never pass, and neither can a run with no candidate. A metric missing for any reason
other than not applying (an error row, no scorable claim) fails. Which way each metric is worse is
harness.registry's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.config.gate_settings import GateConfig
from harness.document import did_you_mean
from harness.gate.outcome import GateCheck, GateReport, failing_claims, listed, not_applicable, not_applicable_reason
from harness.gate.run_files import candidate_records, stories_of
from harness.registry import FAILING, GATED, NEEDS_KEY_FACTS, NEEDS_REFERENCE_SUMMARY, lower_is_better


def _worse_by(metric: str, current: float, baseline: float) -> float:
    """How much worse the current value is (positive = worse), in the metric's own units."""
    return (current - baseline) if lower_is_better(metric) else (baseline - current)


def _threshold_failures(
    metrics: dict[str, Any], thresholds: dict[str, float], na: tuple[str, ...] = ()
) -> tuple[list[str], list[str]]:
    """The thresholds these metrics fail, and those not applied because their metric is in `na` (not
    applicable); a metric that is merely missing fails."""
    failures, skipped = [], []
    for key, limit in sorted(thresholds.items()):
        bound, _, metric = key.partition("_")
        value = metrics.get(metric)
        if metric in na:
            skipped.append(key)
        elif value is None:
            failures.append(f"{metric} is not available (needed: {bound} {limit:g})")
        elif (bound == "min" and value < limit) or (bound == "max" and value > limit):
            failures.append(f"{metric} {value:.4g} {'<' if bound == 'min' else '>'} {bound} {limit:g}")
    return failures, skipped


def _threshold_message(failures: list[str], skipped: list[str], why: str, thresholds: dict[str, float]) -> str:
    message = "; ".join(failures) or ("meets thresholds" if thresholds else "no thresholds set")
    return message + (f" ({', '.join(skipped)} not applied: {why})" if skipped else "")


def bootstrap_interval(deltas: np.ndarray, samples: int, seed: int) -> tuple[float, float]:
    """95% percentile interval of the mean of paired deltas, resampling candidates with replacement."""
    rng = np.random.default_rng(seed)
    means = deltas[rng.integers(0, len(deltas), size=(samples, len(deltas)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate_gate(
    current: dict[str, Any],
    baseline: dict[str, Any] | None,
    gate: GateConfig,
    baseline_name: str | None = None,
    empty: str | None = None,
) -> GateReport:
    """Every check of the run. The built-in ones need no settings: a candidate that could not be read, or
    that has no scorable claim, fails; against a baseline, a candidate that gains a contradicted claim
    fails (DEFAULT_TOLERANCE). `empty`: the nothing-to-check line, when there is neither a baseline nor a
    threshold and the user did not ask for the built-in checks alone; the gate then fails with it."""
    records = candidate_records(current)
    checks: list[GateCheck] = []
    if empty:
        checks.append(GateCheck("run", "gate", "empty", False, empty))
    if not records:
        checks.append(GateCheck("run", "candidates", "error", False, "the run holds no candidate: nothing was gated"))
    by_key = {(r["story"], r["id"]): r for r in records}
    no_key_facts: set[str] = set()
    not_applied: set[str] = set()
    no_summary: set[str] = set()
    for record in records:
        name = f"{record['story']}/{record['id']}" if record["story"] else record["id"]
        if record["status"] != "ok":
            checks.append(GateCheck("candidate", name, "error", False, f"could not be evaluated: {record['error']}"))
            continue
        if record["metrics"].get("scored_claims") == 0:
            checks.append(
                GateCheck("candidate", name, "unscored", False, "no scorable claim: faithfulness cannot be judged")
            )
        na = not_applicable(record["metrics"])
        if record["metrics"].get("key_facts") == 0:
            no_key_facts.add(record["story"])
        thresholds = gate.thresholds_for(record["story"], record["system"])
        failures, skipped = _threshold_failures(record["metrics"], thresholds, na)
        not_applied.update(k for k in skipped if k.partition("_")[2] in NEEDS_KEY_FACTS)
        if any(k.partition("_")[2] in NEEDS_REFERENCE_SUMMARY for k in skipped):
            no_summary.add(name)
        checks.append(
            GateCheck(
                "candidate",
                name,
                "threshold",
                not failures,
                _threshold_message(failures, skipped, not_applicable_reason(skipped), thresholds),
                failing_claims(record) if failures else [],
            )
        )
    systems: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["status"] == "ok":
            systems.setdefault(record["system"], []).append(record)
    for system, members in sorted(systems.items()):
        means = {
            m: float(np.mean([r["metrics"][m] for r in members if r["metrics"].get(m) is not None]))
            for m in GATED
            if any(r["metrics"].get(m) is not None for r in members)
        }
        na = tuple(m for m in set().union(*(not_applicable(r["metrics"]) for r in members)) if m not in means)
        thresholds = gate.thresholds_for(None, system)
        failures, skipped = _threshold_failures(means, thresholds, na)
        checks.append(
            GateCheck(
                "system",
                system,
                "threshold",
                not failures,
                _threshold_message(failures, skipped, not_applicable_reason(skipped, per_system=True), thresholds),
            )
        )
    new: list[str] = []
    missing: list[str] = []
    matched = 0
    if baseline is not None:
        base = {(r["story"], r["id"]): r for r in candidate_records(baseline) if r["status"] == "ok"}
        new = sorted(f"{s}/{i}" for s, i in by_key if (s, i) not in base and by_key[(s, i)]["status"] == "ok")
        missing = sorted(f"{s}/{i}" for s, i in base if (s, i) not in by_key)
        pairs = [(by_key[k], base[k]) for k in sorted(base) if k in by_key and by_key[k]["status"] == "ok"]
        matched = len(pairs)
        if matched == 0:
            checks.append(
                GateCheck(
                    "run",
                    "baseline",
                    "regression",
                    False,
                    f"no candidate matches the baseline: it holds stories {listed(stories_of(baseline))}, "
                    f"this run {listed(stories_of(current))} (record a baseline for this run with "
                    "`harness baseline`, or pass --no-baseline)",
                )
            )
        for cur, old in pairs:
            worse = []
            for metric, tolerance in sorted(gate.tolerance.items()):
                a, b = cur["metrics"].get(metric), old["metrics"].get(metric)
                if a is not None and b is not None and _worse_by(metric, a, b) > tolerance + 1e-9:
                    worse.append(f"{metric} {b:.4g} -> {a:.4g} (tolerance {tolerance:g})")
            new_failures = _newly_failing(cur, old)
            checks.append(
                GateCheck(
                    "candidate",
                    f"{cur['story']}/{cur['id']}",
                    "regression",
                    not worse,
                    "; ".join(worse) or "no regression",
                    new_failures if worse else [],
                )
            )
        checks.extend(_system_regressions(pairs, gate))
        for name in missing:
            checks.append(
                GateCheck("candidate", name, "missing", not gate.fail_on_missing, "in the baseline but not in this run")
            )
    unknown = unknown_tables(gate, records)
    return GateReport(
        checks,
        matched,
        new,
        missing,
        baseline_name,
        sorted(no_key_facts),
        sorted(not_applied),
        sorted(no_summary),
        unknown,
    )


def _newly_failing(current: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """The failing claims whose text did not already fail in the baseline (the likely cause of a
    regression); all failing claims when none is new (e.g. a claim got worse evidence)."""
    failing_before = {c["text"] for c in baseline.get("claims", []) if c["verdict"] in FAILING}
    new = failing_claims({"claims": [c for c in current.get("claims", []) if c["text"] not in failing_before]})
    return new or failing_claims(current)


def _system_regressions(pairs: list[tuple[dict, dict]], gate: GateConfig) -> list[GateCheck]:
    by_system: dict[str, list[tuple[dict, dict]]] = {}
    for cur, old in pairs:
        by_system.setdefault(cur["system"], []).append((cur, old))
    checks = []
    for system, members in sorted(by_system.items()):
        worse = []
        for metric, tolerance in sorted(gate.tolerance.items()):
            deltas = np.array(
                [
                    -_worse_by(metric, c["metrics"][metric], o["metrics"][metric])
                    for c, o in members
                    if c["metrics"].get(metric) is not None and o["metrics"].get(metric) is not None
                ]
            )
            if len(deltas) == 0:
                continue
            low, high = bootstrap_interval(deltas, gate.bootstrap_samples, gate.seed)
            if -deltas.mean() > tolerance + 1e-9 and high < 0:
                worse.append(
                    f"{metric} mean change {deltas.mean():+.4g} (95% CI {low:+.4g} to {high:+.4g}, "
                    f"n={len(deltas)}, tolerance {tolerance:g})"
                )
        checks.append(
            GateCheck("system", system, "regression", not worse, "; ".join(worse) or "no significant regression")
        )
    return checks


def baseline_deltas(current: dict[str, Any], baseline: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Change of each gated metric against the baseline: per matched candidate, and per system (mean)."""
    metrics = sorted(GATED)
    base = {(r["story"], r["id"]): r for r in candidate_records(baseline) if r["status"] == "ok"}
    per_candidate: dict[str, dict[str, float]] = {}
    per_system: dict[str, dict[str, list[float]]] = {}
    for record in candidate_records(current):
        old = base.get((record["story"], record["id"]))
        if record["status"] != "ok" or old is None:
            continue
        changes = {
            m: record["metrics"][m] - old["metrics"][m]
            for m in metrics
            if record["metrics"].get(m) is not None and old["metrics"].get(m) is not None
        }
        per_candidate[f"{record['story']}/{record['id']}"] = changes
        for m, value in changes.items():
            per_system.setdefault(record["system"], {}).setdefault(m, []).append(value)
    return per_candidate, {s: {m: float(np.mean(v)) for m, v in d.items()} for s, d in per_system.items()}


def unknown_tables(gate: GateConfig, records: list[dict[str, Any]]) -> list[str]:
    """`[gate.story.X]` and `[gate.system.Y]` tables that name no story or system of the run, each with the
    closest name it may have meant ("[gate.story.cruise-death] (did you mean 'cruise-deaths'?)")."""
    stories, systems = {r["story"] for r in records}, {r["system"] for r in records}
    return [f"[gate.story.{s}]{did_you_mean(s, stories)}" for s in sorted(gate.stories) if s not in stories] + [
        f"[gate.system.{s}]{did_you_mean(s, systems)}" for s in sorted(gate.systems) if s not in systems
    ]
