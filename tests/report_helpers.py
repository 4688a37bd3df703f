"""Reporting a run evaluated in a test: the run-folder steps `harness run` takes, without the CLI."""

from __future__ import annotations

from pathlib import Path

from harness.report import write_run
from harness.report.run_folders import run_folder


def write_reports(run, reports: Path, run_id: str | None = None, gate=None) -> Path:
    """Reserve a run folder in `reports`, write every report of an evaluated `run` into it, return the folder."""
    with run_folder(reports, run_id) as folder:
        write_run(run, folder, gate)
    return folder
