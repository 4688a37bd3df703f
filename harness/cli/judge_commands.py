"""The commands that measure a judge: `harness score-pairs` (one score per (document, summary) row),
`harness meta-eval` (the scores against human labels, harness.measure.metaeval) and `harness probe` (behavioural
tests on the stories' own sentences, harness.measure.probe)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from harness.cli.command_config import command_config
from harness.cli.console import say
from harness.cli.outputs import check_output_file, check_reports_folder
from harness.config import Config
from harness.document import InputError
from harness.files import atomic_write_text
from harness.ingest import find_story_dirs, load_story
from harness.ingest.pairs import SCORE_DIGITS, read_pairs
from harness.measure.metaeval import run_meta_eval
from harness.measure.probe import build_probes, console_table, gate_failures, run_probes, summarise, write_outputs
from harness.measure.scorer import ConsistencyScorer, unscored_reason
from harness.registry import KINDS


def with_judge(config: Config, judge: str | None) -> Config:
    """The config with `--judge` in place of its `[judge] name`; its options, made for another judge, are left
    out with a note (the other judge would refuse them)."""
    if judge and judge != config.judge:
        if config.judge_options:
            say(f"note: [judge] options are for '{config.judge}', not passed to '{judge}'", file=sys.stderr)
        config.judge, config.judge_options = judge, {}
    return config


def cmd_score_pairs(args: argparse.Namespace) -> int:
    config = with_judge(command_config(args), args.judge)
    out = Path(args.out)
    check_output_file(out, inputs=(Path(args.input),))
    rows = read_pairs(Path(args.input), config.max_file_mb)
    scorer = ConsistencyScorer(config)
    scores = scorer.score([r["document"] for r in rows], [r["summary"] for r in rows], progress=not args.quiet)
    lines = [
        json.dumps(
            {"id": r["id"], "score": None if s is None else round(s, SCORE_DIGITS)}
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
    """Score labelled rows with the configured judge (or --judge) and measure the agreement: harness.measure.metaeval."""
    config = with_judge(command_config(args), args.judge)
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


def cmd_probe(args: argparse.Namespace) -> int:
    """Behavioural tests of one or more judges on the stories' own sentences (harness.measure.probe)."""
    config = command_config(args)
    kinds = tuple(args.kinds.split(",")) if args.kinds else tuple(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InputError("--kinds", f"unknown edit kind {', '.join(unknown)}: expected some of {', '.join(KINDS)}")
    if args.max_sentences < 1:
        raise InputError("--max-sentences", "expected a whole number of at least 1")
    out = Path(args.out or Path(config.reports) / "probe")
    check_reports_folder(replace(config, reports=str(out)))
    for name in ("probe.csv", "probe.json", "probe.html"):
        check_output_file(out / name, "--out", mine=name)
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
    judged = [p for p in probes if not p.skipped]
    say(
        f"{len(judged):,} variants of {len({p.sentence_id for p in judged}):,} sentences per judge "
        f"({len(probes) - len(judged):,} edits skipped) -> " + ", ".join(map(str, paths))
    )
    failures = gate_failures(summary, config.gate.probe)
    for failure in failures:
        say(f"FAIL probe {failure}")
    return 1 if failures else 0


def add_score_pairs_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("score-pairs", parents=[common], help="score (id, document, summary) JSONL rows")
    parser.add_argument("input", help="JSONL with id, document, summary")
    parser.add_argument("--out", required=True, help="JSONL of {id, score}")
    parser.add_argument("--judge", help="judge to score with (default: the config's [judge] name)")
    parser.set_defaults(func=cmd_score_pairs)


def add_meta_eval_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "meta-eval",
        parents=[common],
        help="measure a judge against human consistency labels",
        description="Score JSONL rows {id, document, summary, label (1 consistent, 0 not), cut?, "
        "origin?, score?, system?} as score-pairs does and report ROC AUC, balanced accuracy, "
        "correlations and the word-overlap baseline, overall and per origin and cut.",
    )
    parser.add_argument("input", help="JSONL of labelled rows (e.g. ../shared/bench/summedits_all.jsonl)")
    parser.add_argument("--judge", help="judge to measure (default: the config's [judge] name)")
    parser.add_argument("--out", required=True, help="folder for meta_eval.json, meta_eval.md and scores.jsonl")
    parser.add_argument("--sample", type=int, help="at most N rows per (cut, origin, label), the same on every run")
    parser.set_defaults(func=cmd_meta_eval)


def add_probe_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "probe",
        parents=[common],
        help="behavioural tests of a judge on the stories' own sentences (no labels needed)",
        description="Take sentences from each story's references, make one-edit variants with a known effect "
        "(negation, antonym, entity or role swap, number, date, quotation, another story's sentence: must be "
        "caught; the original, a clause reorder, a synonym, a dropped modifier: must be accepted), judge each "
        "through the normal pipeline, and report per judge and edit kind the rate with a 95% interval. "
        "Writes probe.csv, probe.json and probe.html; exit 1 when a [gate.probe] minimum is not met.",
    )
    parser.add_argument("--gold", help="folder of stories (default: the config's)")
    parser.add_argument("--judge", action="append", help="judge to probe; repeat to compare (default: the config's)")
    parser.add_argument("--max-sentences", type=int, default=20, help="sentences per story (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="which sentences and edits (default 0)")
    parser.add_argument("--kinds", help="comma-separated edit kinds (default: all)")
    parser.add_argument("--out", help="output folder (default <reports>/probe)")
    parser.set_defaults(func=cmd_probe)
