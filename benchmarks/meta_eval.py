"""Meta-evaluation: how well the harness's summary score agrees with human consistency labels.

    .venv/bin/python benchmarks/meta_eval.py --bench ../shared/bench [--judge crossencoder] [--judge evidence] ...
    .venv/bin/python benchmarks/meta_eval.py --bench ../shared/bench --judge crossencoder --model PATH --out FILE
    options: --work DIR  where each `harness meta-eval` run writes its folder (default /tmp/harness-meta-eval)

A thin caller of `harness meta-eval` (harness.measure.metaeval): for each judge it runs the command's code on
summedits_all.jsonl and summeval_all.jsonl, exactly as

    .venv/bin/harness meta-eval ../shared/bench/summedits_all.jsonl --judge J --out WORK/J/summedits_all

would (each folder then holds meta_eval.json, meta_eval.md and scores.jsonl), and tabulates their
meta_eval.json files beside the published numbers and the word-overlap baseline (the share of the summary's
content words found anywhere in the document). Rows without a score count as 0.5 everywhere.

SummEdits: per domain, the threshold is chosen on `cut == "val"` rows of that domain (maximum balanced
accuracy) and balanced accuracy is reported on `cut == "test"`, with ROC AUC on test. SummEval has no split:
balanced accuracy by two-fold cross-fitting (halves by a hash of the id), Spearman and Kendall with the mean
expert consistency score, ROC AUC on `label`, and Kendall over the 16 systems' means (system level).

The `crossencoder` judge's model was trained on SummEdits `val` rows and documents (never on `test` or
SummEval), so its per-domain thresholds chosen on val are chosen on data it has seen; the table also gives
each judge at its own fixed threshold, with nothing tuned on any split.
Prints a Markdown table and writes it to benchmarks/results/meta_eval.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from common import publish  # benchmarks/common.py: a script's folder is on sys.path

from harness.config import Config
from harness.measure.metaeval import run_meta_eval

DOMAINS = {
    "podcast": "Podcast",
    "samsum": "SamSum",
    "news": "News",
    "sales_call": "SalesCall",
    "sales_email": "SalesEmail",
    "scitldr": "SciTLDR",
    "qmsumm": "QMSumm",
    "ectsum": "ECTSum",
}
COMPARE = ["SummaCConv", "QAFactEval", "DAE", "GPT4"]
FILES = ("summedits_all", "summeval_all")


def published(readme: Path) -> dict[str, dict[str, float]]:
    """Balanced accuracies per model and domain from the benchmark README's table."""
    if not readme.exists():
        return {}
    lines = [ln for ln in readme.read_text("utf-8").splitlines() if ln.startswith("| ")]
    header = next((ln for ln in lines if ln.startswith("| Model")), None)
    if header is None:
        return {}
    names = [c.strip() for c in header.strip("|").split("|")]
    table = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == len(names) and re.fullmatch(r"[\d.]+", cells[1] or "x"):
            table[cells[0]] = {n: float(v) for n, v in zip(names[1:], cells[1:])}
    return table


def evaluate(judge: str, bench: Path, work: Path, model: str | None = None) -> dict:
    """`harness meta-eval` of one judge on both files: {"judge", "summedits": result, "summeval": result}."""
    config = Config(judge=judge)
    if model:
        config.consistency_model = model
    name = f"{judge}: {Path(model).parent.name}/{Path(model).name}" if model and judge == "crossencoder" else judge
    result = {"judge": name}
    for file in FILES:
        path = bench / f"{file}.jsonl"
        if not path.exists():
            raise SystemExit(f"error: {path}: not found (pass --bench with the folder holding the benchmark files)")
        print(f"{file}/{name}", flush=True)
        result[file.split("_")[0]] = run_meta_eval(path, config, work / judge / file)
    return result


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def _auc(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown(results: list[dict], reference: dict[str, dict[str, float]], command: str) -> str:
    """The results table from the meta_eval.json of each judge; the baseline's column from the first."""
    compare = [m for m in COMPARE if m in reference]
    edits = [r["summedits"] for r in results]
    base = edits[0]
    columns = [f"harness ({r['judge']})" for r in results] + ["word overlap (baseline)"] + [f"{m}*" for m in compare]
    lines = [
        "# Meta-evaluation against human labels",
        "",
        f"Command: `{command}`",
        "",
        "## SummEdits: balanced accuracy (%) on `cut == test`, threshold chosen per domain on `cut == val`",
        "",
        "| domain | n test | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for origin, name in DOMAINS.items():
        ours = [_pct(e["by_origin"][origin]["balanced_accuracy"]) for e in edits]
        ours.append(_pct(base["by_origin"][origin]["baseline"]["balanced_accuracy"]))
        theirs = [f"{reference[m].get(name, float('nan')):.1f}" for m in compare]
        lines.append(f"| {name} | {base['by_origin'][origin]['n']} | " + " | ".join(ours + theirs) + " |")
    empty = " |" * len(compare)
    ours = [f"**{_pct(e['mean_over_origins']['balanced_accuracy'])}**" for e in edits]
    ours.append(_pct(base["mean_over_origins"]["baseline_balanced_accuracy"]))
    theirs = [f"{np.mean([reference[m][n] for n in DOMAINS.values()]):.1f}" for m in compare]
    lines.append("| mean of 8 domains | | " + " | ".join(ours + theirs) + " |")
    lines.append(
        "| mean of 8 domains, judge's own threshold (nothing tuned) | | "
        + " | ".join(_pct(e["mean_over_origins"]["fixed_balanced_accuracy"]) for e in edits)
        + " | |"
        + empty
    )
    lines.append(
        "| ROC AUC, all val rows (what thresholds are chosen on) | | "
        + " | ".join(
            [_auc(e["by_cut"]["val"]["roc_auc"]) for e in edits] + [_auc(base["by_cut"]["val"]["baseline"]["roc_auc"])]
        )
        + " |"
        + empty
    )
    lines.append(
        "| ROC AUC, all test rows | | "
        + " | ".join([_auc(e["overall"]["roc_auc"]) for e in edits] + [_auc(base["overall"]["baseline"]["roc_auc"])])
        + " |"
        + empty
    )
    lines.append(
        "| rows with no score (counted as 0.5) | | "
        + " | ".join([str(e["unscored"]["n"]) for e in edits] + [str(base["baseline_unscored"]["n"])])
        + " |"
        + empty
    )
    lines += [
        "",
        "\\* published numbers from `../shared/bench/README.md` (factualNLG README): threshold tuned per domain; "
        "the split they were computed on is not stated. Their 'mean of 8 domains' is recomputed over the same 8 "
        "domains (the published overall includes BillSum and Shakespeare).",
        "",
        f"## SummEval ({results[0]['summeval']['rows']:,} CNN/DM summaries, expert consistency)",
        "",
        "| judge | Spearman | Kendall | ROC AUC (label) | balanced accuracy (%, two-fold cross-fit) "
        f"| system-level Kendall ({(results[0]['summeval']['system_level'] or {}).get('n_systems', 0)} systems) |",
        "|---|---|---|---|---|---|",
    ]
    rows = [(r["judge"], r["summeval"], lambda block: block) for r in results]
    rows.append(("word overlap (baseline)", results[0]["summeval"], lambda block: block["baseline"]))
    for name, s, pick in rows:
        correlation, system = s["correlation"] or {}, s["system_level"] or {}
        lines.append(
            f"| {name} | {_auc(pick(correlation).get('spearman'))} | {_auc(pick(correlation).get('kendall'))} | "
            f"{_auc(pick(s['overall'])['roc_auc'])} | {_pct(pick(s['overall'])['balanced_accuracy'])} | "
            f"{_auc(pick(system).get('kendall') if system else None)} |"
        )
    lines += [
        "",
        "Scoring time on this machine: "
        + "; ".join(
            f"{r['judge']}: SummEdits {r['summedits']['seconds']['scoring']:.0f} s, SummEval {r['summeval']['seconds']['scoring']:.0f} s"
            for r in results
        )
        + " (embedding and cross-encoder pair caches as earlier runs left them).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument(
        "--judge", action="append", help="judge(s) to evaluate (default: crossencoder, calibrated and evidence)"
    )
    parser.add_argument("--model", help="consistency model for the crossencoder judge (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/meta_eval.md")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/harness-meta-eval"),
        help="folder for each run's meta_eval.json, meta_eval.md and scores.jsonl",
    )
    args = parser.parse_args()
    judges = args.judge or ["crossencoder", "calibrated", "evidence"]
    if args.model and "crossencoder" not in judges:
        parser.error("--model is read only by the crossencoder judge: add --judge crossencoder")
    results = [evaluate(judge, args.bench, args.work, args.model) for judge in judges]
    command = " ".join([".venv/bin/python benchmarks/meta_eval.py", *sys.argv[1:]])
    publish(markdown(results, published(args.bench / "README.md"), command), args.out)


if __name__ == "__main__":
    main()
