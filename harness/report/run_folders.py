"""Run folders in a reports folder: reserved empty and exclusively before any evaluation (with the reserving
process's pid beside it, so a run killed with SIGKILL is cleaned up by the next one), given back when the
evaluation fails, and `latest` swapped to a finished run in one rename. `run_folder` is the one way
`harness run` and the pytest plugin hold a folder while they evaluate."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from harness.document import InputError, check_plain_name
from harness.report.retention import LATEST, RESERVED_RUN_IDS


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
    owner_file(folder).write_text(str(os.getpid()), "utf-8")  # beside it: the folder itself must stay empty
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
    owner_file(folder).unlink(missing_ok=True)
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


def owner_file(folder: Path) -> Path:
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


def point_latest(out_dir: Path, run_id: str) -> None:
    """Swap `latest` to the new run in one rename; a real folder named `latest` is the user's and is
    left alone, with a warning."""
    latest = out_dir / LATEST
    if latest.exists() and not latest.is_symlink():
        print(f"warning: {latest} is not a link made by the harness; left unchanged", file=sys.stderr)
        return
    link = Path(tempfile.mktemp(prefix=".latest-", dir=out_dir))
    link.symlink_to(run_id, target_is_directory=True)
    os.replace(link, latest)
