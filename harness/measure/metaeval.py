"""`harness meta-eval`: how well a judge's summary score agrees with human consistency labels.

Rows are `{id, document, summary, label, cut?, origin?, score?, system?}` (the format of the benchmark files;
other fields are ignored), read by harness.ingest.pairs as `score-pairs` reads its rows. Scores come from
`ConsistencyScorer`, the path `harness score-pairs` takes, so a number measured here is the number users
get. Beside every judge number stands a one-line baseline, the share of the summary's content words found
anywhere in the document: a judge that does not beat it reads no meaning. The statistics, and how a
threshold is chosen, are harness.measure.agreement's.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from harness.config import Config
from harness.document import InputError
from harness.files import atomic_write_text
from harness.ingest.pairs import SCORE_DIGITS, read_pairs
from harness.measure.agreement import (
    THRESHOLD_TEXT,
    balanced_accuracy_at,
    evaluated,
    id_digest,
    kendall,
    spearman,
    threshold_rule,
    thresholded,
)
from harness.measure.scorer import ConsistencyScorer, unscored_reason
from harness.text import content_tokens

UNSCORED = 0.5  # a row with no score counts as "undecided" in every statistic, never as dropped
NO_WORDS = "no content word: the summary has no word to look for"
OPTIONAL_STRINGS = ("cut", "origin", "system")


# ---------------------------------------------------------------- rows


def row_problem(row: dict[str, Any]) -> str | None:
    """What is wrong with a meta-eval row beyond {id, document, summary}, or None. A label other than 0/1
    would silently turn the AUC into nonsense, so it is refused, not coerced."""
    label = row["label"]
    if isinstance(label, bool) or not isinstance(label, (int, float)) or label not in (0, 1):
        return f"label must be 0 or 1, got {json.dumps(label)}"
    score = row.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float)) or not np.isfinite(score)):
        return f"score must be a number or null, got {json.dumps(score)}"
    for key in OPTIONAL_STRINGS:
        if row.get(key) is not None and not isinstance(row[key], str):
            return f"{key} must be a string or null, got {json.dumps(row[key])}"
    return None


def read_rows(path: Path, max_field_mb: float) -> list[dict[str, Any]]:
    """The rows of a meta-eval file through the reader `score-pairs` uses (same limits, same messages)."""
    rows = read_pairs(path, max_field_mb, required=("id", "document", "summary", "label"), check=row_problem)
    if not rows:
        raise InputError(path, "no rows")
    return rows


# ---------------------------------------------------------------- scores


def overlap_baseline(document: str, summary: str, document_words: set[str] | None = None) -> float | None:
    """Share of the summary's content words that occur anywhere in the document: the floor a judge must
    beat to show it reads more than vocabulary. None when the summary has no content word."""
    words = content_tokens(summary)
    if not words:
        return None
    return len(words & (document_words if document_words is not None else content_tokens(document))) / len(words)


def baseline_scores(rows: list[dict[str, Any]]) -> list[float | None]:
    known: dict[str, set[str]] = {}  # benchmark files pair one document with many summaries
    for r in rows:
        if r["document"] not in known:
            known[r["document"]] = content_tokens(r["document"])
    return [overlap_baseline(r["document"], r["summary"], known[r["document"]]) for r in rows]


def judge_scores(rows: list[dict[str, Any]], scorer, progress: bool) -> list[float | None]:
    """The scorer's scores in row order, rounded like `score-pairs` output. Rows are scored grouped by
    document (the scorer keeps the last document's evidence index), which changes no score."""
    order = sorted(range(len(rows)), key=lambda i: rows[i]["document"])
    scored = scorer.score([rows[i]["document"] for i in order], [rows[i]["summary"] for i in order], progress=progress)
    scores: list[float | None] = [None] * len(rows)
    for i, s in zip(order, scored):
        scores[i] = None if s is None else round(float(s), SCORE_DIGITS)
    return scores


# ---------------------------------------------------------------- summaries of groups of rows


def summarise(
    index: np.ndarray,
    judge: np.ndarray,
    baseline: np.ndarray,
    labels: np.ndarray,
    cuts: list[str | None],
    ids: list[Any],
    fixed: float | None,
) -> dict[str, Any]:
    """One group of rows: the judge's numbers, the judge at its own threshold (nothing tuned), the baseline's."""
    group_cuts, group_ids = [cuts[i] for i in index], [ids[i] for i in index]
    rows = index[evaluated(group_cuts)]
    result = {
        **thresholded(judge[index], labels[index], group_cuts, group_ids),
        "label_1": int(labels[rows].sum()),
        "label_0": int((labels[rows] == 0).sum()),
    }
    if fixed is not None:
        result["fixed"] = {
            "threshold": fixed,
            "balanced_accuracy": balanced_accuracy_at(judge[rows], labels[rows], fixed),
        }
    result["baseline"] = thresholded(baseline[index], labels[index], group_cuts, group_ids)
    return result


def correlations(judge: np.ndarray, baseline: np.ndarray, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Spearman and Kendall with the human `score`, over the rows that carry one."""
    index = np.array([i for i, r in enumerate(rows) if r.get("score") is not None], dtype=int)
    if len(index) < 2:
        return None
    human = np.array([float(rows[i]["score"]) for i in index])
    return {
        "n": len(index),
        "spearman": spearman(judge[index], human),
        "kendall": kendall(judge[index], human),
        "baseline": {"spearman": spearman(baseline[index], human), "kendall": kendall(baseline[index], human)},
    }


def system_level(judge: np.ndarray, baseline: np.ndarray, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """SummEval-style: each system's mean judge score against its mean human score, Kendall over systems."""
    members = defaultdict(list)
    for i, r in enumerate(rows):
        if r.get("system") is not None and r.get("score") is not None:
            members[r["system"]].append(i)
    if len(members) < 3:
        return None
    systems = sorted(members)
    human = [np.mean([rows[i]["score"] for i in members[s]]) for s in systems]

    def mean_of(values: np.ndarray) -> list[float]:
        return [float(np.mean(values[members[s]])) for s in systems]

    return {
        "n_systems": len(systems),
        "n_rows": sum(len(m) for m in members.values()),
        "kendall": kendall(mean_of(judge), human),
        "spearman": spearman(mean_of(judge), human),
        "baseline": {"kendall": kendall(mean_of(baseline), human), "spearman": spearman(mean_of(baseline), human)},
    }


def judge_reason(row: dict[str, Any]) -> str:
    return unscored_reason(row["summary"]) if row["summary"].strip() else "empty summary"


def unscored(
    rows: list[dict[str, Any]], scores: list[float | None], reason_of: Callable[[dict], str]
) -> dict[str, Any]:
    """Rows without a score, by reason, ids listed: they are scored UNSCORED, never dropped."""
    reasons: dict[str, list] = defaultdict(list)
    for row, score in zip(rows, scores):
        if score is None:
            reasons[reason_of(row)].append(row["id"])
    return {
        "n": sum(len(v) for v in reasons.values()),
        "scored_as": UNSCORED,
        "reasons": {k: {"n": len(v), "ids": v} for k, v in reasons.items()},
    }


def meta_evaluate(
    rows: list[dict[str, Any]],
    judge_scores_: list[float | None],
    baseline_: list[float | None],
    fixed: float | None = None,
) -> dict[str, Any]:
    """Every number of meta_eval.json from the rows and their two scores (no model involved: testable alone)."""
    labels = np.array([int(r["label"]) for r in rows])
    cuts, ids = [r.get("cut") for r in rows], [r["id"] for r in rows]
    judge = np.array([UNSCORED if s is None else s for s in judge_scores_])
    baseline = np.array([UNSCORED if s is None else s for s in baseline_])

    def groups(key: str) -> dict[str, np.ndarray]:
        return {
            v: np.array([i for i, r in enumerate(rows) if r.get(key) == v])
            for v in sorted({r[key] for r in rows if r.get(key) is not None})
        }

    def summary(index: np.ndarray) -> dict[str, Any]:
        return summarise(index, judge, baseline, labels, cuts, ids, fixed)

    by_origin = {o: summary(index) for o, index in groups("origin").items()}
    result = {
        "rows": len(rows),
        "label_1": int(labels.sum()),
        "label_0": int((labels == 0).sum()),
        "threshold_source": threshold_rule(cuts),
        "threshold_rule": THRESHOLD_TEXT[threshold_rule(cuts)]
        + "; each group (origin, cut) applies the same rule to its own rows and says which in threshold_source",
        "unscored": unscored(rows, judge_scores_, judge_reason),
        "baseline_unscored": unscored(rows, baseline_, lambda row: NO_WORDS),
        "overall": summary(np.arange(len(rows))),
        "by_origin": by_origin,
        "by_cut": {c: summary(i) for c, i in groups("cut").items()},
        "correlation": correlations(judge, baseline, rows),
        "system_level": system_level(judge, baseline, rows),
    }
    if by_origin:
        blocks = list(by_origin.values())
        result["mean_over_origins"] = {
            "balanced_accuracy": _mean([b["balanced_accuracy"] for b in blocks]),
            "fixed_balanced_accuracy": _mean([b.get("fixed", {}).get("balanced_accuracy") for b in blocks]),
            "baseline_balanced_accuracy": _mean([b["baseline"]["balanced_accuracy"] for b in blocks]),
        }
    return result


def _mean(values: list[float | None]) -> float | None:
    return float(np.mean(values)) if values and None not in values else None


# ---------------------------------------------------------------- Markdown


def _number(value: float | list | None, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list):
        return " / ".join(_number(v) for v in value)
    return f"{100 * value:.1f}" if percent else f"{value:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """meta_eval.json as a page a person reads: one table of groups, judge and baseline side by side."""
    unscored_ = result["unscored"]
    lines = [
        f"# Meta-evaluation of the `{result['judge']}` judge",
        "",
        f"File: `{result['file']}`: {result['rows']:,} rows ({result['label_1']:,} labelled 1, {result['label_0']:,} "
        f"labelled 0). Baseline: the share of the summary's content words found anywhere in the document.",
        "",
        f"Threshold ({result['threshold_source']}): {result['threshold_rule']}.",
        "",
        f"Unscored rows: {unscored_['n']:,}"
        + (
            f", each scored {UNSCORED} in every statistic: "
            + "; ".join(
                f"{reason} ({r['n']:,}: {', '.join(map(str, r['ids'][:10]))}{', ...' if r['n'] > 10 else ''})"
                for reason, r in unscored_["reasons"].items()
            )
            if unscored_["n"]
            else ""
        )
        + ".",
        "",
        "| rows | n | threshold from | ROC AUC | balanced accuracy (%) | threshold | at the judge's own threshold (%) "
        "| baseline ROC AUC | baseline balanced accuracy (%) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups = (
        [("all", result["overall"])]
        + [(f"origin {k}", v) for k, v in result["by_origin"].items()]
        + [(f"cut {k}", v) for k, v in result["by_cut"].items()]
    )
    for name, g in groups:
        lines.append(
            f"| {name} | {g['n']:,} | {g['threshold_source']} | {_number(g['roc_auc'])} | "
            f"{_number(g['balanced_accuracy'], True)} | {_number(g['threshold'])} | "
            f"{_number(g.get('fixed', {}).get('balanced_accuracy'), True)} | {_number(g['baseline']['roc_auc'])} | "
            f"{_number(g['baseline']['balanced_accuracy'], True)} |"
        )
    if "mean_over_origins" in result:
        m = result["mean_over_origins"]
        lines.append(
            f"| mean of origins | | | | {_number(m['balanced_accuracy'], True)} | | "
            f"{_number(m['fixed_balanced_accuracy'], True)} | | {_number(m['baseline_balanced_accuracy'], True)} |"
        )
    for title, block, n in (
        ("Correlation with the human `score`", result["correlation"], "n"),
        ("System level (mean per system)", result["system_level"], "n_systems"),
    ):
        if block:
            lines += [
                "",
                f"{title}, {block[n]:,} {'systems' if n == 'n_systems' else 'rows'}: Spearman "
                f"{_number(block['spearman'])}, Kendall {_number(block['kendall'])} (baseline: Spearman "
                f"{_number(block['baseline']['spearman'])}, Kendall {_number(block['baseline']['kendall'])}).",
            ]
    lines += [
        "",
        f"Time: {result['seconds']['scoring']:.1f} s scoring; embeddings computed {result['cache']['embeddings_computed']:,}, "
        f"from cache {result['cache']['embeddings_from_cache']:,}.",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the command


def sample_rows(rows: list[dict[str, Any]], per_group: int) -> list[dict[str, Any]]:
    """At most `per_group` rows of each (cut, origin, label), the ones whose id hashes lowest: the same sample on
    every machine and run, balanced by label, for judges too slow for the whole file (a small LLM)."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row.get("cut"), row.get("origin"), int(row["label"])), []).append(row)
    keep = {id(r) for members in groups.values() for r in sorted(members, key=lambda r: id_digest(r["id"]))[:per_group]}
    return [r for r in rows if id(r) in keep]


def run_meta_eval(
    path: Path, config: Config, out: Path, progress: bool = True, sample: int | None = None
) -> dict[str, Any]:
    """Read, score (resumable: the scorer's embedding and pair caches keep every expensive result), write
    DIR/meta_eval.json, DIR/meta_eval.md and DIR/scores.jsonl (each row's two scores), and return the result."""
    if out.exists() and not out.is_dir():
        raise InputError(out, "is not a folder: --out names the output folder")
    rows = read_rows(path, config.max_file_mb)
    if sample:
        rows = sample_rows(rows, sample)
    scorer = ConsistencyScorer(config)
    started = time.perf_counter()
    judge = judge_scores(rows, scorer, progress)
    seconds = time.perf_counter() - started
    baseline = baseline_scores(rows)
    result = {
        "file": str(path),
        "sample_per_group": sample,
        "judge": config.judge,
        **meta_evaluate(rows, judge, baseline, getattr(scorer.judge, "threshold", None)),
        "seconds": {"scoring": round(seconds, 2)},
        "cache": {
            "embeddings_computed": scorer.embedder.computed,
            "embeddings_from_cache": scorer.embedder.cached_hits,
        },
    }
    if any(scorer.judge.usage.counts().values()):
        result["llm_usage"] = scorer.judge.usage.counts()
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "meta_eval.json", json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(out / "meta_eval.md", markdown(result))
    atomic_write_text(
        out / "scores.jsonl",
        "".join(
            json.dumps(
                {
                    "id": r["id"],
                    "label": int(r["label"]),
                    "score": s,
                    "baseline": None if b is None else round(b, SCORE_DIGITS),
                }
            )
            + "\n"
            for r, s, b in zip(rows, judge, baseline)
        ),
    )
    return result
