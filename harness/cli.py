"""The `harness` command: run, validate, key-facts, score-pairs, meta-eval, gate, baseline.

Exit codes: 0 success; 1 the command ran but found failures it was asked to fail on; 2 bad input or
configuration (every problem printed as one line naming the file and the field).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.config import Config, GateConfig, load_config
from harness.document import InputError

DEFAULT_CONFIG = Path("harness.toml")
GATE_SETTINGS_RULE = (
    "Settings: --config F if given; else those the run recorded in its run.json (the ones `harness run` "
    "used); else ./harness.toml if present; else the defaults."
)


def _config_path(args: argparse.Namespace) -> Path | None:
    """The config named on the command line (which must exist), else ./harness.toml if present."""
    return Path(args.config) if args.config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)


def _config(args: argparse.Namespace) -> Config:
    """The settings (`[gate]` among them) with the command line's folders in place of the config's."""
    config = load_config(_config_path(args))
    for name in ("gold", "candidates"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    if getattr(args, "out", None):
        config.reports = args.out
    return config


def cmd_run(args: argparse.Namespace) -> int:
    from harness.pipeline import run
    from harness.report import check_run_id, release_run_folder, reserve_run_folder, write_reports

    config = _config(args)
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", "expected a whole number of at least 1")
    if args.run_id is not None:
        check_run_id(args.run_id)
    _check_reports_folder(config)
    folder = reserve_run_folder(Path(config.reports), args.run_id)
    try:
        result = run(config, quiet=args.quiet, use_cache=not args.no_cache, workers=args.workers, backend=args.backend)
    except BaseException:
        release_run_folder(folder)
        raise
    folder = write_reports(result, Path(config.reports), gate=config.gate, folder=folder)
    out, err = run_summary(json.loads((folder / "run.json").read_text("utf-8")), folder)
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
    return 2 if any(not r.ok for r in result.results) else 0


JUDGE_FAILURE_LIMIT = 0.10  # a run whose judge failed on more than this share of claims exits 2


def judge_failures(usage: dict[str, int]) -> tuple[int, int]:
    """(claims the judge failed on, claims it was asked about) from an LLM judge's usage counts (0, 0 otherwise)."""
    return usage.get("errors", 0), usage.get("requests", 0) + usage.get("cached", 0)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text with control characters, terminal escapes and bidi overrides shown as `\\x1b`-style escapes: a
    file or id named with them must not drive the user's terminal (newlines and tabs stay)."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def say(*values: Any, file=None, end: str = "\n", sep: str = " ") -> None:
    """`print` for everything the CLI shows: through terminal_safe."""
    print(terminal_safe(sep.join(str(v) for v in values)), file=file, end=end)


def _check_reports_folder(config: Config) -> None:
    """The reports folder may not be, or lie inside, an input folder (nor hold one): `--out gold` would put
    run folders among the stories, and the next run would read them as stories."""
    reports = Path(config.reports).resolve()
    for name, folder in (("gold", config.gold), ("candidates", config.candidates)):
        source = Path(folder).resolve()
        if reports == source or reports.is_relative_to(source) or source.is_relative_to(reports):
            raise InputError(
                config.reports, f"the reports folder would mix with the {name} folder {folder}: refused", "--out"
            )


def _candidate_line(record: dict[str, Any], width: int = 12) -> str:
    mt = record["metrics"]

    def value(metric: str) -> str:
        return "n/a" if mt.get(metric) is None else f"{mt[metric]:.2f}"

    return (
        f"  {record['story']}/{record['id']:<{width}} faithfulness {value('faithfulness')}  coverage "
        f"{value('weighted_coverage')}  supported {mt['supported']}  contradicted {mt['contradicted']}  "
        f"unsupported {mt['unsupported']}  artefact {mt['artefact']}"
    )


def run_summary(document: dict[str, Any], folder: Path, budget: int | None = None) -> tuple[list[str], list[str]]:
    """What `harness run` prints, as (stdout lines, stderr lines): at most `budget` lines together whatever
    the run size (1,600 candidates once printed 1,591 lines). Totals, warnings, the first errors, every
    candidate while they fit else the worst few, the gate's result with its first failures, and where
    the full lists are."""
    from harness.gate import CONSOLE_LINES, SHOWN, candidate_records, coverage_warning, failure_rank

    budget = budget or CONSOLE_LINES
    records = candidate_records(document)
    ok = [r for r in records if r["status"] == "ok"]
    errors, cache = document["errors"], document["cache"]
    # plain numbers: benchmarks/scale.py and the robustness test read them from this line
    out = [
        f"{len(ok)} candidates evaluated, {sum(len(r['claims']) for r in ok)} claims, {len(errors)} errors in "
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
    if gate:
        failures = sorted(gate["failures"], key=lambda f: failure_rank(f["scope"], f["kind"]))
        tail.append(gate["summary"])
        tail += [f"  FAIL {f['scope']} {f['name']} {f['kind']}: {f['message']}" for f in failures[:SHOWN]]
        if len(failures) > SHOWN:
            tail.append(f"  ... and {len(failures) - SHOWN:,} more failing checks: harness gate --run {folder}")
    tail.append(f"reports: {folder}")
    room = budget - len(out) - len(err) - len(tail)
    if len(ok) <= room:
        out += [_candidate_line(r) for r in ok]
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
        out += [_candidate_line(r) for r in worst[:SHOWN]]
    return out + tail, err


def cmd_validate(args: argparse.Namespace) -> int:
    """Read every input with the real readers and print every problem, without loading any model."""
    from harness.ingest import load_stories
    from harness.judge import check_judge

    config = _config(args)  # the [gate] settings too: a bad one is exit 2 naming it
    check_judge(config.judge, config.judge_options)
    stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb)
    problems = [str(e) for e in errors] + [str(e) for s in stories for e in s.errors]
    for problem in problems:
        say(f"error: {problem}", file=sys.stderr)
    docs = sum(len(s.references) + len(s.candidates) for s in stories)
    say(f"{len(stories)} stories, {docs} files read, {len(problems)} problems")
    return 2 if problems else 0


def cmd_key_facts(args: argparse.Namespace) -> int:
    """Print each story's key facts as story.yaml `key_facts:` entries, with the kind they are (hand-written,
    from reference summaries, derived), so derived ones can be reviewed, edited and pasted in. Loads no model."""
    import yaml

    from harness.ingest import find_story_dirs, load_story
    from harness.keyfacts import kinds

    config = _config(args)
    gold = Path(config.gold)
    story_dirs = [d for d in find_story_dirs(gold) if not args.story or d.name == args.story]
    if not story_dirs:
        raise InputError(gold, f"no story folder named '{args.story}'", "--story")
    for story_dir in story_dirs:
        story = load_story(story_dir, config.max_file_mb, gold)
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
    return 0


MAX_PAIRS_MB = (
    500.0  # one score-pairs or meta-eval input file; each document and summary is held to [ingest] max_file_mb
)
PAIR_FIELDS = ("id", "document", "summary")


def read_pairs(
    path: Path,
    max_field_mb: float,
    required: tuple[str, ...] = PAIR_FIELDS,
    check: Callable[[dict], str | None] | None = None,
) -> list[dict]:
    """JSONL rows {id, document, summary} plus any other `required` fields; other fields are kept and
    ignored. `check(row)` names what else is wrong with a row (meta-eval's label), or returns None. Lines are
    split at "\\n" only (JSON strings may hold U+2028 and other characters that `str.splitlines` breaks at);
    every problem names the file and the line, so score-pairs and meta-eval refuse the same rows alike."""
    from harness.files import read_regular_file
    from harness.ingest.readers import load_json

    raw = read_regular_file(path, int(MAX_PAIRS_MB * 1_000_000))
    try:
        lines = raw.decode("utf-8-sig").split("\n")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}") from exc
    rows, seen = [], {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            row = load_json(line, path)
        except InputError as exc:
            raise InputError(path, exc.problem, where) from exc
        if not isinstance(row, dict):
            raise InputError(path, f"expected a JSON object {{{', '.join(required)}}}, got {type(row).__name__}", where)
        for key in required:
            if key not in row:
                raise InputError(path, f"missing field '{key}'", where)
        if not isinstance(row["document"], str) or not isinstance(row["summary"], str):
            raise InputError(path, "document and summary must be strings", where)
        if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
            raise InputError(path, "id must be a string or a whole number", where)
        for key in ("document", "summary"):
            if len(row[key].encode("utf-8")) > max_field_mb * 1_000_000:
                raise InputError(
                    path,
                    f"{key} is over the {max_field_mb:g} MB limit for one input "
                    "(raise [ingest] max_file_mb in harness.toml)",
                    where,
                )
        if row["id"] in seen:
            raise InputError(path, f"duplicate id {row['id']!r} (also line {seen[row['id']]})", where)
        problem = check(row) if check else None
        if problem:
            raise InputError(path, problem, where)
        seen[row["id"]] = number
        rows.append(row)
    if not rows:
        raise InputError(path, f"holds no rows: expected one JSON object {{{', '.join(required)}}} per line")
    return rows


def _check_output_file(
    path: Path, option: str = "--out", inputs: tuple[Path, ...] = (), mine: str | None = None
) -> None:
    """Refuse an output path that cannot become a file, would overwrite an input, or (with `mine`, a kind of
    OUTPUT_SIGNATURES) exists and is not a file of that kind, before any work is done."""
    if path.is_dir():
        raise InputError(path, f"is a folder: {option} names the output file")
    if any(parent.exists() and not parent.is_dir() for parent in path.parents):
        raise InputError(
            path, f"{next(p for p in path.parents if p.exists() and not p.is_dir())} is not a folder", option
        )
    if any(path.resolve() == source.resolve() for source in inputs):
        raise InputError(path, f"{option} would overwrite the input file")
    if path.exists() and mine is not None and not _written_by_us(path, mine):
        raise InputError(
            path, f"exists and is not a file {option} writes: refused (remove it, or name another file)", option
        )


# What a file the harness writes starts with, by kind: an existing file is replaced only when it is one of
# ours, so a mistyped --markdown or --junit never overwrites a run's run.json, a CSV or a gold reference.
OUTPUT_SIGNATURES = {
    "markdown": ("## Summary gate",),  # each signature is looked for in the file's first 200 bytes
    "junit": (
        "<?xml version='1.0' encoding='UTF-8'?>\n<testsuite name=\"harness-gate\"",
        '<testsuite name="harness-gate"',
    ),
    "probe.csv": ("judge,story,sentence,kind,expect",),
    "probe.json": ('"settings": {',),
    "probe.html": ("<title>harness probe</title>",),
}


def _written_by_us(path: Path, kind: str) -> bool:
    """Whether the file at `path` starts like a file of `kind` that the harness writes (read: its first bytes)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(200).decode("utf-8", "replace")
    except OSError:
        return False
    # empty: a file made for us to fill, like CI's $GITHUB_STEP_SUMMARY
    return not head.strip() or any(signature in head for signature in OUTPUT_SIGNATURES[kind])


def cmd_score_pairs(args: argparse.Namespace) -> int:
    from harness.report import atomic_write_text
    from harness.scorer import ConsistencyScorer, unscored_reason

    config = _config(args)
    out = Path(args.out)
    _check_output_file(out, inputs=(Path(args.input),))
    rows = read_pairs(Path(args.input), config.max_file_mb)
    scorer = ConsistencyScorer(config)
    scores = scorer.score([r["document"] for r in rows], [r["summary"] for r in rows], progress=not args.quiet)
    lines = [
        json.dumps(
            {"id": r["id"], "score": None if s is None else round(s, 6)}
            | ({} if s is not None else {"reason": unscored_reason(r["summary"])})
        )
        for r, s in zip(rows, scores)
    ]
    atomic_write_text(out, "\n".join(lines) + ("\n" if lines else ""))
    unscored = sum(s is None for s in scores)
    say(
        f"{len(rows)} pairs scored -> {args.out}"
        + (f" ({unscored} with no scorable claim: score null, reason given)" if unscored else "")
    )
    return 0


def cmd_meta_eval(args: argparse.Namespace) -> int:
    """Score labelled rows with the configured judge (or --judge) and measure the agreement: harness.metaeval."""
    from harness.metaeval import run_meta_eval

    config = _config(args)
    if args.judge and args.judge != config.judge:
        if config.judge_options:  # options of another judge would be refused by this one
            say(f"note: [judge] options are for '{config.judge}', not passed to '{args.judge}'", file=sys.stderr)
        config.judge, config.judge_options = args.judge, {}
    out = Path(args.out)
    if args.sample is not None and args.sample < 1:
        raise InputError("--sample", "expected a whole number of at least 1")
    result = run_meta_eval(Path(args.input), config, out, progress=not args.quiet, sample=args.sample)
    overall, base = result["overall"], result["overall"]["baseline"]

    def shown(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    say(
        f"{result['rows']:,} rows, judge {config.judge}: ROC AUC {shown(overall['roc_auc'])}, balanced accuracy "
        f"{shown(overall['balanced_accuracy'])} on {overall['n']:,} rows (threshold: {result['threshold_source']}); "
        f"word-overlap baseline {shown(base['roc_auc'])}, {shown(base['balanced_accuracy'])}; "
        f"{result['unscored']['n']:,} unscored (counted as 0.5); {result['seconds']['scoring']:.1f}s scoring "
        f"-> {out / 'meta_eval.json'}, {out / 'meta_eval.md'}"
    )
    return 0


def _run_file(path: Path) -> Path:
    return path / "run.json" if path.is_dir() else path


def _gate_settings(args: argparse.Namespace, run: dict[str, Any], run_file: Path) -> tuple[GateConfig, str]:
    """(GateConfig, where it came from) by GATE_SETTINGS_RULE: a run is judged by the settings it was made
    with, never by whatever harness.toml the current folder holds, unless --config says so."""
    from harness.gate import recorded_gate_config

    if not args.config:
        recorded = recorded_gate_config(run, run_file)
        if recorded is not None:
            return recorded, f"as recorded by the run ({run_file})"
    path = _config_path(args)
    return load_config(path).gate, str(path) if path else "the defaults (no --config, none recorded, no ./harness.toml)"


def cmd_gate(args: argparse.Namespace) -> int:
    from harness.gate import (
        CONSOLE_LINES,
        baseline_location,
        console_summary,
        evaluate_gate,
        junit_xml,
        load_baseline,
        load_run_document,
        markdown,
        nothing_to_check,
        reports_folder_of,
    )
    from harness.report import atomic_write_text

    for option, path, kind in (("--markdown", args.markdown, "markdown"), ("--junit", args.junit, "junit")):
        if path:
            _check_output_file(Path(path), option, mine=kind)
    if args.markdown and args.junit and Path(args.markdown).resolve() == Path(args.junit).resolve():
        raise InputError(args.junit, "--markdown and --junit name the same file: one would replace the other")
    current = load_run_document(Path(args.run))
    gate, source = _gate_settings(args, current, _run_file(Path(args.run)))
    location = Path(args.baseline) if args.baseline else baseline_location(gate, reports_folder_of(Path(args.run)))
    # a baseline named on the command line or in the settings must exist; the default one is used when present
    required = bool(args.baseline or gate.baseline)
    baseline = None if args.no_baseline else load_baseline(location, required=required)
    empty = None if args.no_baseline else nothing_to_check(gate, baseline, location)
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
    from harness.gate import BASELINE_FORMAT, listed, load_run_document, stories_of

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
    from harness.gate import baseline_document, baseline_location, load_run_document, reports_folder_of
    from harness.report import atomic_write_text

    run = load_run_document(Path(args.run))
    gate, _ = _gate_settings(args, run, _run_file(Path(args.run)))
    out = Path(args.out) if args.out else baseline_location(gate, reports_folder_of(Path(args.run)))
    _check_output_file(out)
    document = baseline_document(run)
    if not document["candidates"]:
        raise InputError(args.run, "the run has no evaluated candidate to record")
    if out.exists() and not args.force:
        _refuse_other_stories(out, document)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    atomic_write_text(out, text)
    say(
        f"baseline of {len(document['candidates']):,} candidates (run {document['run_id']}) -> {out} "
        f"({len(text.encode('utf-8')) / 1e6:.1f} MB)"
    )
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    """Behavioural tests of one or more judges on the stories' own sentences (harness.probe)."""
    from harness.ingest import find_story_dirs, load_story
    from harness.probe import build_probes, console_table, gate_failures, run_probes, summarise, write_outputs
    from harness.registry import KINDS

    config = _config(args)
    kinds = tuple(args.kinds.split(",")) if args.kinds else tuple(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InputError("--kinds", f"unknown edit kind {', '.join(unknown)}: expected some of {', '.join(KINDS)}")
    if args.max_sentences < 1:
        raise InputError("--max-sentences", "expected a whole number of at least 1")
    out = Path(args.out or Path(config.reports) / "probe")
    _check_reports_folder(replace(config, reports=str(out)))
    for name in ("probe.csv", "probe.json", "probe.html"):
        _check_output_file(out / name, "--out", mine=name)
    stories = [load_story(d, config.max_file_mb, Path(config.gold)) for d in find_story_dirs(Path(config.gold))]
    probes, counts = build_probes(stories, kinds, args.max_sentences, args.seed)
    empty = sorted({s.story_id for s in stories} - {p.story for p in probes})
    for story in empty:
        say(f"warning: story {story}: no sentence of 8 to 45 words to probe", file=sys.stderr)
    if not probes:
        raise InputError(config.gold, "no story has a sentence of 8 to 45 words to probe: nothing to test")
    judges = args.judge or [config.judge]
    rows = [row for judge in judges for row in run_probes(stories, probes, config, judge, progress=not args.quiet)]
    summary = summarise(rows, counts)
    settings = {"judges": judges, "kinds": list(kinds), "max_sentences": args.max_sentences, "seed": args.seed}
    paths = write_outputs(out, rows, summary, settings)
    say(console_table(summary))
    say(
        f"{len(probes):,} variants of {len({p.sentence_id for p in probes}):,} sentences per judge -> "
        + ", ".join(map(str, paths))
    )
    failures = gate_failures(summary, config.gate.probe)
    for failure in failures:
        say(f"FAIL probe {failure}")
    return 1 if failures else 0


def cmd_init(args: argparse.Namespace) -> int:
    from harness.starter import write_starter

    written, kept = write_starter(Path(args.folder), args.gold, args.candidates, _pip_spec(args))
    for path in kept:
        say(f"kept {path}: it exists, and `harness init` never overwrites a file", file=sys.stderr)
    for path in written:
        say(f"wrote {path}")
    if not written:
        return 2
    say("next: harness run && harness baseline (commit the baseline); then harness gate after each change")
    return 0


def _pip_spec(args: argparse.Namespace) -> str:
    """How the CI workflow installs the harness: --pip-spec, else `-e .` when FOLDER is the harness's own
    checkout. There is no safe default otherwise: `harness` on PyPI is another project."""
    if args.pip_spec:
        return args.pip_spec
    project = Path(args.folder) / "pyproject.toml"
    if project.is_file() and re.search(r'(?m)^name\s*=\s*"harness"', project.read_text("utf-8", "replace")):
        return "-e ."
    raise InputError(
        "--pip-spec",
        "say how CI installs the harness: a path, a git URL (git+https://...) or a wheel; "
        "the PyPI name `harness` is another project",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness", description="Evaluate candidate summaries against reference articles."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML config (default: ./harness.toml if present)")
    common.add_argument("--quiet", action="store_true", help="print only the summary: no progress bars")
    run = sub.add_parser("run", parents=[common], help="evaluate candidates and write reports")
    run.add_argument("--gold", help="folder of stories, or one folder of reference files")
    run.add_argument("--candidates", help="folder of candidate files (per story sub-folders, or flat for one story)")
    run.add_argument("--out", help="reports folder (default reports/)")
    run.add_argument("--run-id", help="name of the run folder (default: a UTC timestamp)")
    run.add_argument("--no-cache", action="store_true", help="evaluate every candidate again (embeddings stay cached)")
    run.add_argument(
        "--workers",
        type=int,
        help="local processes to spread stories over (default: one per CPU core when there are several stories)",
    )
    run.add_argument(
        "--backend",
        choices=["local", "ray"],
        default="local",
        help="ray: one task per story on the cluster named by RAY_ADDRESS, else a local Ray instance",
    )
    run.set_defaults(func=cmd_run)
    validate = sub.add_parser("validate", parents=[common], help="check inputs against the schemas and readers")
    validate.add_argument("--gold")
    validate.add_argument("--candidates")
    validate.set_defaults(func=cmd_validate)
    facts = sub.add_parser(
        "key-facts",
        parents=[common],
        help="print each story's key facts (hand-written, from reference summaries, or derived) as YAML",
    )
    facts.add_argument("--gold")
    facts.add_argument("--story", help="only this story (folder name)")
    facts.set_defaults(func=cmd_key_facts)
    pairs = sub.add_parser("score-pairs", parents=[common], help="score (id, document, summary) JSONL rows")
    pairs.add_argument("input", help="JSONL with id, document, summary")
    pairs.add_argument("--out", required=True, help="JSONL of {id, score}")
    pairs.set_defaults(func=cmd_score_pairs)
    meta = sub.add_parser(
        "meta-eval",
        parents=[common],
        help="measure a judge against human consistency labels",
        description="Score JSONL rows {id, document, summary, label (1 consistent, 0 not), cut?, "
        "origin?, score?, system?} as score-pairs does and report ROC AUC, balanced accuracy, "
        "correlations and the word-overlap baseline, overall and per origin and cut.",
    )
    meta.add_argument("input", help="JSONL of labelled rows (e.g. ../shared/bench/summedits_all.jsonl)")
    meta.add_argument("--judge", help="judge to measure (default: the config's [judge] name)")
    meta.add_argument("--out", required=True, help="folder for meta_eval.json, meta_eval.md and scores.jsonl")
    meta.add_argument("--sample", type=int, help="at most N rows per (cut, origin, label), the same on every run")
    meta.set_defaults(func=cmd_meta_eval)
    gate = sub.add_parser(
        "gate",
        parents=[common],
        help="check a run against thresholds and a baseline",
        description="Check a run against thresholds and a baseline; prints a summary of at most "
        "25 lines, --markdown and --junit write every check. "
        + GATE_SETTINGS_RULE
        + " The baseline: --baseline F, else none with --no-baseline, else the settings' [gate] baseline, else "
        "baseline/baseline.json in the run's reports folder when it exists (the file `harness baseline` writes)."
        " Built in, with no settings: a candidate that could not be read or has no scorable claim fails, and so"
        " does one that gains a contradicted or unsupported claim or an artefact against the baseline, or loses"
        " more than the [gate.tolerance] defaults. With neither a baseline nor a threshold"
        " there is nothing to check: exit 2, unless --no-baseline asks for the built-in checks alone.",
    )
    gate.add_argument("--run", default="reports/latest", help="run folder or run.json (default reports/latest)")
    gate.add_argument(
        "--baseline",
        help="baseline file, run.json or folder (default: the settings' [gate] baseline, else <reports>/baseline/baseline.json)",
    )
    gate.add_argument("--no-baseline", action="store_true", help="thresholds and the built-in checks only")
    gate.add_argument("--markdown", help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    gate.add_argument("--junit", help="write JUnit XML")
    gate.set_defaults(func=cmd_gate)
    probe = sub.add_parser(
        "probe",
        parents=[common],
        help="behavioural tests of a judge on the stories' own sentences (no labels needed)",
        description="Take sentences from each story's references, make one-edit variants with a known effect "
        "(negation, antonym, entity or role swap, number, date, quotation, another story's sentence: must be "
        "caught; the original, a clause reorder, a synonym, a dropped modifier: must be accepted), judge each "
        "through the normal pipeline, and report per judge and edit kind the rate with a 95% interval. "
        "Writes probe.csv, probe.json and probe.html; exit 1 when a [gate.probe] minimum is not met.",
    )
    probe.add_argument("--gold", help="folder of stories (default: the config's)")
    probe.add_argument("--judge", action="append", help="judge to probe; repeat to compare (default: the config's)")
    probe.add_argument("--max-sentences", type=int, default=20, help="sentences per story (default 20)")
    probe.add_argument("--seed", type=int, default=0, help="which sentences and edits (default 0)")
    probe.add_argument("--kinds", help="comma-separated edit kinds (default: all)")
    probe.add_argument("--out", help="output folder (default <reports>/probe)")
    probe.set_defaults(func=cmd_probe)
    init = sub.add_parser(
        "init",
        help="write a starter harness.toml and a CI workflow that runs the gate",
        description="Write harness.toml (every gate setting, commented) and .github/workflows/summary-gate.yml "
        "into FOLDER; an existing file is never overwritten (exit 2).",
    )
    init.add_argument("folder", nargs="?", default=".", help="project folder (default: the current one)")
    init.add_argument("--gold", default="gold", help="the reference articles' folder (default gold)")
    init.add_argument("--candidates", default="candidates", help="the candidate summaries' folder (default candidates)")
    init.add_argument(
        "--pip-spec",
        help="what the workflow pip-installs: a path, git URL or wheel (default: -e . in the harness's own checkout)",
    )
    init.set_defaults(func=cmd_init)
    baseline = sub.add_parser(
        "baseline",
        parents=[common],
        help="record a run as the baseline",
        description="Record a run as the baseline. " + GATE_SETTINGS_RULE + " An existing "
        "baseline of other stories is replaced only with --force.",
    )
    baseline.add_argument("--run", default="reports/latest")
    baseline.add_argument(
        "--out", help="default: the settings' [gate] baseline, else baseline/baseline.json in the run's reports folder"
    )
    baseline.add_argument("--force", action="store_true", help="replace an existing baseline of other stories")
    baseline.set_defaults(func=cmd_baseline)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (CI cancelling a job), handled like Ctrl-C but exiting with 143 (128 + 15), as shells report it."""


def _terminate(signum, frame) -> None:
    """SIGTERM is handled like Ctrl-C: stop cleanly, keep reports/latest."""
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
            "interrupted: no report written, reports/latest is unchanged; cached embeddings are kept, "
            "so running again resumes",
            file=sys.stderr,
        )
        return 143 if isinstance(stop, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
