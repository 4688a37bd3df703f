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
    from harness.metaeval import balanced_accuracy_at as at

    return at(scores, labels, threshold)


def best_threshold(scores, labels) -> tuple[float, float]:
    """The threshold (between observed scores) with the highest balanced accuracy: (threshold, accuracy).
    The same choice `harness meta-eval` makes (harness.metaeval.best_threshold); both labels must occur."""
    from harness.metaeval import best_threshold as best

    chosen = best(scores, labels)
    if chosen is None:
        raise ValueError("best_threshold needs rows of both labels")
    return chosen


def publish(table: str, out: Path) -> None:
    """Write a results table (benchmarks/results/...) and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, "utf-8")
    print(table)
