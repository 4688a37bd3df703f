"""The `harness` command: run, validate, score-pairs, gate, baseline.

Exit codes: 0 success; 1 the command ran but found failures it was asked to fail on; 2 bad input or
configuration (every problem printed as one line naming the file and the field).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from harness.config import Config, load_config
from harness.document import InputError

DEFAULT_CONFIG = Path("harness.toml")


def _config(args: argparse.Namespace) -> Config:
    path = Path(args.config) if args.config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    config = load_config(path)
    for name in ("gold", "candidates"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    if getattr(args, "out", None):
        config.reports = args.out
    return config


def cmd_run(args: argparse.Namespace) -> int:
    from harness.pipeline import run
    from harness.report import check_run_id, release_run_folder, reserve_run_folder, write_reports
    from harness.gate import load_gate_config
    config = _config(args)
    gate = load_gate_config(_gate_config_path(args))
    if args.workers < 1:
        raise InputError("--workers", "expected a whole number of at least 1")
    if args.run_id:
        check_run_id(args.run_id)
    folder = reserve_run_folder(Path(config.reports), args.run_id)
    try:
        result = run(config, quiet=args.quiet, use_cache=not args.no_cache, workers=args.workers, backend=args.backend)
    except BaseException:
        release_run_folder(folder)
        raise
    folder = write_reports(result, Path(config.reports), gate=gate, folder=folder)
    errors = [r.error for r in result.results if r.error]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    ok = [r for r in result.results if r.ok]
    claims = sum(len(r.claims) for r in ok)
    print(f"{len(ok)} candidates evaluated, {claims} claims, {len(errors)} errors in {result.timings['total_s']:.1f}s "
          f"({result.cache['embeddings_computed']} embeddings computed, {result.cache['embeddings_from_cache']} from cache, "
          f"{result.cache['candidates_from_cache']} candidates from cache)")
    for r in ok:
        mt = r.metrics
        faith = "n/a" if mt["faithfulness"] is None else f"{mt['faithfulness']:.2f}"
        cov = "n/a" if mt["weighted_coverage"] is None else f"{mt['weighted_coverage']:.2f}"
        print(f"  {r.story}/{r.document.doc_id:<12} faithfulness {faith}  coverage {cov}  "
              f"supported {mt['supported']}  contradicted {mt['contradicted']}  unsupported {mt['unsupported']}  artefact {mt['artefact']}")
    print(f"reports: {folder}")
    return 2 if errors else 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Read every input with the real readers and print every problem, without loading any model."""
    from harness.ingest import load_stories
    config = _config(args)
    stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb)
    problems = [str(e) for e in errors] + [str(e) for s in stories for e in s.errors]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    docs = sum(len(s.references) + len(s.candidates) for s in stories)
    print(f"{len(stories)} stories, {docs} files read, {len(problems)} problems")
    return 2 if problems else 0


MAX_PAIRS_MB = 500.0  # one score-pairs input file; each document and summary is held to [ingest] max_file_mb


def _read_pairs(path: Path, max_field_mb: float) -> list[dict]:
    """JSONL rows {id, document, summary}. Lines are split at "\\n" only (JSON strings may hold U+2028 and
    other characters that `str.splitlines` breaks at); every problem names the file and the line."""
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
            raise InputError(path, f"expected a JSON object {{id, document, summary}}, got {type(row).__name__}", where)
        for key in ("id", "document", "summary"):
            if key not in row:
                raise InputError(path, f"missing field '{key}'", where)
        if not isinstance(row["document"], str) or not isinstance(row["summary"], str):
            raise InputError(path, "document and summary must be strings", where)
        if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
            raise InputError(path, "id must be a string or a whole number", where)
        for key in ("document", "summary"):
            if len(row[key].encode("utf-8")) > max_field_mb * 1_000_000:
                raise InputError(path, f"{key} is over the {max_field_mb:g} MB limit for one input "
                                 "(raise [ingest] max_file_mb in harness.toml)", where)
        if row["id"] in seen:
            raise InputError(path, f"duplicate id {row['id']!r} (also line {seen[row['id']]})", where)
        seen[row["id"]] = number
        rows.append(row)
    return rows


def _check_output_file(path: Path) -> None:
    """Refuse an output path that cannot become a file, before any work is done."""
    if path.is_dir():
        raise InputError(path, "is a folder: --out names the output file")
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(path, f"{path.parent} is not a folder")


def cmd_score_pairs(args: argparse.Namespace) -> int:
    from harness.report import atomic_write_text
    from harness.scorer import ConsistencyScorer
    config = _config(args)
    out = Path(args.out)
    _check_output_file(out)
    rows = _read_pairs(Path(args.input), config.max_file_mb)
    scorer = ConsistencyScorer(config)
    scores = scorer.score([r["document"] for r in rows], [r["summary"] for r in rows], progress=not args.quiet)
    lines = [json.dumps({"id": r["id"], "score": None if s is None else round(s, 6)}
                        | ({} if s is not None else {"reason": "no scorable claim: the summary has no sentence to judge"}))
             for r, s in zip(rows, scores)]
    atomic_write_text(out, "\n".join(lines) + ("\n" if lines else ""))
    unscored = sum(s is None for s in scores)
    print(f"{len(rows)} pairs scored -> {args.out}" + (f" ({unscored} with no scorable claim: score null, reason given)"
                                                       if unscored else ""))
    return 0


def _gate_config_path(args: argparse.Namespace) -> Path | None:
    """The config named on the command line (which must exist), else ./harness.toml if present."""
    return Path(args.config) if args.config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)


def cmd_gate(args: argparse.Namespace) -> int:
    from harness.gate import console_table, evaluate_gate, junit_xml, load_gate_config, load_run_document, markdown
    from harness.report import atomic_write_text
    gate = load_gate_config(_gate_config_path(args))
    current = load_run_document(Path(args.run))
    baseline_path = None if args.no_baseline else (args.baseline or gate.baseline)
    baseline = None
    if baseline_path:
        if not Path(baseline_path).exists():
            raise InputError(baseline_path, "baseline not found (record one with `harness baseline`, or pass --no-baseline)")
        baseline = load_run_document(Path(baseline_path))
    report = evaluate_gate(current, baseline, gate, baseline_path)
    print(console_table(report))
    if args.markdown:
        atomic_write_text(Path(args.markdown), markdown(report))
    if args.junit:
        atomic_write_text(Path(args.junit), junit_xml(report))
    return 0 if report.passed else 1


def cmd_baseline(args: argparse.Namespace) -> int:
    from harness.gate import baseline_document, load_gate_config, load_run_document
    from harness.report import atomic_write_text
    gate = load_gate_config(_gate_config_path(args))
    out = Path(args.out or gate.baseline or "reports/baseline/baseline.json")
    document = baseline_document(load_run_document(Path(args.run)))
    if not document["candidates"]:
        raise InputError(args.run, "the run has no evaluated candidate to record")
    atomic_write_text(out, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"baseline of {len(document['candidates'])} candidates (run {document['run_id']}) -> {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description="Evaluate candidate summaries against reference articles.")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML config (default: ./harness.toml if present)")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    run = sub.add_parser("run", parents=[common], help="evaluate candidates and write reports")
    run.add_argument("--gold", help="folder of stories, or one folder of reference files")
    run.add_argument("--candidates", help="folder of candidate files (per story sub-folders, or flat for one story)")
    run.add_argument("--out", help="reports folder (default reports/)")
    run.add_argument("--run-id", help="name of the run folder (default: a UTC timestamp)")
    run.add_argument("--no-cache", action="store_true", help="evaluate every candidate again (embeddings stay cached)")
    run.add_argument("--workers", type=int, default=1, help="local processes to spread stories over (default 1)")
    run.add_argument("--backend", choices=["local", "ray"], default="local",
                     help="ray: one task per story on the cluster named by RAY_ADDRESS, else a local Ray instance")
    run.set_defaults(func=cmd_run)
    validate = sub.add_parser("validate", parents=[common], help="check inputs against the schemas and readers")
    validate.add_argument("--gold")
    validate.add_argument("--candidates")
    validate.set_defaults(func=cmd_validate)
    pairs = sub.add_parser("score-pairs", parents=[common], help="score (id, document, summary) JSONL rows")
    pairs.add_argument("input", help="JSONL with id, document, summary")
    pairs.add_argument("--out", required=True, help="JSONL of {id, score}")
    pairs.set_defaults(func=cmd_score_pairs)
    gate = sub.add_parser("gate", parents=[common], help="check a run against thresholds and a baseline")
    gate.add_argument("--run", default="reports/latest", help="run folder or run.json (default reports/latest)")
    gate.add_argument("--baseline", help="baseline file, run.json or folder (default: [gate] baseline in the config)")
    gate.add_argument("--no-baseline", action="store_true", help="thresholds only")
    gate.add_argument("--markdown", help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    gate.add_argument("--junit", help="write JUnit XML")
    gate.set_defaults(func=cmd_gate)
    baseline = sub.add_parser("baseline", parents=[common], help="record a run as the baseline")
    baseline.add_argument("--run", default="reports/latest")
    baseline.add_argument("--out", help="default: [gate] baseline in the config, else reports/baseline/baseline.json")
    baseline.set_defaults(func=cmd_baseline)
    return parser


def _terminate(signum, frame) -> None:
    """SIGTERM (CI cancelling a job) is handled like Ctrl-C: stop cleanly, keep reports/latest."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a setting that names no judge or model
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no report written, reports/latest is unchanged; cached embeddings are kept, "
              "so running again resumes", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
