"""Fit the calibrated judge on SummEdits `val` and write harness/judge_params.json.

    .venv/bin/python benchmarks/fit_judge.py --bench ../shared/bench

Each summary is scored from its claims, and a summary is consistent only if all its claims are, so the
model is fitted on summary-level features that take each claim feature at its worst over the summary
(minimum of support features, maximum of failure features); the same weights then score single claims.
The decision threshold is the one that maximises balanced accuracy of the summary score on `val`. Only
`cut == "val"` rows are read for fitting; test documents are never seen.

SummEdits' inconsistent summaries are small edits of consistent ones, so evidence similarity hardly
separates them there, while real summaries also contain statements their sources never discuss. The fit
therefore adds `--mismatched` synthetic negatives, built from val rows only: a consistent val summary
scored against a different val document (label 0), and `--removed` on-topic ones: a consistent val
summary scored against its own document with the two best evidence sentences of each claim deleted
(label 0: the document still discusses the subject but no longer states the claim). They are used for
fitting, never for the threshold or the reported val metrics.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from datetime import date
from pathlib import Path

import numpy as np
from common import (  # benchmarks/common.py: a script's folder is on sys.path
    mismatched_pairs,
    summary_features,
    summary_score,
    summedits,
    without_evidence,
)

from harness.config import Config
from harness.judges.calibrated import FEATURES
from harness.measure.agreement import best_threshold
from harness.measure.scorer import ConsistencyScorer

GOOD = {"best_score", "best_cosine", "best_lexical", "top3_lexical"}  # higher = better supported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True, help="folder with summedits_all.jsonl")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "harness/judge_params.json")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--mismatched", type=int, default=300, help="synthetic negatives (summary vs another document)")
    parser.add_argument("--removed", type=int, default=0, help="synthetic negatives (evidence sentences deleted)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from tqdm import tqdm

    rows = [r for r in summedits(args.bench) if r["cut"] == "val"]
    scorer = ConsistencyScorer(Config(judge="evidence"))
    per_row = [scorer.claim_features(r["document"], r["summary"]) for r in tqdm(rows, desc="features", unit="row")]
    X = np.array([summary_features(claims, FEATURES, GOOD) for claims in per_row])
    y = np.array([r["label"] for r in rows])
    rng = np.random.default_rng(args.seed)
    consistent = [r for r in rows if r["label"] == 1]
    synthetic = [scorer.claim_features(d, summary) for d, summary in mismatched_pairs(rows, args.mismatched, rng)]
    for index in rng.choice(len(consistent), size=min(args.removed, len(consistent)), replace=False):
        row = consistent[index]
        without = without_evidence(scorer, row["document"], row["summary"])
        if without:
            synthetic.append(scorer.claim_features(without, row["summary"]))
    X_fit = np.vstack([X] + ([np.array([summary_features(c, FEATURES, GOOD) for c in synthetic])] if synthetic else []))
    y_fit = np.concatenate([y, np.zeros(len(synthetic), dtype=int)])
    model = LogisticRegression(C=args.C, class_weight="balanced", max_iter=2000).fit(X_fit, y_fit)
    weights, intercept = model.coef_[0], float(model.intercept_[0])
    scores = [summary_score(claims, FEATURES, weights, intercept) for claims in per_row]
    chosen = best_threshold(scores, list(y))
    if chosen is None:
        raise SystemExit("error: the val rows hold only one label; a threshold needs both")
    threshold, val_bacc = chosen
    samples = [
        {
            "features": dict(zip(FEATURES, map(float, X[i]))),
            "p": 1 / (1 + math.exp(-(intercept + float(np.dot(weights, X[i]))))),
        }
        for i in range(0, len(X), len(X) // 5)
    ]
    params = {
        "model": "logistic regression over claim features (harness.judges.calibrated.FEATURES)",
        "features": list(FEATURES),
        "coefficients": {f: round(float(w), 6) for f, w in zip(FEATURES, weights)},
        "intercept": round(intercept, 6),
        "threshold": round(threshold, 6),
        "fitted_on": {
            "file": "summedits_all.jsonl",
            "cut": "val",
            "rows": len(rows),
            "label_1": int(y.sum()),
            "label_0": int(len(y) - y.sum()),
            "documents": len({r["document"] for r in rows}),
            "synthetic_negatives": {
                "mismatched_document": args.mismatched,
                "evidence_removed": args.removed,
                "total": len(synthetic),
            },
            "seed": args.seed,
            "sha256": hashlib.sha256((args.bench / "summedits_all.jsonl").read_bytes()).hexdigest(),
        },
        "fit": {
            "C": args.C,
            "class_weight": "balanced",
            "sklearn": __import__("sklearn").__version__,
            "date": date.today().isoformat(),
            "command": "python benchmarks/fit_judge.py --bench ../shared/bench",
        },
        "val_metrics": {"balanced_accuracy": round(val_bacc, 4), "roc_auc": round(float(roc_auc_score(y, scores)), 4)},
        "recorded": [
            {"features": {k: round(v, 6) for k, v in s["features"].items()}, "p": round(s["p"], 6)} for s in samples
        ],
    }
    # recorded p values are recomputed from the rounded parameters so that loading reproduces them exactly
    for s in params["recorded"]:
        z = params["intercept"] + sum(params["coefficients"][f] * s["features"][f] for f in FEATURES)
        s["p"] = round(1 / (1 + math.exp(-z)), 6)
    args.out.write_text(json.dumps(params, indent=2) + "\n", "utf-8")
    print(json.dumps({k: params[k] for k in ("coefficients", "intercept", "threshold", "val_metrics")}, indent=2))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
