"""`harness clean`: prune the reports folder's old run folders by hand (harness.report.retention), keeping
the newest `--keep` (default `[paths] keep_runs`), the run `latest` points to and the baseline."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli.command_config import command_config
from harness.cli.console import counted, human_size, say
from harness.document import InputError
from harness.gate.recorded_settings import baseline_location
from harness.report.retention import finished_runs, folder_size, prune_runs


def cmd_clean(args: argparse.Namespace) -> int:
    config = command_config(args)
    keep = config.keep_runs if args.keep is None else args.keep
    if keep < 1:
        raise InputError("--keep", "expected a whole number of at least 1: the latest run is always kept")
    reports = Path(config.reports)
    sizes = {p: folder_size(p) for p in finished_runs(reports)}
    removed = prune_runs(reports, keep, protect=(baseline_location(config.gate, reports),))
    freed = sum(sizes.get(p, 0) for p in removed)
    say(
        f"removed {counted(len(removed), 'run folder')} ({human_size(freed)}) from {reports}; "
        f"{counted(len(finished_runs(reports)), 'run')} kept (keep {keep}, latest and the baseline always)"
    )
    return 0


def add_clean_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "clean",
        parents=[common],
        help="remove old run folders from the reports folder",
        description="Remove the oldest finished run folders of the reports folder, keeping the newest --keep "
        "(default [paths] keep_runs, which `harness run` also applies after each run); the run `latest` "
        "points to, the baseline and folders without run.json are never removed.",
    )
    parser.add_argument("--keep", type=int, help="run folders to keep (default: [paths] keep_runs)")
    parser.set_defaults(func=cmd_clean)
