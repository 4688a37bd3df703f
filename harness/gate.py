"""The gate: does a run meet its thresholds, and did it get worse than a baseline?

Thresholds (`[gate.thresholds]` in harness.toml, overridable per story and per system) bound a metric from
below (`min_<metric>`) or above (`max_<metric>`). They apply to every candidate and to each system's mean.

Regression against a baseline: candidates are matched by (story, candidate id). A candidate regresses on a
metric when it is worse than its baseline by more than the metric's tolerance. A system regresses when the
mean paired change over its matched candidates is worse than the tolerance *and* a paired bootstrap 95%
interval of that mean lies entirely on the worse side. New candidates are listed (and still held to the
thresholds); missing ones are listed and fail the gate unless `fail_on_missing = false`; a baseline with no
matched candidate can never pass, and neither can a run with no candidate.

A metric a story cannot have is not applicable, not missing: without key facts there is nothing to cover,
so coverage thresholds neither pass nor fail its candidates (the gate says so in a warning and in each
check's message). A metric missing for any other reason (an error row, no scorable claim) fails.

Console output is a summary of at most CONSOLE_LINES lines whatever the run size; the Markdown and JUnit
files hold every check.

Every input is checked where it is read: `[gate]` settings by harness.config (with the rest of the config),
run and baseline files against the schemas below. A bad one is an InputError naming the file and the field
(exit 2), never a traceback that would read as a gate failure. Which metrics can be gated, and which way each
is worse, is harness.metrics's registry.
"""

from __future__ import annotations

import json
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from harness.config import BASELINE_IN_REPORTS, GateConfig, gate_config
from harness.document import InputError
from harness.files import read_regular_file
from harness.registry import FAILING, GATED, NEEDS_KEY_FACTS, NEEDS_REFERENCE_SUMMARY, lower_is_better

BASELINE_FORMAT = "harness-baseline/1"
CONSOLE_LINES = 25  # a console summary fits one screen whatever the run size; the files hold every check
MARKDOWN_BYTES = 1_000_000  # GitHub refuses a step summary over 1 MiB: failing claims stop short of it
SHOWN = 5  # names a console line lists before "and N more"
MAX_JSON_BYTES = 200_000_000  # a run.json with its texts is a few MB; a baseline far less


def gate_settings(gate: GateConfig) -> dict[str, Any]:
    """The `[gate]` table of these settings, as run.json records them (`gate.settings`), so that `harness
    gate` judges a run by the settings it was made with. The baseline is made absolute: a path relative to
    the folder the run was started in would name another file from elsewhere."""
    table: dict[str, Any] = {
        "thresholds": gate.thresholds,
        "probe": gate.probe,
        "story": gate.stories,
        "system": gate.systems,
        "tolerance": gate.tolerance,
        "fail_on_missing": gate.fail_on_missing,
        "bootstrap_samples": gate.bootstrap_samples,
        "seed": gate.seed,
    }
    if gate.baseline:
        table["baseline"] = os.path.abspath(gate.baseline)
    return table


def baseline_location(gate: GateConfig, reports: Path) -> Path:
    """Where the baseline is, by one rule for `harness run`, `harness baseline`, `harness gate` and the pytest
    plugin: the `[gate] baseline` setting, else `<reports folder>/baseline/baseline.json`."""
    return Path(gate.baseline) if gate.baseline else reports / BASELINE_IN_REPORTS


def reports_folder_of(run_path: Path) -> Path:
    """The reports folder a run lives in: `reports/latest` or `reports/<run id>` (or its run.json) -> `reports`."""
    return (run_path.parent if run_path.name == "run.json" else run_path).parent


def has_thresholds(gate: GateConfig) -> bool:
    return bool(gate.thresholds or any(gate.stories.values()) or any(gate.systems.values()))


def nothing_to_check(gate: GateConfig, baseline: dict[str, Any] | None, location: Path | str | None) -> str | None:
    """The one line a gate with neither a baseline nor a threshold fails with (it would pass everything), or
    None when there is something to check. `harness gate`, run.json's gate section and the pytest plugin all ask here."""
    if baseline is not None or has_thresholds(gate):
        return None
    return (
        f"nothing to check: no baseline at {location or '(none)'} and no [gate.thresholds]; record a baseline of a "
        "good run with `harness baseline`, or set thresholds (`harness init` writes a starter harness.toml); "
        "--no-baseline runs only the built-in checks"
    )


def recorded_gate_config(run: dict[str, Any], path: Path) -> GateConfig | None:
    """The gate settings a run recorded in its run.json at `path` (checked as a config's), or None for a
    run written without them (a baseline file, or a run from before they were recorded)."""
    section = run.get("gate")
    settings = section.get("settings") if isinstance(section, dict) else None
    return None if settings is None else gate_config(settings, path, "gate.settings")


# ---- runs and baselines -------------------------------------------------------------------------------


def candidate_records(document: dict[str, Any]) -> list[dict[str, Any]]:
    """(story, id, system, status, error, metrics, claims) per candidate, from run.json or a baseline file."""
    if document.get("format") == BASELINE_FORMAT:
        return document["candidates"]
    records = []
    for story in document.get("stories", []):
        for cand in story["candidates"]:
            records.append(
                {
                    "story": story["id"],
                    "id": cand["id"] or Path(cand["path"]).stem,
                    "system": cand["system"],
                    "status": cand["status"],
                    "error": cand["error"],
                    "metrics": cand["metrics"],
                    "claims": [
                        {
                            "id": c["id"],
                            "text": c["text"],
                            "verdict": c["verdict"],
                            "p_support": c["p_support"],
                            "failed_checks": c["failed_checks"],
                            "evidence": c["evidence"][0]["text"] if c["evidence"] else "",
                            "evidence_source": c["evidence"][0]["source"] if c["evidence"] else "",
                        }
                        for c in cand["claims"]
                    ],
                }
            )
    for error in document.get("errors", []):
        if not any(error == r["error"] for r in records):
            records.append(
                {
                    "story": "",
                    "id": error.split(":")[0],
                    "system": "",
                    "status": "error",
                    "error": error,
                    "metrics": {},
                    "claims": [],
                }
            )
    return records


# What the gate reads of a run.json (as `harness run` writes it) and of a baseline file; anything else in
# them is kept but not checked. Metrics are bounded so that means and differences stay finite.
_METRIC = {"type": ["number", "null"], "minimum": -1e9, "maximum": 1e9}
_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}
_RECORD = {
    "id": _TEXT,
    "system": _TEXT,
    "status": {"enum": ["ok", "error"]},
    "error": {"type": ["string", "null"]},
    "metrics": {
        "type": "object",
        "properties": {m: _METRIC for m in sorted(GATED | {"key_facts", "reference_summaries"})},
    },
}
_CLAIM = {"id": _TEXT, "text": _TEXT, "verdict": _TEXT, "p_support": _METRIC, "failed_checks": _TEXTS}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_RUN_CLAIM = _object(
    {**_CLAIM, "evidence": _array(_object({"text": _TEXT, "source": _TEXT}, ["text", "source"]))},
    ["id", "text", "verdict", "p_support", "failed_checks", "evidence"],
)
_RUN_CANDIDATE = _object(
    {**_RECORD, "path": _TEXT, "claims": _array(_RUN_CLAIM)},
    ["id", "path", "system", "status", "error", "metrics", "claims"],
)
RUN_SCHEMA = _object(
    {
        "errors": _TEXTS,
        "stories": _array(_object({"id": _TEXT, "candidates": _array(_RUN_CANDIDATE)}, ["id", "candidates"])),
    },
    ["stories"],
)
_BASELINE_CLAIM = _object(
    {**_CLAIM, "evidence": _TEXT, "evidence_source": _TEXT}, ["id", "text", "verdict", "p_support"]
)
_BASELINE_CANDIDATE = _object(
    {**_RECORD, "story": _TEXT, "claims": _array(_BASELINE_CLAIM)},
    ["story", "id", "system", "status", "error", "metrics", "claims"],
)
BASELINE_SCHEMA = _object(
    {"format": {"const": BASELINE_FORMAT}, "candidates": _array(_BASELINE_CANDIDATE)}, ["format", "candidates"]
)


def _finite(text: str) -> float:
    """parse_float/parse_constant hook: NaN, Infinity and 1e999 are refused, since a NaN metric passes every
    threshold (no comparison with NaN is true)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def read_json(path: Path) -> Any:
    """A JSON file of at most MAX_JSON_BYTES, read safely: every way it can fail is an InputError naming it."""
    data = read_regular_file(path, MAX_JSON_BYTES)
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=_finite, parse_constant=_finite)
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except ValueError as exc:  # from _finite, or an integer of more than 4300 digits
        raise InputError(path, f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError(path, "invalid JSON: nested too deeply") from exc


def load_run_document(path: Path) -> dict[str, Any]:
    """A run.json, a baseline file, or a folder holding either, checked against its schema so that the gate
    never meets a shape it cannot read (the first problem is reported, with its field)."""
    if path.is_dir():
        for name in ("baseline.json", "run.json"):
            if (path / name).exists():
                path = path / name
                break
        else:
            raise InputError(path, "folder holds neither baseline.json nor run.json")
    document = read_json(path)
    if not isinstance(document, dict) or not ("stories" in document or "format" in document):
        raise InputError(path, f"not a harness run.json (with stories) or baseline file (format {BASELINE_FORMAT})")
    schema = BASELINE_SCHEMA if "format" in document else RUN_SCHEMA
    error = next(jsonschema.Draft202012Validator(schema).iter_errors(document), None)
    if error is not None:
        field = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(path, error.message if len(error.message) <= 200 else error.message[:200] + "...", field)
    return document


def load_baseline(path: str | Path | None, required: bool = False) -> dict[str, Any] | None:
    """The baseline document at `path`; None when no baseline is set, or when it does not exist yet and is
    not `required` (a configured baseline that was never recorded means thresholds only; one the user
    asked for must exist). An unreadable one is an InputError naming the file, never a silent pass."""
    if not path:
        return None
    if not os.path.exists(path):
        if required:
            raise InputError(path, "baseline not found (record one with `harness baseline`, or pass --no-baseline)")
        return None
    return load_run_document(Path(path))


def stories_of(document: dict[str, Any]) -> set[str]:
    """The stories a run or baseline holds candidates of."""
    return {r["story"] for r in candidate_records(document)}


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


def baseline_document(run: dict[str, Any]) -> dict[str, Any]:
    """The small file `harness baseline` commits: metrics and claim verdicts, not the whole report."""
    candidates = []
    for record in candidate_records(run):
        if record["status"] != "ok":
            continue
        claims = [
            {"id": c["id"], "verdict": c["verdict"], "p_support": c["p_support"], "text": c["text"]}
            for c in record["claims"]
        ]
        candidates.append({**record, "claims": claims})
    return {
        "format": BASELINE_FORMAT,
        "run_id": run.get("run_id"),
        "models": run.get("models"),
        "versions": {k: run.get("versions", {}).get(k) for k in ("harness", "torch", "sentence-transformers")},
        "candidates": candidates,
    }


# ---- the gate -----------------------------------------------------------------------------------------


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
    unknown = [f"[gate.story.{s}]" for s in sorted(gate.stories) if s not in {r["story"] for r in records}]
    unknown += [f"[gate.system.{s}]" for s in sorted(gate.systems) if s not in {r["system"] for r in records}]
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


# ---- output -------------------------------------------------------------------------------------------

KIND_ORDER = ("empty", "regression", "error", "unscored", "missing", "threshold")  # the most telling failure first
SCOPE_ORDER = ("run", "system", "candidate")  # run-wide, then system, then candidate checks
_XML_ILLEGAL = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def failure_rank(scope: str, kind: str) -> tuple[int, int]:
    """Sort key that shows regressions first, then errors, missing candidates and thresholds."""
    return (
        KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER),
        SCOPE_ORDER.index(scope) if scope in SCOPE_ORDER else len(SCOPE_ORDER),
    )


def _ordered_failures(report: GateReport) -> list[GateCheck]:
    return sorted(report.failures(), key=lambda c: failure_rank(c.scope, c.kind))


def _first_of_each_kind(failures: list[GateCheck]) -> list[GateCheck]:
    """The first SHOWN failures of each kind, in their order."""
    seen: dict[str, int] = {}
    first = []
    for check in failures:
        seen[check.kind] = seen.get(check.kind, 0) + 1
        if seen[check.kind] <= SHOWN:
            first.append(check)
    return first


def _check_line(c: GateCheck, width: int) -> str:
    return f"{'PASS' if c.passed else 'FAIL':4} {c.scope:9} {c.name:<{width}} {c.kind:10} {c.message}"


def console_summary(report: GateReport, full_list: str, budget: int = CONSOLE_LINES) -> str:
    """At most `budget` lines whatever the run size (a 1,600-candidate gate once printed 4,025): the failing
    checks, the most telling first, with their failing claims and the passing checks while they fit; the
    counts; and `full_list`, where every check is."""
    failures = _ordered_failures(report)
    head = [f"warning: {w}" for w in report.warnings()]
    tail = []
    if failures:
        kinds = [c.kind for c in failures]
        tail.append("failing checks: " + ", ".join(f"{kinds.count(k):,} {k}" for k in dict.fromkeys(kinds)))
    if report.new or report.missing:
        tail.append(
            f"new: {len(report.new):,} ({listed(report.new)}); missing: {len(report.missing):,}"
            + (f" ({listed(report.missing)})" if report.missing else "")
        )
    tail += [f"every check and its failing claims: {full_list}", _summary_line(report)]
    room = budget - len(head) - len(tail)
    # What fits, in this order: the first few failures of each kind (a flood of one kind hides no other),
    # their failing claims (a check's claims whole or not at all), more failures, the passing checks.
    chosen = failures if len(failures) <= room else _first_of_each_kind(failures)[: max(room - 1, 0)]
    used = len(chosen) + (len(chosen) < len(failures))
    details: dict[int, list[str]] = {}
    for check in chosen:
        lines = "\n".join(f"       {d}" for d in check.details).splitlines()
        if lines and used + len(lines) <= room:
            details[id(check)] = lines
            used += len(lines)
    chosen_ids = {id(c) for c in chosen}
    rest = [c for c in failures if id(c) not in chosen_ids]
    free = max(room - used, 0)
    more = rest if len(rest) <= free + 1 else rest[:free]  # showing all of them frees the "... and N more" line
    used += len(more) - (1 if rest and len(more) == len(rest) else 0)
    shown = chosen_ids | {id(c) for c in more}
    width = min(max([len(c.name) for c in report.checks] + [10]), 40)
    body = []
    for check in failures:
        if id(check) in shown:
            body += [_check_line(check, width)] + details.get(id(check), [])
    if len(shown) < len(failures):
        body.append(f"... and {len(failures) - len(shown):,} more failing checks")
    passes = [c for c in report.checks if c.passed]
    if used + len(passes) <= room:
        body += [_check_line(c, width) for c in passes]
    return "\n".join(head + body + tail)


def _summary_line(report: GateReport) -> str:
    failed = len(report.failures())
    baseline = (
        (
            f"; baseline {report.baseline}: {report.matched:,} matched, {len(report.new):,} new, "
            f"{len(report.missing):,} missing"
        )
        if report.baseline
        else "; no baseline"
    )
    return f"gate {'PASSED' if report.passed else 'FAILED'}: {len(report.checks) - failed:,} of {len(report.checks):,} checks passed{baseline}"


def markdown(report: GateReport) -> str:
    """Every check (failing first; the passing ones folded away), every failing claim, and every new and
    missing candidate: the full list the console summary points to."""

    def cell(text: str) -> str:  # control characters shown as escapes: a file name must not drive a terminal
        return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group(0)):02x}", text.replace("\n", " ")).replace(
            "|", "\\|"
        )

    def table(checks: list[GateCheck]) -> list[str]:
        return ["| result | scope | name | check | detail |", "|---|---|---|---|---|"] + [
            f"| {'✅' if c.passed else '❌'} | {c.scope} | {cell(c.name)} | {c.kind} | {cell(c.message)} |"
            for c in checks
        ]

    failures = _ordered_failures(report)
    passes = [c for c in report.checks if c.passed]
    lines = [f"## Summary gate: {'✅ passed' if report.passed else '❌ failed'}", "", _summary_line(report), ""]
    lines += [f"> **warning:** {cell(w)}\n" for w in report.warnings(limit=None)]
    if failures:
        lines += table(failures) + [""]
    if passes:
        lines += (
            [f"<details><summary>{len(passes):,} passing checks</summary>", ""] + table(passes) + ["", "</details>"]
        )
    for title, names in (("New candidates", report.new), ("Missing candidates", report.missing)):
        if names:
            lines += ["", f"### {title} ({len(names):,})", "", ", ".join(names)]
    with_claims = [c for c in failures if c.details]
    if with_claims:  # every check is listed above; the claims of as many as the size limit allows
        lines += ["", "### Failing claims"]
        size = len("\n".join(lines).encode("utf-8"))
        for n, c in enumerate(with_claims):
            block = ["", f"**{cell(c.name)}** ({c.kind})", "", "```"] + c.details + ["```"]
            size += len("\n".join(block).encode("utf-8")) + 1
            if size > MARKDOWN_BYTES - 200:
                lines += [
                    "",
                    f"The failing claims of {len(with_claims) - n:,} more checks are in the JUnit file "
                    "(--junit) and the run's report.html.",
                ]
                break
            lines += block
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters (a claim's text may carry them) would make the file invalid."""
    return _XML_ILLEGAL.sub("", text)


def junit_xml(report: GateReport) -> str:
    suite = ET.Element(
        "testsuite",
        name="harness-gate",
        tests=str(len(report.checks)),
        failures=str(len(report.failures())),
        errors="0",
    )
    if report.warnings():
        properties = ET.SubElement(suite, "properties")
        for warning in report.warnings(limit=None):
            ET.SubElement(properties, "property", name="warning", value=_xml_text(warning))
    for c in report.checks:
        case = ET.SubElement(
            suite, "testcase", classname=f"harness.gate.{c.scope}", name=_xml_text(f"{c.name} [{c.kind}]")
        )
        if not c.passed:
            failure = ET.SubElement(case, "failure", message=_xml_text(c.message))
            failure.text = _xml_text("\n".join([c.message] + c.details))
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True) + "\n"


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


def gate_section(current: dict[str, Any], gate: GateConfig, reports: Path | None = None) -> dict[str, Any]:
    """What run.json and report.html record of the gate: result, failures, warnings, the settings (so that
    `harness gate` can judge the run by them later) and changes against the baseline. It runs while `harness
    run` writes its reports, so an unreadable baseline is recorded here (`error`, shown as such in
    report.html) rather than raised: a bad baseline must not cost the run its reports. `reports`: the run's
    reports folder, where the default baseline lies (None: only a configured baseline is looked for)."""
    settings = gate_settings(gate)
    location = baseline_location(gate, reports) if reports is not None or gate.baseline else None
    try:
        baseline = load_baseline(location)
    except InputError as exc:
        return {
            "passed": False,
            "error": str(exc),
            "summary": f"gate not evaluated: {exc}",
            "failures": [],
            "settings": settings,
        }
    empty = nothing_to_check(gate, baseline, location)
    report = evaluate_gate(current, baseline, gate, str(location) if baseline else None, empty)
    section: dict[str, Any] = {
        "passed": report.passed,
        "summary": _summary_line(report),
        "warnings": report.warnings(limit=None),
        "not_applied": report.not_applied,
        "failures": [
            {"scope": c.scope, "name": c.name, "kind": c.kind, "message": c.message} for c in report.failures()
        ],
        "settings": settings,
    }
    if baseline is not None:
        section["deltas"], section["system_deltas"] = baseline_deltas(current, baseline)
    return section
