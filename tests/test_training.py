"""The training script's data reader: ablations drop training pairs by kind, never development pairs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _train_module():
    spec = importlib.util.spec_from_file_location("train_crossencoder", ROOT / "training/train_crossencoder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_excluded_kinds_leave_training_but_not_development(tmp_path):
    rows = [
        {"premise": "p", "claim": f"c{i}", "label": i % 2, "kind": kind, "split": split}
        for i, (kind, split) in enumerate(
            [("summedits", "train"), ("antonym", "train"), ("summedits", "dev"), ("verbatim", "train")]
        )
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    read_pairs = _train_module().read_pairs
    train, dev = read_pairs(path)
    assert [r["claim"] for r in train] == ["c0", "c1", "c3"] and [r["claim"] for r in dev] == ["c2"]
    train, dev = read_pairs(path, ("summedits",))
    assert [r["claim"] for r in train] == ["c1", "c3"] and [r["claim"] for r in dev] == ["c2"]
