"""Shared helpers for the benchmark scripts: reading the human-labelled benchmark files by path."""
from __future__ import annotations

import json
from pathlib import Path


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise SystemExit(f"error: {path}: not found (pass --bench with the folder holding the benchmark files)")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def summedits(bench: Path) -> list[dict]:
    return read_jsonl(bench / "summedits_all.jsonl")


def summeval(bench: Path) -> list[dict]:
    return read_jsonl(bench / "summeval_all.jsonl")


def balanced_accuracy_at(scores, labels, threshold: float) -> float:
    from sklearn.metrics import balanced_accuracy_score
    return float(balanced_accuracy_score(labels, [int(s >= threshold) for s in scores]))


def best_threshold(scores, labels) -> tuple[float, float]:
    """The threshold (between observed scores) with the highest balanced accuracy: (threshold, accuracy)."""
    candidates = sorted(set(scores))
    cuts = [(a + b) / 2 for a, b in zip(candidates, candidates[1:])] or candidates
    best = max(cuts, key=lambda t: (balanced_accuracy_at(scores, labels, t), -abs(t - 0.5)))
    return best, balanced_accuracy_at(scores, labels, best)


def publish(table: str, out: Path) -> None:
    """Write a results table (benchmarks/results/...) and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, "utf-8")
    print(table)
