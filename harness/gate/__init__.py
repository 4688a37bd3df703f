"""The gate: does a run meet its thresholds, and did it get worse than a baseline? (harness gate, harness
baseline, run.json's gate section and the pytest plugin.)

The data's path through the package: recorded_settings.py (the `[gate]` settings a run records, where the
baseline is), schema.py and run_files.py (run.json and baseline files read and checked), outcome.py
(GateCheck, GateReport and their wording), decision.py (thresholds and regressions -> a GateReport),
render.py (the console summary, Markdown and JUnit). This module holds what run.json records of the gate.

Every input is checked where it is read: `[gate]` settings by harness.config (with the rest of the config),
run and baseline files against harness.gate.schema. A bad one is an InputError naming the file and the field
(exit 2), never a traceback that would read as a gate failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.config.gate_settings import GateConfig
from harness.document import InputError
from harness.gate.decision import baseline_deltas, evaluate_gate
from harness.gate.recorded_settings import baseline_location, gate_settings, why_nothing_to_check
from harness.gate.render import summary_line
from harness.gate.run_files import load_baseline


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
    empty = why_nothing_to_check(gate, baseline, location)
    report = evaluate_gate(current, baseline, gate, str(location) if baseline else None, empty)
    section: dict[str, Any] = {
        "passed": report.passed,
        "summary": summary_line(report),
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
