"""Reports: claims.csv, candidates.csv, systems.csv, coverage.csv, run.json and report.html in `reports/<run-id>/`.

The run folder is reserved (created empty, exclusively) before any evaluation; everything is written into a
unique hidden temporary folder, which then replaces the empty reserved one in one rename, and
`reports/latest` is a symlink swapped atomically: an interrupted run never leaves half a report, a
finished run's folder is never replaced, and the previous `latest` stays intact until the new one is complete.
"""

from __future__ import annotations

import gc
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from harness.files import umask
from harness.gate import gate_section
from harness.gate.recorded_settings import baseline_location
from harness.report.csv_files import whole_counts, write_csv
from harness.report.html import render_html
from harness.report.jsontext import dumps_indented
from harness.report.retention import prune_runs
from harness.report.run_folders import owner_file, point_latest, release_run_folder
from harness.report.tables import COVERAGE_COLUMNS, candidate_rows, claim_rows, coverage_rows, run_document, system_rows

CLAIM_COLUMNS = [
    "story",
    "candidate",
    "claim_id",
    "claim",
    "verdict",
    "p_support",
    "evidence",
    "evidence_source",
    "checks",
    "system",
    "start",
    "end",
    "kind",
    "section",
    "artefact_reason",
    "evidence_score",
    "evidence_start",
    "evidence_end",
    "reason",
    "p_entailment",  # an NLI judge's p(entailment) at the premise that decided (empty for other judges)
    "p_contradiction",  # its strongest p(contradiction) over the premises it read
    "premise",  # the source sentence, or two adjacent ones, that decided
]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_KEPT = {str, int, bool, type(None)}  # values _clean returns as they are, without a call each


def _clean(value: Any) -> Any:
    """The run document as JSON holds it, so the in-memory copy the CLI and the gate read equals run.json: NaN
    becomes None (null), a tuple a list, a numpy number a Python one."""
    if type(value) is dict:
        return {k: v if type(v) in _KEPT else _clean(v) for k, v in value.items()}
    if type(value) is list:
        return [v if type(v) in _KEPT else _clean(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # a numpy scalar
        return _clean(value.item())
    return value


def write_run(run, folder: Path, gate=None, keep_runs: int | None = None) -> dict[str, Any]:
    """Write every report of a run into `folder`, reserved earlier with `run_folders.run_folder`; returns the run
    document run.json holds (built once, in memory, for every report and for the caller). The reports are
    written into a unique hidden temporary folder that replaces the empty reserved one in one rename, and
    `latest` then points at it. With a GateConfig, report.html and run.json also carry the gate's result
    and the change against its baseline."""
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{folder.name}-", dir=folder.parent))
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes an owner-only folder
        with gc_paused():  # millions of short-lived, acyclic objects: collecting while building took a third
            document = _write_files(run, tmp, folder.name, gate, folder.parent)
        os.rename(tmp, folder)  # replaces the reserved folder only while it is still empty
        owner_file(folder).unlink(missing_ok=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # interrupted or failed: leave no half-written run behind
        release_run_folder(folder)
        raise
    point_latest(folder.parent, folder.name)
    if keep_runs is not None:
        baseline = (baseline_location(gate, folder.parent),) if gate is not None else ()
        prune_runs(folder.parent, keep_runs, protect=baseline)
    return document


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run a block without Python's cycle collector, then restore it as it was. For code that builds many
    objects with no reference cycles (the reports): the collector would otherwise walk them again and
    again while they pile up."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_files(run, tmp: Path, run_id: str, gate, reports: Path) -> dict[str, Any]:
    """Every report into `tmp`, all from one run document; returns it."""
    raw = run_document(run, run_id)
    write_csv(pd.DataFrame(claim_rows(raw), columns=CLAIM_COLUMNS), tmp / "claims.csv")
    write_csv(whole_counts(pd.DataFrame(candidate_rows(run))), tmp / "candidates.csv")
    write_csv(pd.DataFrame(system_rows(raw)), tmp / "systems.csv")
    write_csv(pd.DataFrame(coverage_rows(raw), columns=COVERAGE_COLUMNS), tmp / "coverage.csv")
    document = _clean(raw)
    if gate is not None:
        document["gate"] = _clean(gate_section(document, gate, reports))
    (tmp / "run.json").write_text(dumps_indented(document, _json_default), "utf-8")
    (tmp / "report.html").write_text(render_html(document), "utf-8")
    return document
