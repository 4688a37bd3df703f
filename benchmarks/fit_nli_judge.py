"""Fit the `nli` judge's combiner on development data and write harness/models/nli-combiner/.

    .venv/bin/python benchmarks/fit_nli_judge.py --bench ../shared/bench --nli ../shared/nli [--edits 400]

The combiner (harness.judges.nli) is a logistic regression over each claim's features: the NLI reader's
p(entailment), p(contradiction) and margin at the sentence grain, the evidence similarity, novel words and one
flag per check group. Development data only, never SummEdits `test` or SummEval:
- SummEdits `val` rows (every domain), labelled by its annotators;
- mismatched negatives: `--mismatched` consistent val summaries scored against another val document;
- on-topic negatives: `--removed` consistent val summaries scored against their own document with the two best
  evidence sentences of each claim deleted (the document still discusses the subject but no longer states it:
  what an invented detail looks like, which SummEdits' one-edit pairs never show);
- `--hypotheses` labelled pairs of the same NLI file (its `hypothesis` against its `premise`: entailment 1,
  not_entailment 0), half of each label;
- one-edit variants of `../shared/nli` premises (`docnli_fever_test`, Wikipedia, CC BY-SA 3.0; the shipped NLI
  model never trained on that file): a sentence of a premise is a claim that the premise supports (label 1)
  and one edit of it by harness.edits (negation, number, date, antonym, roles, entity swapped for another the
  premise names) a claim it does not (label 0), `--edits` premises in all.
A summary is consistent only if all its claims are, so a summary's features take each claim feature at its
worst (minimum of support features, maximum of failure features); the weights then score single claims. The
threshold maximises the mean over the five groups of rows of their balanced accuracy; the refute threshold
(p(contradiction) at which a claim below the threshold is `contradicted`, not `unsupported`) is the lowest that
at most 1% of the claims of consistent val rows reach. Writes combiner.json (the
weights, the data's sha256, the command, the time) and prints the fit's own measures; the card is
MODEL_CARD.md beside it, with the meta-evaluation of benchmarks/meta_eval.py and benchmarks/probe_news.py.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
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

from harness.checks import run_checks
from harness.config import Config
from harness.judges.calibrated import FEATURES
from harness.judges.contract import decisive_failure_kind
from harness.judges.nli import NLI_FEATURES, combiner_features
from harness.judges.reader import NLIReader
from harness.measure.scorer import ConsistencyScorer
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import NLI_SHIPPED

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "harness/models/nli-combiner"
ALL_FEATURES = FEATURES + NLI_FEATURES
GOOD = {
    "best_score",
    "best_cosine",
    "best_lexical",
    "top3_lexical",
    "nli_entailment",
    "nli_window_entailment",
    "nli_margin",
}
EDIT_FILE = "docnli_fever_test.jsonl.gz"  # Wikipedia premises the shipped NLI model never trained on
FALSE_REFUTATIONS = 0.01  # the share of consistent val rows' claims the refute threshold may call refuted


def refute_threshold(claims: list[dict]) -> float:
    """The lowest p(contradiction), in steps of 0.05, that at most FALSE_REFUTATIONS of these claims (all of
    consistent rows) reach: the model's contradiction class is loosely calibrated (a verbatim copy of a source
    sentence can read 0.5), so a claim is called contradicted by it only where consistent claims almost never are."""
    values = np.array([c["nli_contradiction"] for c in claims])
    for step in range(10, 20):
        if np.mean(values >= step / 20) <= FALSE_REFUTATIONS:
            return step / 20
    return 1.0


class Featurizer:
    """Claim features of (document, summary) rows: evidence and checks as the harness computes them, the
    reader's outputs with the shipped NLI model; a block of rows goes to the model in one call."""

    def __init__(self, work: Path):
        self.scorer = ConsistencyScorer(Config(judge="evidence", cache=str(work)))
        self.reader = NLIReader(CrossEncoder(NLI_SHIPPED, work / "crossencoder"))

    def rows(self, pairs: list[tuple[str, str]]) -> list[list[dict]]:
        out = []
        for start in range(0, len(pairs), 64):
            block = []
            for document, summary in pairs[start : start + 64]:
                claims, evidence, sources = self.scorer.prepare(document, summary)
                kept = [(c, ev) for c, ev in zip(claims, evidence) if not c.is_artefact]
                checks = [run_checks(c.match_text, sources, ev[0].passage.text if ev else None) for c, ev in kept]
                premises = [self.reader.premise_texts(c.match_text, ev, sources) for c, ev in kept]
                block.append((kept, checks, premises, sources))
            readings = iter(
                self.reader.read(
                    [c.match_text for kept, *_ in block for c, _ in kept],
                    [p for _, _, premises, _ in block for p in premises],
                )
            )
            for kept, checks, _, sources in block:
                claims = []
                for (claim, ev), found in zip(kept, checks):
                    features = combiner_features(claim, ev, found, sources, next(readings))
                    claims.append({**features, "decisive": decisive_failure_kind(found)})
                out.append(claims)
            print(f"  {min(start + 64, len(pairs))}/{len(pairs)} rows", file=sys.stderr, flush=True)
        return out


def hypothesis_pairs(nli: Path, count: int, seed: int, skip: set[str]) -> list[tuple[str, str, int]]:
    """(premise, hypothesis, label) rows of the NLI file, half entailed, never on a premise in `skip`."""
    rng = random.Random(seed + 1)
    rows = [json.loads(line) for line in gzip.open(nli / EDIT_FILE, "rt", encoding="utf-8")]
    rows = [r for r in rows if r["premise"] not in skip and len(r["premise"].split()) >= 40]
    rng.shuffle(rows)
    out = []
    for label, wanted in ((1, "entailment"), (0, "not_entailment")):
        out += [(r["premise"], r["hypothesis"], label) for r in rows if r["label"] == wanted][: count // 2]
    return out


def group_threshold(scores: list[float], groups: list[list[int]]) -> tuple[float, float]:
    """The threshold (in steps of 0.01) with the best mean over the groups of their balanced accuracy (the
    share below it, for a group of negatives only): each kind of evidence counts alike, however many rows it
    has, so the verdict is neither tuned to SummEdits' small edits alone nor to the easy synthetic rows."""

    def accuracy(t: float, part: list[float], labels: list[int]) -> float:
        kept = [(s >= t) == bool(y) for s, y in zip(part, labels)]
        per_label = [np.mean([k for k, y in zip(kept, labels) if y == v]) for v in sorted(set(labels))]
        return float(np.mean(per_label))

    parts, start = [], 0
    for labels in groups:
        parts.append((scores[start : start + len(labels)], labels))
        start += len(labels)
    scored = [(float(np.mean([accuracy(t / 100, s, y) for s, y in parts])), t / 100) for t in range(5, 96)]
    best, threshold = max(scored)
    return threshold, best


def cached_rows(featurizer: Featurizer, work: Path, name: str, pairs: list[tuple[str, str]]) -> list[list[dict]]:
    """Claim features of `pairs`, kept in `work` by a hash of the pairs and the code's features, so a refit
    with other settings recomputes only the groups that changed."""
    key = hashlib.sha256(json.dumps([pairs, ALL_FEATURES]).encode()).hexdigest()[:16]
    path = work / f"features-{name}-{key}.json"
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    rows = featurizer.rows(pairs)
    path.write_text(json.dumps(rows), "utf-8")
    return rows


def edited_pairs(nli: Path, premises: int, seed: int) -> tuple[list[tuple[str, str, int, str]], dict[str, int]]:
    """(document, claim, label, edit) rows: a sentence of a premise (1) and one edit of it (0)."""
    from harness import edits
    from harness.text import sentence_spans

    parser = edits.parse()
    rng = random.Random(seed)
    rows = [json.loads(line) for line in gzip.open(nli / EDIT_FILE, "rt", encoding="utf-8")]
    documents = sorted({r["premise"] for r in rows if len(r["premise"].split()) >= 40})
    rng.shuffle(documents)
    out: list[tuple[str, str, int, str]] = []
    made: dict[str, int] = {}
    for document in documents:
        if len({d for d, *_ in out}) >= premises:
            break
        sentences = [document[s:e] for s, e in sentence_spans(document)][1:]  # the first holds the page title
        sentences = [s for s in sentences if 8 <= len(s.split()) <= 40]
        if not sentences:
            continue
        sentence = rng.choice(sentences)
        doc = parser(sentence)
        source = edits.Source.of([parser(document)])
        kinds = ["negation", "number", "date", "antonym", "entity", "roles"]
        rng.shuffle(kinds)
        for kind in kinds:
            edited = edits.edit(kind, doc, source, rng).text
            if edited:
                out += [(document, sentence, 1, "original"), (document, edited, 0, kind)]
                made[kind] = made.get(kind, 0) + 1
                break
    return out, made


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True, help="folder with summedits_all.jsonl")
    parser.add_argument("--nli", type=Path, required=True, help=f"folder with {EDIT_FILE}")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--work", type=Path, default=Path("/tmp/harness-fit-nli"), help="caches (outside the repo)")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--mismatched", type=int, default=300)
    parser.add_argument("--removed", type=int, default=300)
    parser.add_argument("--edits", type=int, default=400, help="premises of the NLI file to make edit pairs from")
    parser.add_argument("--hypotheses", type=int, default=400, help="labelled pairs of the NLI file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    began = time.perf_counter()
    featurizer = Featurizer(args.work)
    val = [r for r in summedits(args.bench) if r["cut"] == "val"]
    rng = np.random.default_rng(args.seed)
    consistent = [r for r in val if r["label"] == 1]
    mismatched = mismatched_pairs(val, args.mismatched, rng)
    removed = []
    for index in rng.choice(len(consistent), size=min(args.removed, len(consistent)), replace=False):
        row = consistent[index]
        without = without_evidence(featurizer.scorer, row["document"], row["summary"])
        if without:
            removed.append((without, row["summary"]))
    edited, made = edited_pairs(args.nli, args.edits, args.seed)
    hypotheses = hypothesis_pairs(args.nli, args.hypotheses, args.seed, {d for d, *_ in edited})
    print(
        f"rows: {len(val)} val, {len(mismatched)} mismatched, {len(removed)} evidence removed, "
        f"{len(edited)} edit pairs {made}, {len(hypotheses)} NLI hypotheses",
        file=sys.stderr,
    )
    work = args.work

    def group(name: str, pairs: list[tuple[str, str]], labels: list[int]) -> tuple[list[list[dict]], list[int]]:
        return cached_rows(featurizer, work, name, pairs), labels

    groups = {
        "summedits_val": group("val", [(r["document"], r["summary"]) for r in val], [r["label"] for r in val]),
        "mismatched": group("mismatched", mismatched, [0] * len(mismatched)),
        "evidence_removed": group("removed", removed, [0] * len(removed)),
        "nli_edits": group("edits", [(d, c) for d, c, _, _ in edited], [label for _, _, label, _ in edited]),
        "nli_hypotheses": group("hypotheses", [(d, h) for d, h, _ in hypotheses], [y for *_, y in hypotheses]),
    }
    per_row = [claims for rows, _ in groups.values() for claims in rows]
    y = np.array([label for _, labels in groups.values() for label in labels])
    X = np.array([summary_features(claims, ALL_FEATURES, GOOD) for claims in per_row])
    model = LogisticRegression(C=args.C, class_weight="balanced", max_iter=5000).fit(X, y)
    weights, intercept = model.coef_[0], float(model.intercept_[0])
    scores = [summary_score(claims, ALL_FEATURES, weights, intercept) for claims in per_row]
    threshold, fit_bacc = group_threshold(scores, [labels for _, labels in groups.values()])
    measures = {}
    start = 0
    for name, (rows, labels) in groups.items():
        part = scores[start : start + len(rows)]
        start += len(rows)
        if len(set(labels)) == 2:
            measures[name] = {"roc_auc": round(float(roc_auc_score(labels, part)), 4), "rows": len(rows)}
        else:
            measures[name] = {"below_threshold": round(float(np.mean([s < threshold for s in part])), 4)}
    edits_rows = groups["nli_edits"][0]
    for kind in sorted(made):
        caught = [
            summary_score(claims, ALL_FEATURES, weights, intercept) < threshold
            for claims, (_, _, _, k) in zip(edits_rows, edited)
            if k == kind
        ]
        measures[f"nli_edits:{kind}"] = {"caught": round(float(np.mean(caught)), 4), "n": len(caught)}
    originals = [
        summary_score(claims, ALL_FEATURES, weights, intercept) >= threshold
        for claims, (_, _, _, k) in zip(edits_rows, edited)
        if k == "original"
    ]
    measures["nli_edits:original"] = {"accepted": round(float(np.mean(originals)), 4), "n": len(originals)}
    params = {
        "what": "logistic regression over claim features (harness.judges.nli): combined p_support of the nli judge",
        "model": NLI_SHIPPED,
        "reading": {"regime": "sentences", "premises": 2},
        "features": list(ALL_FEATURES),
        "coefficients": {f: round(float(w), 6) for f, w in zip(ALL_FEATURES, weights)},
        "intercept": round(intercept, 6),
        "threshold": round(float(threshold), 6),
        "refute_threshold": refute_threshold(
            [
                c
                for claims, label in zip(groups["summedits_val"][0], groups["summedits_val"][1])
                if label
                for c in claims
            ]
        ),
        "fitted_on": {
            "summedits_val": {"rows": len(val), "file": "summedits_all.jsonl", "cut": "val"},
            "mismatched_negatives": len(mismatched),
            "evidence_removed_negatives": len(removed),
            "nli_hypotheses": {"rows": len(hypotheses), "file": EDIT_FILE},
            "nli_edit_pairs": {"rows": len(edited), "premises": len(edited) // 2, "edits": made, "file": EDIT_FILE},
            "sha256": {
                "summedits_all.jsonl": sha256(args.bench / "summedits_all.jsonl"),
                EDIT_FILE: sha256(args.nli / EDIT_FILE),
            },
            "seed": args.seed,
        },
        "fit": {
            "C": args.C,
            "class_weight": "balanced",
            "sklearn": __import__("sklearn").__version__,
            "date": date.today().isoformat(),
            "seconds": round(time.perf_counter() - began, 1),
            "command": "python benchmarks/fit_nli_judge.py --bench ../shared/bench --nli ../shared/nli"
            + "".join(
                f" --{name} {getattr(args, name)}"
                for name, default in (("mismatched", 300), ("removed", 300), ("edits", 400), ("hypotheses", 400))
                if getattr(args, name) != default
            ),
        },
        "fit_measures": {"mean_group_accuracy_at_threshold": round(float(fit_bacc), 4), **measures},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "combiner.json").write_text(json.dumps(params, indent=2) + "\n", "utf-8")
    print(json.dumps({k: params[k] for k in ("coefficients", "intercept", "threshold", "fit_measures")}, indent=2))
    print(f"-> {args.out / 'combiner.json'}")


if __name__ == "__main__":
    main()
