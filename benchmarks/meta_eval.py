"""Meta-evaluation: how well the harness's summary score agrees with human consistency labels.

    .venv/bin/python benchmarks/meta_eval.py --bench ../shared/bench [--judge crossencoder] [--judge evidence] ...
    .venv/bin/python benchmarks/meta_eval.py --bench ../shared/bench --judge crossencoder --model PATH --out FILE

The `crossencoder` judge's model was trained on SummEdits `val` rows and documents (never on `test` or
SummEval), so its per-domain thresholds chosen on val are chosen on data it has seen; the table also gives
each judge at its own fixed threshold, with nothing tuned on any split.

SummEdits: per domain, the threshold is chosen on `cut == "val"` rows of that domain (maximum balanced
accuracy) and balanced accuracy is reported on `cut == "test"`, with ROC AUC on test. SummEval: Spearman
and Kendall correlation with the mean expert consistency score, ROC AUC on `label`, and balanced accuracy
at the threshold chosen on SummEdits val news (a transfer threshold; SummEval has no split).
Scores come from `harness.scorer.ConsistencyScorer`, the same path as `harness score-pairs`.
Prints a Markdown table and writes it to benchmarks/results/meta_eval.md.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import balanced_accuracy_at, best_threshold, publish, summedits, summeval  # noqa: E402

from harness.config import Config  # noqa: E402
from harness.scorer import ConsistencyScorer  # noqa: E402

DOMAINS = {"podcast": "Podcast", "samsum": "SamSum", "news": "News", "sales_call": "SalesCall",
           "sales_email": "SalesEmail", "scitldr": "SciTLDR", "qmsumm": "QMSumm", "ectsum": "ECTSum"}
COMPARE = ["SummaCConv", "QAFactEval", "DAE", "GPT4"]


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


def score_rows(rows: list[dict], scorer: ConsistencyScorer, label: str) -> np.ndarray:
    print(label, flush=True)
    scores = scorer.score([r["document"] for r in rows], [r["summary"] for r in rows], progress=True)
    return np.array([0.0 if s is None else s for s in scores])  # no scorable claim: nothing supported


def evaluate(judge: str, bench: Path, model: str | None = None) -> dict:
    from scipy.stats import kendalltau, spearmanr
    from sklearn.metrics import roc_auc_score
    config = Config(judge=judge)
    if model:
        config.consistency_model = model
    scorer = ConsistencyScorer(config)
    edits = sorted(summedits(bench), key=lambda r: r["document"])  # group rows by document: one index each
    started = time.perf_counter()
    edit_scores = score_rows(edits, scorer, f"summedits/{judge}")
    name = f"{judge}: {Path(model).parent.name}/{Path(model).name}" if model and judge == "crossencoder" else judge
    result = {"judge": name, "domains": {}, "seconds": {"summedits": time.perf_counter() - started}}
    labels = np.array([r["label"] for r in edits])
    for origin in DOMAINS:
        val = [i for i, r in enumerate(edits) if r["origin"] == origin and r["cut"] == "val"]
        test = [i for i, r in enumerate(edits) if r["origin"] == origin and r["cut"] == "test"]
        threshold, val_bacc = best_threshold(list(edit_scores[val]), list(labels[val]))
        result["domains"][origin] = {
            "threshold": threshold, "val_bacc": val_bacc, "n_test": len(test),
            "test_bacc": balanced_accuracy_at(edit_scores[test], labels[test], threshold),
            "test_auc": float(roc_auc_score(labels[test], edit_scores[test])),
            "test_bacc_fixed": balanced_accuracy_at(edit_scores[test], labels[test], scorer.judge.threshold),
        }
    test_all = [i for i, r in enumerate(edits) if r["cut"] == "test"]
    val_all = [i for i, r in enumerate(edits) if r["cut"] == "val"]
    result["val_auc"] = float(roc_auc_score(labels[val_all], edit_scores[val_all]))
    result["overall_bacc"] = float(np.mean([d["test_bacc"] for d in result["domains"].values()]))
    result["overall_bacc_fixed"] = float(np.mean([d["test_bacc_fixed"] for d in result["domains"].values()]))
    result["overall_auc"] = float(roc_auc_score(labels[test_all], edit_scores[test_all]))
    evals = sorted(summeval(bench), key=lambda r: r["document"])
    started = time.perf_counter()
    eval_scores = score_rows(evals, scorer, f"summeval/{judge}")
    result["seconds"]["summeval"] = time.perf_counter() - started
    human = np.array([r["score"] for r in evals])
    eval_labels = np.array([r["label"] for r in evals])
    result["summeval"] = {
        "spearman": float(spearmanr(eval_scores, human).statistic),
        "kendall": float(kendalltau(eval_scores, human).statistic),
        "auc": float(roc_auc_score(eval_labels, eval_scores)),
        "bacc_transfer": balanced_accuracy_at(eval_scores, eval_labels, result["domains"]["news"]["threshold"]),
        "n": len(evals),
    }
    return result


def markdown(results: list[dict], reference: dict[str, dict[str, float]], command: str) -> str:
    compare = [m for m in COMPARE if m in reference]
    lines = ["# Meta-evaluation against human labels", "",
             f"Command: `{command}`", "",
             "## SummEdits: balanced accuracy (%) on `cut == test`, threshold chosen per domain on `cut == val`", "",
             "| domain | n test | " + " | ".join(f"harness ({r['judge']})" for r in results)
             + " | " + " | ".join(f"{m}*" for m in compare) + " |",
             "|---|---|" + "---|" * (len(results) + len(compare))]
    for origin, name in DOMAINS.items():
        ours = " | ".join(f"{100 * r['domains'][origin]['test_bacc']:.1f}" for r in results)
        theirs = " | ".join(f"{reference[m].get(name, float('nan')):.1f}" for m in compare)
        lines.append(f"| {name} | {results[0]['domains'][origin]['n_test']} | {ours} | {theirs} |")
    ours = " | ".join(f"**{100 * r['overall_bacc']:.1f}**" for r in results)
    theirs = " | ".join(f"{np.mean([reference[m][n] for n in DOMAINS.values()]):.1f}" for m in compare)
    lines.append(f"| mean of 8 domains | | {ours} | {theirs} |")
    lines.append("| mean of 8 domains, judge's own threshold (nothing tuned) | | "
                 + " | ".join(f"{100 * r['overall_bacc_fixed']:.1f}" for r in results) + " |" + " |" * len(compare))
    lines.append("| ROC AUC, all val rows (what thresholds are chosen on) | | "
                 + " | ".join(f"{r['val_auc']:.3f}" for r in results) + " |" + " |" * len(compare))
    lines.append("| ROC AUC, all test rows | | " + " | ".join(f"{r['overall_auc']:.3f}" for r in results) + " |" + " |" * len(compare))
    lines += ["", "\\* published numbers from `../shared/bench/README.md` (factualNLG README): threshold tuned per domain; "
              "the split they were computed on is not stated. Their 'mean of 8 domains' is recomputed over the same 8 "
              "domains (the published overall includes BillSum and Shakespeare).", "",
              "## SummEval (1,600 CNN/DM summaries, expert consistency)", "",
              "| judge | Spearman | Kendall | ROC AUC (label) | balanced accuracy (threshold from SummEdits val news) |",
              "|---|---|---|---|---|"]
    for r in results:
        s = r["summeval"]
        lines.append(f"| {r['judge']} | {s['spearman']:.3f} | {s['kendall']:.3f} | {s['auc']:.3f} | {100 * s['bacc_transfer']:.1f} |")
    lines += ["", "Scoring time on this machine: " + "; ".join(
        f"{r['judge']}: SummEdits {r['seconds']['summedits']:.0f} s, SummEval {r['seconds']['summeval']:.0f} s" for r in results)
        + " (embedding and cross-encoder pair caches as earlier runs left them)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True)
    parser.add_argument("--judge", action="append", help="judge(s) to evaluate (default: crossencoder, calibrated and evidence)")
    parser.add_argument("--model", help="consistency model for the crossencoder judge (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/meta_eval.md")
    args = parser.parse_args()
    judges = args.judge or ["crossencoder", "calibrated", "evidence"]
    if args.model and "crossencoder" not in judges:
        parser.error("--model is read only by the crossencoder judge: add --judge crossencoder")
    results = [evaluate(judge, args.bench, args.model) for judge in judges]
    command = " ".join([".venv/bin/python benchmarks/meta_eval.py", *sys.argv[1:]])
    publish(markdown(results, published(args.bench / "README.md"), command), args.out)


if __name__ == "__main__":
    main()
