"""Shared helpers for the benchmark scripts: reading the human-labelled benchmark files, publishing a table.

Imported as `from common import ...`: running `python benchmarks/<name>.py` puts this folder first on
`sys.path`, so no script edits it. Not importable as `benchmarks.common`, because pysbd installs a top-level
package named `benchmarks`. The statistics live in the package (harness.agreement), shared with `harness
meta-eval`.
"""

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


def publish(table: str, out: Path) -> None:
    """Write a results table (benchmarks/results/...) and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, "utf-8")
    print(table)
