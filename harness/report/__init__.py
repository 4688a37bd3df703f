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
import sys
import tempfile
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from harness.document import InputError, check_plain_name
from harness.files import umask
from harness.gate import gate_section
from harness.gate.settings import baseline_location
from harness.registry import COUNT, METRICS
from harness.report.html import render_html
from harness.report.jsontext import dumps_indented
from harness.report.retention import LATEST, RESERVED_RUN_IDS, prune_runs
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


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")[:-3]


def check_run_id(run_id: str) -> str:
    """A run id names one folder inside the reports folder, never a path: `..`, `.`, separators,
    hidden names and the reserved `latest`/`baseline` are refused."""
    if run_id in RESERVED_RUN_IDS:
        raise InputError("--run-id", f"'{run_id}' is reserved in the reports folder: choose another name")
    return check_plain_name(run_id, "--run-id", "run id")


def reserve_run_folder(out_dir: Path, run_id: str | None = None) -> Path:
    """Create `out_dir/<run-id>/` empty and exclusively, before any evaluation, so that a reports folder
    that cannot be written is found at once, two runs never share a folder, and a finished run's folder
    is never replaced. Returns the reserved folder."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(out_dir, f"cannot create the reports folder: {exc.strerror or exc}") from exc
    if not out_dir.is_dir():
        raise InputError(out_dir, "the reports folder is not a folder")
    remove_abandoned(out_dir)
    for attempt in range(100):
        name = check_run_id(run_id) if run_id is not None else new_run_id() + (f"-{attempt}" if attempt else "")
        folder = out_dir / name
        try:
            folder.mkdir()
            break
        except FileExistsError:
            if run_id is not None:
                raise InputError(
                    folder, "a run folder of this name already exists and is never replaced: choose another --run-id"
                ) from None
        except OSError as exc:
            raise InputError(out_dir, f"cannot write to the reports folder: {exc.strerror or exc}") from exc
    else:
        raise InputError(out_dir, "could not find a free run folder name")
    _owner_file(folder).write_text(str(os.getpid()), "utf-8")  # beside it: the folder itself must stay empty
    try:  # a read-only or full disk is found now, not after the whole evaluation
        probe = folder / ".write-probe"
        probe.write_bytes(b"x" * 4096)
        probe.unlink()
    except OSError as exc:
        release_run_folder(folder)
        raise InputError(out_dir, f"cannot write to the reports folder: {exc.strerror or exc}") from exc
    return folder


def release_run_folder(folder: Path) -> None:
    """Give back a reserved folder that holds nothing (rmdir never removes anything inside)."""
    _owner_file(folder).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass


@contextmanager
def run_folder(reports: Path, run_id: str | None = None) -> Iterator[Path]:
    """A run folder reserved for one evaluation (the `with` body): if the evaluation fails or is interrupted,
    the folder is given back, and so is the reports folder when this run created it, so a run that failed
    before evaluating leaves nothing behind. `harness run` and the pytest plugin both evaluate inside one."""
    existed = reports.exists()
    folder = reserve_run_folder(reports, run_id)
    try:
        yield folder
    except BaseException:
        release_run_folder(folder)
        if not existed:
            with suppress(OSError):
                reports.rmdir()  # only if empty
        raise


def _owner_file(folder: Path) -> Path:
    """`.<run-id>.pid` beside a reserved run folder: the process that reserved it, until its reports are in."""
    return folder.parent / f".{folder.name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is another user's
        return True
    return True


def remove_abandoned(out_dir: Path) -> None:
    """Remove what a run killed with SIGKILL left: its reserved run folder (still empty) and its temporary
    folders, found through owner files whose process is gone. A live run's reservation is left alone."""
    for owner in out_dir.glob(".*.pid"):
        try:
            pid = int(owner.read_text("utf-8").strip())
        except (OSError, ValueError):
            continue
        if _alive(pid):
            continue
        name = owner.name[1:-4]
        for tmp in out_dir.glob(f".tmp-{name}-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        release_run_folder(out_dir / name)


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


def write_reports(run, reports: Path, run_id: str | None = None, gate=None) -> Path:
    """Reserve a run folder in `reports` and write every report of an evaluated `run` into it; returns the
    folder (the API's and the tests' way to report a run evaluated elsewhere)."""
    with run_folder(reports, run_id) as folder:
        pass
    write_run(run, folder, gate)
    return folder


def write_run(run, folder: Path, gate=None, keep_runs: int | None = None) -> dict[str, Any]:
    """Write every report of a run into `folder`, reserved earlier with `reserve_run_folder`; returns the run
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
        _owner_file(folder).unlink(missing_ok=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # interrupted or failed: leave no half-written run behind
        release_run_folder(folder)
        raise
    _point_latest(folder.parent, folder.name)
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def spreadsheet_safe(value: Any) -> Any:
    """A text cell as a spreadsheet shows it but never runs it: a summary is untrusted text, and a claim
    starting with "=" (or +, -, @) would be a live formula when claims.csv is opened (CSV injection). Such
    text gets a leading apostrophe, the usual escape; numbers and other text are written as they are.
    run.json keeps the text unchanged."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def whole_counts(candidates: pd.DataFrame) -> pd.DataFrame:
    """Count metrics as whole numbers even beside an error row's empty cells (pandas would make the column
    float and write 23.0)."""
    counts = [name for name, metric in METRICS.items() if metric.kind == COUNT and name in candidates.columns]
    return candidates.astype(dict.fromkeys(counts, "Int64"))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.map(spreadsheet_safe).to_csv(path, index=False)


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


def _point_latest(out_dir: Path, run_id: str) -> None:
    """Swap `latest` to the new run in one rename; a real folder named `latest` is the user's and is
    left alone, with a warning."""
    latest = out_dir / LATEST
    if latest.exists() and not latest.is_symlink():
        print(f"warning: {latest} is not a link made by the harness; left unchanged", file=sys.stderr)
        return
    link = Path(tempfile.mktemp(prefix=".latest-", dir=out_dir))
    link.symlink_to(run_id, target_is_directory=True)
    os.replace(link, latest)
