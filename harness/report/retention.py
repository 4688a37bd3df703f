"""Run-folder retention: every `harness run` (and every pytest session that gates) adds a folder to the
reports folder, so after each run the oldest finished runs beyond `[paths] keep_runs` are removed; `harness
clean` does the same by hand. Never removed: the run `latest` points to, the baseline folder, a folder
without run.json (a run still writing, or not the harness's), anything that is not a plain folder."""

from __future__ import annotations

import shutil
from pathlib import Path

LATEST = "latest"  # the link in a reports folder to its newest finished run
RESERVED_RUN_IDS = {LATEST, "baseline"}  # names the reports folder already uses for other things


def finished_runs(reports: Path) -> list[Path]:
    """The reports folder's finished run folders, oldest first (by when their run.json was written)."""
    if not reports.is_dir():
        return []
    runs = [
        p
        for p in reports.iterdir()
        if p.is_dir()
        and not p.is_symlink()
        and not p.name.startswith(".")
        and p.name not in RESERVED_RUN_IDS
        and (p / "run.json").is_file()
    ]
    return sorted(runs, key=lambda p: ((p / "run.json").stat().st_mtime, p.name))


def prune_runs(reports: Path, keep: int, protect: tuple[Path, ...] = ()) -> list[Path]:
    """Remove the oldest finished runs so that at most `keep` remain (never the one `latest` points to, nor
    one holding a file of `protect`, such as a baseline configured inside a run folder); returns the folders
    removed."""
    latest = reports / LATEST
    current = latest.resolve() if latest.is_symlink() else None
    kept = [p.resolve() for p in protect]
    runs = [
        p
        for p in finished_runs(reports)
        if p.resolve() != current and not any(k.is_relative_to(p.resolve()) for k in kept)
    ]
    room = max(0, keep - (1 if current is not None else 0))
    removed = runs[: max(0, len(runs) - room)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return [p for p in removed if not p.exists()]


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
