"""Reports: claims.csv, candidates.csv, systems.csv, run.json and report.html in `reports/<run-id>/`.

Everything is written into a hidden temporary folder first, which is renamed into place, and
`reports/latest` is a symlink swapped atomically: an interrupted run never leaves half a report, and
the previous `latest` stays intact until the new one is complete.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from harness.report.tables import candidate_rows, claim_rows, run_document, system_rows
from harness.report.html import render_html

CLAIM_COLUMNS = ["story", "candidate", "claim_id", "claim", "verdict", "p_support", "evidence", "evidence_source",
                 "checks", "system", "start", "end", "kind", "section", "artefact_reason", "evidence_score",
                 "evidence_start", "evidence_end", "reason"]


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")[:-3]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _clean(value: Any) -> Any:
    """NaN is not JSON: write null instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def write_reports(run, out_dir: Path, run_id: str | None = None, gate=None) -> Path:
    """Write every report of a run; returns the run folder. With a GateConfig, report.html and
    run.json also carry the gate's result and the change against its baseline."""
    run_id = run_id or new_run_id()
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / run_id
    tmp = out_dir / f".tmp-{run_id}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        _write_all(run, tmp, run_id, gate)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # interrupted or failed: leave no half-written run behind
        raise
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _point_latest(out_dir, run_id)
    return final


def _write_all(run, tmp: Path, run_id: str, gate) -> None:
    claims = pd.DataFrame(claim_rows(run), columns=CLAIM_COLUMNS)
    candidates = pd.DataFrame(candidate_rows(run))
    systems = pd.DataFrame(system_rows(run))
    claims.to_csv(tmp / "claims.csv", index=False)
    candidates.to_csv(tmp / "candidates.csv", index=False)
    systems.to_csv(tmp / "systems.csv", index=False)
    document = _clean(run_document(run, run_id))
    if gate is not None:
        from harness.gate import gate_section
        document["gate"] = _clean(gate_section(document, gate))
    (tmp / "run.json").write_text(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default), "utf-8")
    (tmp / "report.html").write_text(render_html(document), "utf-8")


def _point_latest(out_dir: Path, run_id: str) -> None:
    latest = out_dir / "latest"
    link = out_dir / f".latest-{run_id}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(run_id, target_is_directory=True)
    if latest.exists() and not latest.is_symlink():
        shutil.rmtree(latest)  # a real folder from elsewhere: replace it
    os.replace(link, latest)
