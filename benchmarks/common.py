"""Shared helpers for the benchmark scripts: reading the human-labelled benchmark files, publishing a table.

Imported as `from common import ...`: running `python benchmarks/<name>.py` puts this folder first on
`sys.path`, so no script edits it. Not importable as `benchmarks.common`, because pysbd installs a top-level
package named `benchmarks`. The statistics live in the package (harness.measure.agreement), shared with `harness
meta-eval`.
"""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path

from harness.judges.contract import soft_minimum


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise SystemExit(f"error: {path}: not found (pass --bench with the folder holding the benchmark files)")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def summedits(bench: Path) -> list[dict]:
    return read_jsonl(bench / "summedits_all.jsonl")


def summeval(bench: Path) -> list[dict]:
    return read_jsonl(bench / "summeval_all.jsonl")


def publish(table: str, out: Path) -> None:
    """Write a results table (benchmarks/results/...) and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, "utf-8")
    print(table)


def summary_features(claims: list[dict[str, float]], features: tuple[str, ...], good: set[str]) -> list[float]:
    """A summary's features for a judge fitted on summaries: each claim feature at its worst over the claims (the
    minimum of those in `good`, higher = better supported; the maximum of the rest, failures)."""
    if not claims:
        return [0.0] * len(features)
    return [min(c[f] for c in claims) if f in good else max(c[f] for c in claims) for f in features]


def summary_score(claims: list[dict], features: tuple[str, ...], weights, intercept: float) -> float:
    """The summary score a fitted judge gives: each claim's logistic p, lowered by a decisive check as
    harness.judges.contract.decide lowers it, then the soft minimum over the claims."""
    ps = []
    for c in claims:
        p = 1 / (1 + math.exp(-(intercept + sum(float(w) * c[f] for w, f in zip(weights, features)))))
        ps.append(p * 0.1 if c["decisive"] == "conflict" else p * 0.3 if c["decisive"] == "missing" else p)
    return soft_minimum(ps) if ps else 0.0


def without_evidence(scorer, document: str, summary: str, per_claim: int = 2) -> str:
    """The document with the best `per_claim` evidence sentences of every claim of `summary` deleted (a
    harness.measure.scorer.ConsistencyScorer finds them): on topic, but no longer stating the claims."""
    evidence = scorer.prepare(document, summary).evidence
    passages = scorer.index_of(document).passages
    drop = {e.passage.index for ev in evidence for e in ev[:per_claim]}
    return "\n".join(p.text for p in passages if p.index not in drop)


def mismatched_pairs(rows: list[dict], count: int, rng) -> list[tuple[str, str]]:
    """(document, summary) negatives: `count` consistent summaries of `rows`, each paired with another of the rows'
    documents, drawn with the numpy Generator `rng` (the same draws, in the same order, for every fit)."""
    documents = sorted({r["document"] for r in rows})
    consistent = [r for r in rows if r["label"] == 1]
    pairs = []
    for index in rng.choice(len(consistent), size=min(count, len(consistent)), replace=False):
        row = consistent[index]
        others = [d for d in documents if d != row["document"]]
        pairs.append((others[rng.integers(len(others))], row["summary"]))
    return pairs


def machine() -> str:
    """The CPU's model name and core count, as the table names the machine."""
    try:
        name = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        name = platform.processor() or platform.machine()
    return f"{name}, {os.cpu_count()} cores"
