"""`harness gate` (a run against thresholds and a baseline: exit 0 pass, 1 fail, 2 bad input or nothing to
check) and `harness baseline` (record a run as the baseline), both on the last run of the settings' reports
folder unless --run names another."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.cli.command_config import config_path, latest_run
from harness.cli.console import human_size, say
from harness.cli.outputs import check_output_file
from harness.config import load_config
from harness.config.gate_settings import GateConfig
from harness.document import InputError
from harness.files import atomic_write_text
from harness.gate.decision import evaluate_gate, unknown_tables
from harness.gate.outcome import listed
from harness.gate.recorded_settings import (
    baseline_location,
    gate_settings,
    recorded_gate_config,
    reports_folder_of,
    why_nothing_to_check,
)
from harness.gate.render import CONSOLE_LINES, console_summary, junit_xml, markdown
from harness.gate.run_files import baseline_document, candidate_records, load_baseline, load_run_document, stories_of
from harness.gate.schema import BASELINE_FORMAT

GATE_SETTINGS_RULE = (
    "Settings: --config F if given, else ./harness.toml if present, else the defaults: the [gate] you read now; "
    "--recorded-settings applies the ones the run recorded in its run.json instead (those `harness run` used)."
)
RECORDED_HELP = "apply the [gate] settings the run recorded, not the config file's"
RUN_HELP = "run folder or run.json (default <reports>/latest: the last run in the settings' reports folder)"


def _run_file(path: Path) -> Path:
    return path / "run.json" if path.is_dir() else path


def _gate_settings(args: argparse.Namespace, run: dict[str, Any], run_file: Path) -> tuple[GateConfig, str]:
    """(GateConfig, where it came from) by GATE_SETTINGS_RULE: an edited [gate] applies at once, without
    another run; the run's recorded settings only when asked for, and a difference from them is said."""
    recorded = recorded_gate_config(run, run_file)
    if getattr(args, "recorded_settings", False):
        if recorded is None:
            raise InputError(run_file, "--recorded-settings: this run recorded no gate settings")
        return recorded, f"as recorded by the run ({run_file})"
    path = config_path(args)
    gate = load_config(path).gate
    source = str(path) if path else "the defaults (no --config, no ./harness.toml)"
    if recorded is not None and gate_settings(recorded) != gate_settings(gate):
        source += "; the run recorded other [gate] settings (--recorded-settings applies those)"
    return gate, source


def cmd_gate(args: argparse.Namespace) -> int:
    for option, path, kind in (("--markdown", args.markdown, "markdown"), ("--junit", args.junit, "junit")):
        if path:
            check_output_file(Path(path), option, mine=kind)
    if args.markdown and args.junit and Path(args.markdown).resolve() == Path(args.junit).resolve():
        raise InputError(args.junit, "--markdown and --junit name the same file: one would replace the other")
    run = latest_run(args)
    current = load_run_document(run)
    gate, source = _gate_settings(args, current, _run_file(run))
    unknown = unknown_tables(gate, candidate_records(current))
    if unknown:
        raise InputError(
            source.split(";")[0], f"{', '.join(unknown)}: no such story or system in the run {_run_file(run)}"
        )
    location = Path(args.baseline) if args.baseline else baseline_location(gate, reports_folder_of(run))
    # a baseline named on the command line or in the settings must exist; the default one is used when present
    required = bool(args.baseline or gate.baseline)
    baseline = None if args.no_baseline else load_baseline(location, required=required)
    empty = None if args.no_baseline else why_nothing_to_check(gate, baseline, location)
    report = evaluate_gate(current, baseline, gate, str(location) if baseline is not None else None, empty)
    files = [f for f in (args.markdown, args.junit) if f]
    if args.markdown:
        atomic_write_text(Path(args.markdown), markdown(report))
    if args.junit:
        atomic_write_text(Path(args.junit), junit_xml(report))
    if empty:
        say(f"gate FAILED: {empty}", file=sys.stderr)
        return 2
    say(f"gate settings: {source}")
    say(console_summary(report, ", ".join(files) or "pass --markdown FILE or --junit FILE", CONSOLE_LINES - 1))
    return 0 if report.passed else 1


def _refuse_other_stories(out: Path, document: dict[str, Any]) -> None:
    """A baseline of the same stories is replaced (re-recording is the point), one of other stories never
    unasked: a run of other inputs, made in this repository's folder, once overwrote the committed example
    baseline with a 2.3 MB file."""
    try:
        existing = load_run_document(out)
    except InputError as exc:
        raise InputError(
            out, f"exists and is not a baseline the harness can read ({exc.problem}): pass --force to replace it"
        ) from exc
    if existing.get("format") != BASELINE_FORMAT:  # a run's run.json is readable, and no baseline
        raise InputError(
            out, "exists and is not a baseline the harness can read (it is a run.json): pass --force to replace it"
        )
    old = stories_of(existing)
    new = stories_of(document)
    if old != new:
        raise InputError(
            out,
            f"holds the baseline of {len(old):,} other stories ({listed(old)}), not of this run's "
            f"{len(new):,} ({listed(new)}): pass --force to replace it, or --out another file",
        )


def cmd_baseline(args: argparse.Namespace) -> int:
    path = latest_run(args)
    run = load_run_document(path)
    gate, _ = _gate_settings(args, run, _run_file(path))
    out = Path(args.out) if args.out else baseline_location(gate, reports_folder_of(path))
    check_output_file(out)
    document = baseline_document(run)
    if not document["candidates"]:
        raise InputError(path, "the run has no evaluated candidate to record")
    if out.exists() and not args.force:
        _refuse_other_stories(out, document)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    atomic_write_text(out, text)
    say(
        f"baseline of {len(document['candidates']):,} candidates (run {document['run_id']}) -> {out} "
        f"({human_size(len(text.encode('utf-8')))})"
    )
    return 0


def add_gate_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "gate",
        parents=[common],
        help="check a run against thresholds and a baseline",
        description=f"Check a run against thresholds and a baseline; prints a summary of at most "
        f"{CONSOLE_LINES} lines, --markdown and --junit write every check. "
        + GATE_SETTINGS_RULE
        + " The baseline: --baseline F, else none with --no-baseline, else the settings' [gate] baseline, else "
        "baseline/baseline.json in the run's reports folder when it exists (the file `harness baseline` writes)."
        " Built in, with no settings: a candidate that could not be read or has no scorable claim fails, and so"
        " does one that gains a contradicted or unsupported claim or an artefact against the baseline, or loses"
        " more than the [gate.tolerance] defaults. With neither a baseline nor a threshold"
        " there is nothing to check: exit 2, unless --no-baseline asks for the built-in checks alone.",
    )
    parser.add_argument("--run", help=RUN_HELP)
    parser.add_argument(
        "--baseline",
        help="baseline file, run.json or folder (default: the settings' [gate] baseline, else <reports>/baseline/baseline.json)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="thresholds and the built-in checks only")
    parser.add_argument("--recorded-settings", action="store_true", help=RECORDED_HELP)
    parser.add_argument("--markdown", help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--junit", help="write JUnit XML")
    parser.set_defaults(func=cmd_gate)


def add_baseline_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "baseline",
        parents=[common],
        help="record a run as the baseline",
        description="Record a run as the baseline. " + GATE_SETTINGS_RULE + " An existing "
        "baseline of other stories is replaced only with --force.",
    )
    parser.add_argument("--run", help=RUN_HELP)
    parser.add_argument(
        "--out", help="default: the settings' [gate] baseline, else baseline/baseline.json in the run's reports folder"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing baseline of other stories")
    parser.add_argument("--recorded-settings", action="store_true", help=RECORDED_HELP)
    parser.set_defaults(func=cmd_baseline)
