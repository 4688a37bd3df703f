"""`harness run` (evaluate and write the reports), `harness validate` (read every input, load no model) and
`harness key-facts` (each story's key facts as story.yaml entries)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from harness.cli.command_config import command_config, defaults_note
from harness.cli.console import counted, say
from harness.cli.outputs import check_reports_folder
from harness.config import Config, settings_help
from harness.document import InputError
from harness.evaluation.keyfacts import kinds, with_key_facts
from harness.gate.decision import unknown_tables
from harness.gate.outcome import SHOWN, coverage_warning
from harness.gate.render import CONSOLE_LINES, failure_rank
from harness.gate.run_files import candidate_records
from harness.ingest import find_story_dirs, load_stories, load_story
from harness.judges import check_judge
from harness.judges.contract import judge_failures
from harness.registry import VERDICTS
from harness.report import write_run
from harness.report.run_folders import check_run_id, run_folder
from harness.run.pipeline import run
from harness.run.workers import BACKENDS


def check_judge_settings(config: Config) -> None:
    """The `[judge]` name and options, checked before any work; a bad one is an InputError naming the config
    file (a typo there is the user's to find in one line)."""
    try:
        check_judge(config.judge, config.judge_options)
    except ValueError as exc:
        raise InputError(config.source, str(exc), "judge") from exc


def note_defaults(args: argparse.Namespace) -> None:
    """Say, on stderr, that no config file was found, so a run started in the wrong folder is noticed."""
    note = defaults_note(args)
    if note:
        say(note, file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    config = command_config(args)
    note_defaults(args)
    check_judge_settings(config)
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", "expected a whole number of at least 1")
    if args.run_id is not None:
        check_run_id(args.run_id)
    check_reports_folder(config)
    with run_folder(Path(config.reports), args.run_id) as folder:
        result = run(config, quiet=args.quiet, use_cache=not args.no_cache, workers=args.workers, backend=args.backend)
    document = write_run(result, folder, gate=config.gate, keep_runs=config.keep_runs)
    out, err = run_summary(document, folder)
    unknown = unknown_tables(config.gate, candidate_records(document))
    if unknown:  # the reports are written; the gate settings are wrong, as `harness gate` would say
        err.append(f"error: {config.source}: {', '.join(unknown)}: no such story or system in this run")
    for line in err:
        say(line, file=sys.stderr)
    say("\n".join(out))
    failed, attempted = judge_failures(result.judge_usage)
    if attempted and failed / attempted > JUDGE_FAILURE_LIMIT:
        say(
            f"error: the {result.judge} judge failed on {failed:,} of {attempted:,} claims ({failed / attempted:.0%}, "
            f"more than {JUDGE_FAILURE_LIMIT:.0%}): see `reason` in {folder / 'claims.csv'}",
            file=sys.stderr,
        )
        return 2
    return 2 if unknown or any(not r.ok for r in result.results) else 0


JUDGE_FAILURE_LIMIT = 0.10  # a run whose judge failed on more than this share of claims exits 2


def candidate_lines(records: list[dict[str, Any]]) -> list[str]:
    """One line per candidate, its columns aligned across every line printed, whatever the story names'
    lengths: `story/candidate`, faithfulness, coverage and the verdict counts."""
    names = [f"{r['story']}/{r['id']}" for r in records]
    width = max((len(n) for n in names), default=0)
    digits = {k: max((len(str(r["metrics"][k])) for r in records), default=1) for k in VERDICTS}

    def value(mt: dict[str, Any], metric: str) -> str:
        return " n/a" if mt.get(metric) is None else f"{mt[metric]:.2f}"

    return [
        f"  {name:<{width}}  faithfulness {value(r['metrics'], 'faithfulness')}  coverage "
        f"{value(r['metrics'], 'weighted_coverage')}  "
        + "  ".join(f"{k} {r['metrics'][k]:>{digits[k]}}" for k in VERDICTS)
        for name, r in zip(names, records)
    ]


def run_summary(document: dict[str, Any], folder: Path, budget: int | None = None) -> tuple[list[str], list[str]]:
    """What `harness run` prints, as (stdout lines, stderr lines): at most `budget` lines together whatever
    the run size (1,600 candidates once printed 1,591 lines). Totals, warnings, the first errors, every
    candidate while they fit else the worst few, the gate's result with its first failures, and where
    the full lists are."""
    budget = budget or CONSOLE_LINES
    records = candidate_records(document)
    ok = [r for r in records if r["status"] == "ok"]
    errors, cache = document["errors"], document["cache"]
    # plain numbers: benchmarks/scale.py and the robustness test read them from this line
    out = [
        f"{counted(len(ok), 'candidate')} evaluated, {counted(sum(len(r['claims']) for r in ok), 'claim')}, "
        f"{counted(len(errors), 'error')} in "
        f"{document['timings']['total_s']:.1f}s ({cache['embeddings_computed']} embeddings computed, "
        f"{cache['embeddings_from_cache']} from cache, {cache['candidates_from_cache']} candidates from cache)"
    ]
    gate = document.get("gate") or {}
    no_facts = [s["id"] for s in document["stories"] if not s["key_facts"]]
    if no_facts:
        out.append(f"warning: {coverage_warning(no_facts, gate.get('not_applied', []))}")
    unscored = [f"{s['id']}/{c['id']}" for s in document["stories"] for c in s["candidates"] if c.get("warning")]
    if unscored:
        out.append(
            f"warning: {len(unscored)} candidate(s) with no scorable claim ({', '.join(unscored[:SHOWN])}"
            f"{', ...' if len(unscored) > SHOWN else ''}): see `warning` in {folder / 'candidates.csv'}"
        )
    err = [f"error: {e}" for e in errors[:SHOWN]]
    if len(errors) > SHOWN:
        err.append(f"error: ... and {len(errors) - SHOWN:,} more: every error is a row of {folder / 'candidates.csv'}")
    tail = []
    failures = (gate or {}).get("failures", [])
    empty = [f for f in failures if f["kind"] == "empty"] if all(f["kind"] == "empty" for f in failures) else []
    if empty:  # a first run with nothing else wrong: not a failure of the candidates; `harness run` exits 0
        tail.append(
            "gate: nothing to check yet (no baseline, no [gate.thresholds]); `harness gate` exits 2 until you "
            "record a good run with `harness baseline` or set thresholds in harness.toml"
        )
        gate = {**gate, "failures": [f for f in gate["failures"] if f["kind"] != "empty"]}
    if gate and (gate["failures"] or not empty):
        failures = sorted(gate["failures"], key=lambda f: failure_rank(f["scope"], f["kind"]))
        tail.append(gate["summary"])
        tail += [f"  FAIL {f['scope']} {f['name']} {f['kind']}: {f['message']}" for f in failures[:SHOWN]]
        if len(failures) > SHOWN:
            tail.append(f"  ... and {len(failures) - SHOWN:,} more failing checks: harness gate --run {folder}")
    tail.append(f"reports: {folder}")
    room = budget - len(out) - len(err) - len(tail)
    if len(ok) <= room:
        out += candidate_lines(ok)
    else:
        worst = sorted(
            ok,
            key=lambda r: (
                r["metrics"].get("faithfulness") is not None,
                r["metrics"].get("faithfulness") or 0.0,
                -(r["metrics"].get("contradicted") or 0),
            ),
        )
        out.append(f"worst {SHOWN} of {len(ok):,} candidates by faithfulness (every one: {folder / 'candidates.csv'}):")
        out += candidate_lines(worst[:SHOWN])
    return out + tail, err


def cmd_validate(args: argparse.Namespace) -> int:
    """Read every input with the real readers and print every problem, without loading any model."""
    config = command_config(args)  # the [gate] settings too: a bad one is exit 2 naming it
    note_defaults(args)
    check_judge_settings(config)
    stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb)
    problems = [str(e) for e in errors] + [str(e) for s in stories for e in s.errors]
    for problem in problems:
        say(f"error: {problem}", file=sys.stderr)
    docs = sum(len(s.references) + len(s.candidates) for s in stories)
    say(
        f"{counted(len(stories), 'story', 'stories')}, {counted(docs, 'file')} read, {counted(len(problems), 'problem')}"
    )
    return 2 if problems else 0


def cmd_key_facts(args: argparse.Namespace) -> int:
    """Print each story's key facts as story.yaml `key_facts:` entries, with the kind they are (hand-written,
    from reference summaries, derived), so derived ones can be reviewed, edited and pasted in. Loads no model.
    A story that cannot be read is an error line and exit 2, after every other story is printed."""
    config = command_config(args)
    gold = Path(config.gold)
    story_dirs = [d for d in find_story_dirs(gold) if not args.story or d.name == args.story]
    if not story_dirs:
        raise InputError(gold, f"no story folder named '{args.story}'", "--story")
    failed = 0
    for story_dir in story_dirs:
        try:
            story = with_key_facts(load_story(story_dir, config.max_file_mb, gold))
        except InputError as exc:
            say(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        entries = [
            {
                "id": f.fact_id,
                "fact": f.text,
                "weight": f.weight,
                **({"must_mention": f.must_mention} if f.must_mention else {}),
            }
            for f in story.key_facts
        ]
        say(f"# {story.story_id}: {len(entries)} key facts ({', '.join(kinds(story.key_facts)) or 'none'})")
        say(yaml.safe_dump({"key_facts": entries}, allow_unicode=True, sort_keys=False, width=120), end="")
    return 2 if failed else 0


def add_run_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "run",
        parents=[common],
        help="evaluate candidates and write reports",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--gold", help="folder of stories, or one folder of reference files")
    parser.add_argument("--candidates", help="folder of candidate files (per story sub-folders, or flat for one story)")
    parser.add_argument("--out", help="reports folder (default: the settings' [paths] reports, else reports/)")
    parser.add_argument("--run-id", help="name of the run folder (default: a UTC timestamp)")
    parser.add_argument(
        "--no-cache", action="store_true", help="evaluate every candidate again (embeddings stay cached)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="local processes to spread stories over (default: one per CPU core when there are several stories)",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="ray: one task per story on the cluster named by RAY_ADDRESS, else a local Ray instance",
    )
    parser.set_defaults(func=cmd_run)


def add_validate_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("validate", parents=[common], help="check inputs against the schemas and readers")
    parser.add_argument("--gold")
    parser.add_argument("--candidates")
    parser.set_defaults(func=cmd_validate)


def add_key_facts_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "key-facts",
        parents=[common],
        help="print each story's key facts (hand-written, from reference summaries, or derived) as YAML",
    )
    parser.add_argument("--gold")
    parser.add_argument("--story", help="only this story (folder name)")
    parser.set_defaults(func=cmd_key_facts)
