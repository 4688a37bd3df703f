"""The shipped MiniLM (or a local sentence-transformers folder of the same plain kind) run with onnxruntime,
so a process that embeds imports neither torch nor sentence-transformers (about 6 s of each worker's start).

The folder's transformer is exported to ONNX once, with torch (float32, dynamic batch and length), into the
embedder's cache folder, and every later process reads that file. Everything around the transformer is done
here the way sentence-transformers does it: the folder's tokenizer.json truncated at its max_seq_length, the
longest texts first in batches of `batch_size`, mean pooling over the attention mask, L2 normalisation. The
vectors equal sentence-transformers' within MAX_DIFFERENCE per component (measured: 2e-7 on this machine's
CPU; tests/test_embeddings_onnx.py checks it), so both backends share one embedding cache key.

Any other model (a hub id, another architecture, other pooling, a prompt) is left to sentence-transformers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from tokenizers import Tokenizer

from harness.store import warn

try:
    import fcntl  # POSIX: one process exports a model while the others wait for it
except ImportError:  # Windows: each process exports its own
    fcntl = None

EXPORT_FORMAT = 1  # part of an export's folder name: bump it when `export` writes another graph
MAX_DIFFERENCE = 1e-5  # largest difference of one vector component from sentence-transformers' (measured 2e-7)
# config.json model types exported (MiniLM is one); other architectures stay with sentence-transformers
TRANSFORMER_TYPES = ("bert",)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
SAMPLE = ("A short sentence.", "A longer sentence, so that the first one of the two is padded in the batch.")


@dataclass(frozen=True)
class Layout:
    """A sentence-transformers folder this module can run: where its transformer lives, how many word
    pieces it reads, and whether the folder itself normalises (its Normalize module)."""

    root: Path
    max_length: int
    normalize: bool


def _read_json(path: Path) -> dict:
    value = json.loads(path.read_text("utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{path} is not a JSON object")
    return value


def _mean_pooling_only(settings: dict) -> bool:
    """Pooling settings that ask for the masked mean and nothing else (old and new spellings)."""
    modes = settings.get("pooling_mode")
    if modes is not None:
        return modes in ("mean", ["mean"])
    chosen = {k for k, v in settings.items() if k.startswith("pooling_mode_") and v is True}
    return chosen == {"pooling_mode_mean_tokens"}


def plain_layout(folder: Path) -> Layout | None:
    """The folder's Layout if it is a BERT transformer + mean pooling (+ Normalize) sentence-transformers model
    with a tokenizer.json and no default prompt or lower-casing by sentence-transformers; None for anything
    else, which sentence-transformers loads as before."""
    try:
        modules = json.loads((folder / "modules.json").read_text("utf-8"))
        kinds = [str(m["type"]).rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        root = folder / str(modules[0].get("path", ""))
        settings = _read_json(root / "sentence_bert_config.json")
        config = _read_json(root / "config.json")
        extra = folder / "config_sentence_transformers.json"
        prompt = extra.is_file() and _read_json(extra).get("default_prompt_name")
        if (
            prompt
            or config.get("model_type") not in TRANSFORMER_TYPES
            or settings.get("do_lower_case")
            or not (root / "tokenizer.json").is_file()
            or not _mean_pooling_only(_read_json(folder / str(modules[1]["path"]) / "config.json"))
        ):
            return None
        length = min(int(settings["max_seq_length"]), int(config.get("max_position_embeddings", 512)))
        return Layout(root, length, kinds[-1] == "Normalize")
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def export_path(cache_dir: Path, model_id: str, folder: Path, pinned: bool) -> Path:
    """Where the folder's export lives: named by the model's identity, so another model (or a retrained one
    saved at the same path) never reads this one's file. `pinned`: the model id names a package version,
    which says enough; else the folder's files' names, sizes and modification times are part of it."""
    identity = f"{EXPORT_FORMAT}\x00{model_id}"
    if not pinned:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        identity += "".join(f"\x00{p.relative_to(folder)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.name).strip("-.") or "model"
    return cache_dir / "onnx" / f"{name}-{hashlib.sha256(identity.encode()).hexdigest()[:16]}" / "model.onnx"


def tokenizer(layout: Layout) -> Tokenizer:
    """The folder's fast tokenizer, truncating at the model's length and padding to the batch's longest text
    (its tokenizer.json may say otherwise: the shipped one pads and truncates to 128)."""
    loaded = Tokenizer.from_file(str(layout.root / "tokenizer.json"))
    loaded.enable_truncation(layout.max_length)
    pad = loaded.padding or {}
    loaded.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
    return loaded


def model_inputs(encoder: Tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """input_ids, attention_mask and token_type_ids of a batch, as the transformer takes them."""
    encodings = encoder.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


def pool(tokens: np.ndarray, mask: np.ndarray, normalize: bool = True) -> np.ndarray:
    """Mean of the token vectors over the attention mask, then unit length (sentence-transformers' Pooling
    and Normalize, with their guards against dividing by zero)."""
    weights = mask[..., None].astype(np.float32)
    vectors = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    if normalize:
        vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    return vectors.astype(np.float32)


def default_threads() -> int:
    """onnxruntime's threads in this process: OMP_NUM_THREADS where set (how a parent splits the cores
    between worker processes, torch reads it too), else up to 4 cores."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return min(4, os.cpu_count() or 1)


def _session(onnx_file: Path, threads: int):
    import onnxruntime as ort  # heavy to import: only a process that computes an embedding needs it

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


def export(layout: Layout, target: Path) -> None:
    """The folder's transformer -> `target`, checked against the torch model on SAMPLE (pooled vectors within
    MAX_DIFFERENCE). Written to a temporary file beside `target` and renamed into place, so no process ever
    reads half a file; two processes exporting at once each rename a whole one."""
    import torch  # exporting needs torch, once per model and cache folder
    from transformers import AutoModel  # the same

    model = AutoModel.from_pretrained(str(layout.root), attn_implementation="eager").eval()

    class TokenVectors(torch.nn.Module):
        """The transformer with positional inputs and one output, the token vectors, as the export wants."""

        def __init__(self):
            super().__init__()
            self.transformer = model  # a submodule, so its weights are exported as weights

        def forward(self, input_ids, attention_mask, token_type_ids):
            outputs = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return outputs[0]

    wrapped = TokenVectors().eval()
    sample = model_inputs(tokenizer(layout), list(SAMPLE))
    tensors = tuple(torch.from_numpy(sample[name]) for name in INPUTS)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".model-", suffix=".onnx.tmp", dir=target.parent)
    os.close(handle)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes; the check below is the test
            expected = wrapped(*tensors).numpy()
            torch.onnx.export(
                wrapped,
                tensors,
                temporary,
                input_names=list(INPUTS),
                output_names=["token_vectors"],
                dynamic_axes={name: {0: "batch", 1: "length"} for name in (*INPUTS, "token_vectors")},
                opset_version=17,
                dynamo=False,
            )
        produced = _session(Path(temporary), 1).run(None, sample)[0]
        difference = np.abs(pool(produced, sample["attention_mask"]) - pool(expected, sample["attention_mask"])).max()
        if not difference <= MAX_DIFFERENCE:
            raise ValueError(f"the exported model's vectors differ from torch's by {difference:.2g}")
        os.chmod(temporary, 0o644)  # mkstemp's file is private; a cache folder may be shared
        _write_check(target, pool(expected, sample["attention_mask"]))
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def check_path(target: Path) -> Path:
    """Beside an export: the torch model's vectors for SAMPLE, which the export must reproduce when read."""
    return target.with_name(target.name + ".check.npy")


def _write_check(target: Path, vectors: np.ndarray) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".check-", suffix=".npy.tmp", dir=target.parent)
    with os.fdopen(handle, "wb") as out:
        np.save(out, vectors.astype(np.float32))
    os.chmod(temporary, 0o644)
    os.replace(temporary, check_path(target))


def _reproduces_check(encoder: "OnnxSentenceEncoder", target: Path) -> bool:
    """Whether an export read from the cache still gives the vectors torch gave when it was made: a cache
    file is not trusted (a damaged or altered graph that onnxruntime still reads would otherwise embed
    wrongly, and its vectors would be cached under the real model's name)."""
    try:
        expected = np.load(check_path(target), allow_pickle=False)
    except (OSError, ValueError):
        return False
    produced = encoder.encode(list(SAMPLE), batch_size=len(SAMPLE), normalize_embeddings=True)
    return produced.shape == expected.shape and bool(np.abs(produced - expected).max() <= MAX_DIFFERENCE)


class OnnxSentenceEncoder:
    """Texts -> sentence vectors with onnxruntime. `encode` takes sentence-transformers' arguments, so a
    caller holding `Embedder.model` uses either backend alike."""

    def __init__(self, onnx_file: Path, layout: Layout, threads: int):
        self.session = _session(onnx_file, threads)
        self.wanted = {i.name for i in self.session.get_inputs()}
        self.layout = layout
        self.tokenizer = tokenizer(layout)

    def get_embedding_dimension(self) -> int:
        width = self.session.get_outputs()[0].shape[-1]  # the hidden size, fixed when the graph was exported
        return width if isinstance(width, int) else int(self.encode([""]).shape[1])

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = False, **_) -> np.ndarray:
        """Vectors in the order of `texts`, computed longest text first (sentence-transformers' order, so
        batches are padded as there); normalised if the folder or the caller asks. Other options of
        sentence-transformers' encode (progress bar, numpy output) change nothing here."""
        order = np.argsort([-len(text) for text in texts])
        parts = []
        for start in range(0, len(texts), batch_size):
            batch = model_inputs(self.tokenizer, [texts[i] for i in order[start : start + batch_size]])
            tokens = self.session.run(None, {k: v for k, v in batch.items() if k in self.wanted})[0]
            parts.append(pool(tokens, batch["attention_mask"], self.layout.normalize or normalize_embeddings))
        vectors = np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)
        return vectors[np.argsort(order)]


def _first_line(exc: Exception) -> str:
    """An exception's first line, short: torch's messages may print whole weight tensors."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


_LOADED: dict[tuple[str, int], OnnxSentenceEncoder] = {}  # by export name and threads: one session per process


def load_encoder(
    folder: Path, model_id: str, pinned: bool, cache_dir: Path, threads: int | None = None
) -> OnnxSentenceEncoder | None:
    """The folder's ONNX encoder, exported into `cache_dir` on first use. None, and the caller loads the model
    with sentence-transformers as before, for a folder of another kind, where `onnx` (the exporter's
    dependency) is not installed, or with a warning when the export fails: slower, never fatal."""
    layout = plain_layout(folder)
    if layout is None:
        return None
    target = export_path(cache_dir, model_id, folder, pinned)
    threads = threads or default_threads()
    key = (target.parent.name, threads)  # the same model under another cache folder: the session already open
    if key not in _LOADED:
        encoder = _read(target, layout, threads) or _export_and_read(folder, layout, target, threads)
        if encoder is None:
            return None
        _LOADED[key] = encoder
    return _LOADED[key]


def _read(target: Path, layout: Layout, threads: int) -> OnnxSentenceEncoder | None:
    """The export at `target`; None where there is none or onnxruntime cannot read it (it is made again)."""
    if not target.is_file():
        return None
    try:
        encoder = OnnxSentenceEncoder(target, layout, threads)
    except Exception:  # onnxruntime's own error types (InvalidProtobuf, Fail, ...)
        return None
    return encoder if _reproduces_check(encoder, target) else None


def _export_and_read(folder: Path, layout: Layout, target: Path, threads: int) -> OnnxSentenceEncoder | None:
    """Export the model, unless another process did while this one waited for the folder's lock."""
    if importlib.util.find_spec("onnx") is None:
        return None
    try:
        with _exclusive(target.parent):
            encoder = _read(target, layout, threads)
            if encoder is None:
                if fcntl is not None:  # the lock is held: a temporary file here is one an interrupted export left
                    for stale in target.parent.glob(".*.tmp"):
                        stale.unlink(missing_ok=True)
                export(layout, target)
                encoder = OnnxSentenceEncoder(target, layout, threads)
        return encoder
    except Exception as exc:  # a model the exporter cannot trace, a read-only cache folder, ...
        warn(f"embedding model {folder}: ONNX export failed ({_first_line(exc)}); using sentence-transformers")
        return None


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One process at a time exports into `folder` (the workers of a first run all start at once); the others
    wait, then read its file. Without fcntl (Windows) each exports its own, which the atomic rename keeps safe."""
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield
