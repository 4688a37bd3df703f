"""A cache of whole candidate results, so an unchanged candidate is never evaluated twice.

The key covers everything a result depends on: the candidate's text and identity, the story's
references, date and key facts, the scoring settings, the judge's parameter file, and a fingerprint of the
harness's own source code (any code change invalidates every entry). Stored in SQLite beside the
embedding cache; an interrupted run leaves it consistent.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
from functools import lru_cache
from importlib import resources
from pathlib import Path

from harness.config import Config
from harness.document import Document, Story

SCORING_FIELDS = ("embedding_model", "consistency_model", "top_k", "lexical_weight", "judge", "judge_options", "coverage_threshold",
                  "summary_sharpness")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 over the package's source and data files."""
    digest = hashlib.sha256()
    root = resources.files("harness")
    for path in sorted(Path(str(root)).rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".j2", ".onnx"):
            digest.update(str(path.relative_to(Path(str(root)))).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def story_key(story: Story, config: Config) -> str:
    payload = {
        "code": code_fingerprint(),
        "config": {f: getattr(config, f) for f in SCORING_FIELDS},
        "date": story.date, "story": story.story_id,
        "references": [(r.doc_id, r.text) for r in story.references],
        "key_facts": [(f.fact_id, f.text, f.weight, f.must_mention) for f in story.key_facts],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def candidate_key(story_hash: str, doc: Document) -> str:
    payload = [story_hash, doc.doc_id, doc.system, doc.format, doc.path, doc.text]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


class ResultCache:
    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "results.sqlite3", timeout=60)
        self.db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB)")
        self.hits = 0

    def get(self, key: str):
        row = self.db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            value = pickle.loads(row[0])
        except Exception:  # written by another version of the classes: recompute
            return None
        self.hits += 1
        return value

    def put(self, key: str, value) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, pickle.dumps(value)))
