"""The harness's own consistency model at run time: a MiniLM cross-encoder `(evidence chunk, claim) ->
p(consistent)` (and, for a model with a contradiction class, p(contradiction)), batched and cached.

Which model (the shipped int8 ONNX files, run with onnxruntime, or a user's) and how it is fingerprinted:
harness.runtime.model_files; how its outputs become p(consistent): harness.runtime.output_head; how the
shipped files are made: harness.runtime.onnx_export.

Serving: the source is cut into overlapping chunks (harness.reading.chunks) so no evidence is truncated; a claim
is read against the chunks that hold its best evidence sentences, and its probability is the highest
over those chunks. All pairs of a candidate go to the model in one call, sorted by length (batches of one
for the int8 model, see `CrossEncoder.__init__`), and every (model, chunk, claim) probability is cached in
SQLite, so a re-run reads no model at all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from harness.runtime.model_files import CHUNK_BUDGET, SHIPPED, file_digest, folder_digest, load_tokenizer, resolve
from harness.runtime.onnx_embedder import default_threads
from harness.runtime.output_head import make_head, read_labels
from harness.store import SqliteCache


class PairCache(SqliteCache):
    """SQLite store of p(consistent) by (model, premise, claim) hash: a re-run reads no model. Opened and
    read through harness.evaluation.result_cache, so a damaged or unwritable file costs time, never the run."""

    def __init__(self, folder: Path | None):
        super().__init__(
            folder / "pairs.sqlite" if folder is not None else None,
            "pairs",
            (("key", "TEXT PRIMARY KEY"), ("p", "REAL")),
            timeout=30,
        )

    def get_many(self, keys: list[str]) -> dict[str, float]:
        """Cached probabilities of `keys`; a stored value that is not a finite number in [0, 1] is left out,
        so it is recomputed and replaced rather than used."""
        found = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self.read(f"SELECT key, p FROM pairs WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((key, p) for key, p in rows if type(p) is float and 0.0 <= p <= 1.0)  # NaN fails both
        return found

    def put_many(self, items: dict[str, float]) -> None:
        if items:
            self.write("INSERT OR REPLACE INTO pairs VALUES (?, ?)", items.items())


class CrossEncoder:
    """p(consistent) for (premise, claim) pairs, batched by length and cached."""

    def __init__(
        self,
        model: str = SHIPPED,
        cache_dir: Path | None = None,
        batch_size: int | None = None,
        threads: int | None = None,
        label: str | None = None,
        nli: str = "entailment",
    ):
        self.name = model or SHIPPED
        self.location, self.backend = resolve(self.name)
        labels, self.revision = read_labels(self.location, self.backend, self.name)
        self.head = make_head(labels, self.name, label, nli)
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
        # batch size is part of the key: with int8 ONNX, scores from batches of several pairs differ slightly;
        # so is the head (another class or NLI mode is another score). A one-logit head adds nothing, which
        # keeps the shipped model's key, and its cached pairs, as they were.
        head = "" if self.head.support is None else "-" + hashlib.sha256(self.head.describe().encode()).hexdigest()[:8]
        self.fingerprint = f"{self._fingerprint()}-b{self.batch_size}{head}"

    def _fingerprint(self) -> str:
        """Identifies the weights, so a retrained model never reads another model's cached scores: the ONNX
        file's hash, a torch folder's files' hash, or a hub id with the revision its config resolved to."""
        if self.backend == "onnx":
            weights = Path(self.location) / "model.onnx"
            stat = weights.stat()
            return file_digest(str(weights.resolve()), stat.st_size, stat.st_mtime_ns)
        if isinstance(self.location, Path):
            return folder_digest(self.location)
        return hashlib.sha256(f"hub:{self.location}@{self.revision}".encode()).hexdigest()[:16]

    def count(self, text: str) -> int:
        return len(self._encoder().encode(text, add_special_tokens=False).ids)

    def _encoder(self):
        if self.backend == "onnx":
            return load_tokenizer(str(self.location))
        return self.load()[0].backend_tokenizer

    def load(self):
        """The model (an onnxruntime session, or a torch (tokenizer, model) pair), loaded on first use so a
        fully cached run never pays for it; call it early to keep the load out of a timing."""
        if self._session is None:
            if self.backend == "onnx":
                import onnxruntime as ort  # heavy: loaded only when a pair is not in the cache

                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads or default_threads()
                options.log_severity_level = 3
                self._session = ort.InferenceSession(
                    str(Path(self.location) / "model.onnx"), options, providers=["CPUExecutionProvider"]
                )
            else:
                # heavy and optional: only a user's transformers model needs it
                from transformers import AutoModelForSequenceClassification, AutoTokenizer

                try:
                    tokenizer = AutoTokenizer.from_pretrained(str(self.location))
                    model = AutoModelForSequenceClassification.from_pretrained(str(self.location)).eval()
                except (OSError, ValueError) as exc:
                    raise ValueError(
                        f"cross-encoder '{self.name}': not a folder here, and it could not be loaded as a "
                        f"transformers model (offline, or no such model): {exc}"
                    ) from exc
                self._session = (tokenizer, model)
        return self._session

    def key(self, premise: str, claim: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}\x00{premise}\x00{claim}".encode()).hexdigest()

    def predict_pairs(self, pairs: list[tuple[str, str]], progress: bool = False) -> np.ndarray:
        """p(consistent) per (premise, claim); cached pairs are not recomputed."""
        return self.predict_detail(pairs, progress)[0]

    def predict_detail(
        self, pairs: list[tuple[str, str]], progress: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(p(consistent), p(contradiction)) per (premise, claim); the second is None for a model without a
        contradiction class among three or more. Both are cached (the second under its own key)."""
        refutes = self.head.refute is not None
        keys = [self.key(p, c) for p, c in pairs]
        wanted = list(set(keys)) + ([k + ":c" for k in set(keys)] if refutes else [])
        known = self.cache.get_many(wanted)
        todo = sorted(
            {k: pair for k, pair in zip(keys, pairs) if k not in known or (refutes and k + ":c" not in known)}.items(),
            key=lambda item: len(item[1][0]) + len(item[1][1]),
        )  # similar lengths: less padding
        fresh: dict[str, float] = {}
        for start in tqdm(
            range(0, len(todo), self.batch_size), disable=None if progress else True, unit="batch", desc="cross-encoder"
        ):
            part = todo[start : start + self.batch_size]
            logits = self._run([pair for _, pair in part])
            refuted = self.head.refutation(logits)
            for row, ((key, _), p) in enumerate(zip(part, self.head.probability(logits))):
                fresh[key] = float(p)
                if refuted is not None:
                    fresh[key + ":c"] = float(refuted[row])
        self.cache.put_many(fresh)
        known.update(fresh)
        support = np.array([known[k] for k in keys], dtype=np.float32)
        return support, (np.array([known[k + ":c"] for k in keys], dtype=np.float32) if refutes else None)

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """The model's logits (pairs x classes)."""
        if self.backend == "torch":
            import torch  # heavy and optional: only a user's transformers model runs on it

            tokenizer, model = self.load()
            inputs = tokenizer(
                [p for p, _ in pairs],
                [c for _, c in pairs],
                padding=True,
                truncation="only_first",
                max_length=512,
                return_tensors="pt",
            )
            with torch.inference_mode():
                logits = model(**inputs).logits
            return logits.float().numpy()
        session = self.load()
        encodings = load_tokenizer(str(self.location)).encode_batch(pairs)
        width = max(len(e.ids) for e in encodings)
        if width > 512:
            raise ValueError(
                f"a premise and claim of {width} word pieces exceed the model's 512 positions; "
                "chunk the premise first (harness.reading.chunks.chunk_sentences)"
            )
        batch = {
            name: np.zeros((len(encodings), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, e in enumerate(encodings):
            batch["input_ids"][row, : len(e.ids)] = e.ids
            batch["attention_mask"][row, : len(e.ids)] = e.attention_mask
            batch["token_type_ids"][row, : len(e.ids)] = e.type_ids
        wanted = {i.name for i in session.get_inputs()}  # e.g. DeBERTa exports take no token_type_ids
        return session.run(["logits"], {k: v for k, v in batch.items() if k in wanted})[0]
