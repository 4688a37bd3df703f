"""Which of a model's outputs means "consistent": its labels (from its config.json) -> a `Head`.

Any sequence-classification head works: one logit (sigmoid), two labels (softmax, the consistent class) or
an NLI head (p(entailment), or SummaC's (e - c + 1) / 2). Which class means "consistent" is read from the
labels in the model's config.json (`id2label`), never from its position, because NLI models order their
classes differently; a label set that names no consistent class is refused when the model is named.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
        from transformers import AutoConfig  # heavy and optional: only a user's transformers model needs it

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
