"""The gate's settings as a run records them, where they put the baseline, and whether they leave anything to
check: one rule for `harness run`, `harness gate`, `harness baseline` and the pytest plugin."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.config.gate_settings import BASELINE_IN_REPORTS, GateConfig, gate_config


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


def why_nothing_to_check(gate: GateConfig, baseline: dict[str, Any] | None, location: Path | str | None) -> str | None:
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
