"""The `harness` command: run, validate, key-facts, score-pairs, meta-eval, gate, probe, init, baseline, clean.

This module holds the parser and main; each group of commands, with its options, is a module of its own
(run_commands, judge_commands, gate_commands, init_command, clean_command), over what they share: the settings a command
runs with (settings), where it may write (outputs) and how it prints (console).

Exit codes: 0 success; 1 the command ran but found failures it was asked to fail on; 2 bad input or
configuration (every problem printed as one line naming the file and the field).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from harness.cli.clean_command import add_clean_parser
from harness.cli.console import say
from harness.cli.gate_commands import add_baseline_parser, add_gate_parser
from harness.cli.init_command import add_init_parser
from harness.cli.judge_commands import add_meta_eval_parser, add_probe_parser, add_score_pairs_parser
from harness.cli.run_commands import add_key_facts_parser, add_run_parser, add_validate_parser
from harness.document import InputError
from harness.process import own_process


def build_parser() -> argparse.ArgumentParser:
    """Every command, in the order `harness --help` lists them."""
    parser = argparse.ArgumentParser(
        prog="harness", description="Evaluate candidate summaries against reference articles."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML config (default: ./harness.toml if present)")
    common.add_argument("--quiet", action="store_true", help="print only the summary: no progress bars")
    add_run_parser(sub, common)
    add_validate_parser(sub, common)
    add_key_facts_parser(sub, common)
    add_score_pairs_parser(sub, common)
    add_meta_eval_parser(sub, common)
    add_gate_parser(sub, common)
    add_probe_parser(sub, common)
    add_init_parser(sub)
    add_baseline_parser(sub, common)
    add_clean_parser(sub, common)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (CI cancelling a job), handled like Ctrl-C but exiting with 143 (128 + 15), as shells report it."""


def _terminate(signum, frame) -> None:
    """SIGTERM is handled like Ctrl-C: stop cleanly, keep the reports folder's latest run."""
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    own_process()  # the `harness` command's process is the harness's own: spaCy may skip torch
    # the model libraries' bars ("Loading weights") too, read when they are imported: not with --quiet, and not
    # into a log file (the run's own bar already hides itself when stderr is not a terminal)
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except InputError as exc:
        say(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a setting that names no judge or model
        say(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk or a folder that cannot be written: the reports were not (half) written
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # already stopping: a second Ctrl-C must not cut it short
        say(
            "interrupted: no report written, the reports folder's latest run is unchanged; cached embeddings are kept, "
            "so running again resumes",
            file=sys.stderr,
        )
        return 143 if isinstance(stop, Terminated) else 130
