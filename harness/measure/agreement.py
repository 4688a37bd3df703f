"""How well a score agrees with binary labels and with human scores: ROC AUC (Mann-Whitney), balanced
accuracy at a threshold and the best threshold, Spearman and Kendall's tau-b; and how a threshold is chosen
without being tuned on the rows it is judged on (on the `val` rows, or by two-fold cross-fitting).

Small numpy functions, so the harness needs neither scikit-learn nor scipy at run time (tests compare them
with both). `harness meta-eval` reports them; benchmarks fit judges with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np


def average_ranks(values: Sequence[float]) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank: what Mann-Whitney and Spearman need."""
    _, inverse, counts = np.unique(np.asarray(values, dtype=float), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse]


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """P(a consistent row scores above an inconsistent one), ties counting half (Mann-Whitney U); None
    without both labels."""
    labels = np.asarray(labels)
    n_pos, n_neg = int((labels == 1).sum()), int((labels == 0).sum())
    if not n_pos or not n_neg:
        return None
    rank_sum = average_ranks(scores)[labels == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def balanced_accuracy(predicted: Sequence[bool], labels: Sequence[int]) -> float | None:
    """Mean recall of the labels present: a judge calling everything consistent gets 0.5, not the share of 1s."""
    predicted, labels = np.asarray(predicted, dtype=bool), np.asarray(labels)
    recalls = [float((predicted[labels == 1]).mean())] if (labels == 1).any() else []
    recalls += [float((~predicted[labels == 0]).mean())] if (labels == 0).any() else []
    return float(np.mean(recalls)) if recalls else None


def balanced_accuracy_at(scores: Sequence[float], labels: Sequence[int], threshold: float) -> float | None:
    return balanced_accuracy(np.asarray(scores, dtype=float) >= threshold, labels)


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float] | None:
    """(threshold, balanced accuracy) maximising balanced accuracy, a cut halfway between observed scores
    (ties go to the cut nearest 0.5); None without both labels, where no threshold means anything."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels)
    pos, neg = np.sort(scores[labels == 1]), np.sort(scores[labels == 0])
    if not len(pos) or not len(neg):
        return None
    values = np.unique(scores)
    cuts = (values[1:] + values[:-1]) / 2 if len(values) > 1 else values
    accuracy = ((len(pos) - np.searchsorted(pos, cuts)) / len(pos) + np.searchsorted(neg, cuts) / len(neg)) / 2
    best = np.lexsort((np.abs(cuts - 0.5), -accuracy))[0]
    return float(cuts[best]), float(accuracy[best])


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation of average ranks; None when either side is constant or too short."""
    if len(x) < 2:
        return None
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    norm = float(np.sqrt((rx**2).sum() * (ry**2).sum()))
    return float((rx * ry).sum() / norm) if norm else None


def kendall(x: Sequence[float], y: Sequence[float], block: int = 512) -> float | None:
    """Kendall's tau-b (ties in either variable accounted for), in row blocks so memory stays small."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    concordance, untied_x, untied_y = 0.0, 0.0, 0.0
    for start in range(0, len(x), block):
        dx = np.sign(x[start : start + block, None] - x[None, :])
        dy = np.sign(y[start : start + block, None] - y[None, :])
        concordance += float((dx * dy).sum())
        untied_x += float(np.abs(dx).sum())
        untied_y += float(np.abs(dy).sum())
    norm = np.sqrt(untied_x * untied_y)
    return float(concordance / norm) if norm else None


def id_digest(row_id: Any) -> bytes:
    """A hash of a row's id: the same on every machine and run, unlike Python's hash()."""
    return hashlib.sha256(str(row_id).encode("utf-8")).digest()


def half_of(row_id: Any) -> int:
    """0 or 1 from a hash of the id: the same split on every machine and run."""
    return id_digest(row_id)[0] % 2


def threshold_rule(cuts: list[str | None]) -> str:
    """'val' when val rows and other rows are both present (choose on val, report on the others), else 'cross-fit'."""
    return "val" if "val" in cuts and any(c != "val" for c in cuts) else "cross-fit"


THRESHOLD_TEXT = {
    "val": 'threshold chosen on the `cut == "val"` rows (highest balanced accuracy); ROC AUC and balanced accuracy '
    "reported on the other rows (test)",
    "cross-fit": "no val rows beside others: two-fold cross-fitting; the rows are split in two halves by a hash of "
    "their id, each half judged at the threshold chosen on the other (threshold lists both); ROC AUC on all rows",
}


def thresholded(scores: np.ndarray, labels: np.ndarray, cuts: list[str | None], ids: list[Any]) -> dict[str, Any]:
    """ROC AUC and balanced accuracy of one score over one group of rows, by `threshold_rule`."""
    rule = threshold_rule(cuts)
    if rule == "val":
        val = np.array([c == "val" for c in cuts])
        chosen, rest = best_threshold(scores[val], labels[val]), ~val
        threshold = chosen[0] if chosen else None
        return {
            "n": int(rest.sum()),
            "n_val": int(val.sum()),
            "threshold_source": rule,
            "roc_auc": roc_auc(scores[rest], labels[rest]),
            "threshold": threshold,
            "balanced_accuracy": None
            if threshold is None
            else balanced_accuracy_at(scores[rest], labels[rest], threshold),
        }
    half = np.array([half_of(i) for i in ids])
    chosen = [best_threshold(scores[half != h], labels[half != h]) for h in (0, 1)]
    result = {
        "n": len(ids),
        "threshold_source": rule,
        "roc_auc": roc_auc(scores, labels),
        "threshold": None,
        "balanced_accuracy": None,
    }
    if all(chosen):
        per_row = np.where(half == 0, chosen[0][0], chosen[1][0])
        result |= {
            "threshold": [chosen[0][0], chosen[1][0]],
            "balanced_accuracy": balanced_accuracy(scores >= per_row, labels),
        }
    return result


def evaluated(cuts: list[str | None]) -> np.ndarray:
    """Which rows of a group its numbers are reported on: the non-val rows under the val rule, else all."""
    return np.array([c != "val" for c in cuts]) if threshold_rule(cuts) == "val" else np.ones(len(cuts), dtype=bool)
