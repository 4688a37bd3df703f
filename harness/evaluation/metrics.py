"""Per-candidate metrics and their per-system aggregation.

- faithfulness: share of scored (non-artefact) claims judged supported;
- verdict counts and mean `p_support`;
- key-fact coverage is computed in harness.evaluation.coverage;
- ROUGE-1/2/Lsum F1 against each reference (rouge-score's tokenizer and numbers, counted in numpy and once per
  reference; sentences split by the harness for Lsum);
- semantic similarity: cosine between the centroids of candidate claims and reference sentences;
- extractive fragment coverage, density and compression (Grusky et al., 2018);
- length in words, sentences and claims.

What a candidate is scored on (each metric's name, label, direction and format) is the registry's
(harness.registry.METRICS); a new metric is added there and computed here.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from statistics import mean
from types import ModuleType
from typing import Any

import numpy as np

from harness.judges.contract import Judgement
from harness.lcs import summary_level_lcs
from harness.reading.claims import Claim
from harness.registry import ARTEFACT, METRICS, ROUGE_TYPES, SUPPORTED, VERDICTS, rouge_name, summary_rouge_name
from harness.text import split_sentences, words

# ---- the metrics --------------------------------------------------------------------------------------


class _MemoStemmer:
    """nltk's Porter stemmer as rouge-score builds it, one answer per word remembered: a candidate's words
    recur across its sentences, its references and the story's other candidates."""

    def __init__(self):
        self.stem = lru_cache(maxsize=262144)(porter_module().PorterStemmer().stem)


@lru_cache(maxsize=1)
def porter_module() -> ModuleType:
    """`nltk.stem.porter`, imported without running `nltk/__init__.py` and `nltk/stem/__init__.py`, which load
    NLTK's corpora readers, parsers and taggers: 1.6 s in every worker process for one stemmer. The two
    packages stand in as bare namespaces while the module (and what it imports: nltk.redos, nltk.termsec,
    nltk.stem.api) loads, and are removed after, so a later `import nltk` is the real, whole package."""
    spec = importlib.util.find_spec("nltk")
    if spec is None or "nltk" in sys.modules or not spec.submodule_search_locations:
        return importlib.import_module("nltk.stem.porter")  # already whole, or laid out otherwise: as usual
    folder = list(spec.submodule_search_locations)
    stand_ins = {"nltk": folder, "nltk.stem": [str(Path(folder[0]) / "stem")]}
    for name, path in stand_ins.items():
        package = ModuleType(name)
        package.__path__ = path
        sys.modules[name] = package
    before = set(sys.modules)
    try:
        return importlib.import_module("nltk.stem.porter")
    finally:  # the stand-ins and what loaded under them leave: a later `import nltk` is whole and consistent
        for name in set(sys.modules) - before | set(stand_ins):
            sys.modules.pop(name, None)


class CachingTokenizer:
    """rouge-score's own tokenizer (`rouge_score.tokenize.tokenize` with Porter stemming), memoised per text
    and per word: a reference sentence is tokenised once per run rather than once per candidate, and a word
    is stemmed once. The scores are unchanged (tests/test_lcs.py compares them with rouge-score's)."""

    def __init__(self):
        from rouge_score import tokenize

        stemmer = _MemoStemmer()
        self._memo = lru_cache(maxsize=65536)(lambda text: tuple(tokenize.tokenize(text, stemmer)))

    def tokenize(self, text: str) -> list[str]:
        return list(self._memo(text))


NGRAM_ORDERS = {"rouge1": 1, "rouge2": 2}  # rougeLsum's LCS comes from harness.lcs


@lru_cache(maxsize=1)
def _tokenizer() -> CachingTokenizer:
    return CachingTokenizer()


@lru_cache(maxsize=4096)
def _ngram_counts(text: str, n: int) -> Counter:
    """The text's n-grams as rouge-score counts them, once per text: a reference is scored against every
    candidate of its story."""
    tokens = _tokenizer().tokenize(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _ngram_f1(reference: str, candidate: str, n: int) -> float:
    """rouge-score's ROUGE-N F1 (its `_score_ngrams`); tests/test_lcs.py checks the numbers against it."""
    from rouge_score import scoring

    target, prediction = _ngram_counts(reference, n), _ngram_counts(candidate, n)
    overlap = sum(min(count, prediction[gram]) for gram, count in target.items())
    precision = overlap / max(sum(prediction.values()), 1)
    recall = overlap / max(sum(target.values()), 1)
    return scoring.fmeasure(precision, recall)


def _lines(text: str) -> list[list[str]]:
    """rouge-score's ROUGE-Lsum sentences: the text's non-empty lines, tokenised."""
    return [_tokenizer().tokenize(line) for line in text.split("\n") if line]


def claim_metrics(judgements: list[Judgement]) -> dict[str, Any]:
    verdicts = [j.verdict for j in judgements]
    scored = [j for j in judgements if j.verdict != ARTEFACT]
    return {
        "claims": len(judgements),
        "scored_claims": len(scored),
        **{verdict: verdicts.count(verdict) for verdict in VERDICTS},
        "faithfulness": verdicts.count(SUPPORTED) / len(scored) if scored else None,
        "mean_p_support": mean(j.p_support for j in scored) if scored else None,
    }


@lru_cache(maxsize=1024)
def _sentence_lines(text: str) -> str:
    """The text one sentence per line, as ROUGE-Lsum needs it: a reference once per story, a candidate
    once for all its references."""
    return "\n".join(split_sentences(text))


def forget_memory() -> None:
    """Empty this process's memory of tokenised ROUGE text (benchmarks time cold runs in one process)."""
    for memo in (_tokenizer, _ngram_counts, _sentence_lines):
        memo.cache_clear()


def rouge(candidate: str, reference: str) -> dict[str, float]:
    """F1 of ROUGE-1, ROUGE-2 and ROUGE-Lsum; Lsum needs one sentence per line."""
    cand, ref = _sentence_lines(candidate), _sentence_lines(reference)
    scores = {name: _ngram_f1(ref, cand, n) for name, n in NGRAM_ORDERS.items()}
    scores["rougeLsum"] = summary_level_lcs(_lines(ref), _lines(cand)).fmeasure
    return {name: scores[name] for name in ROUGE_TYPES}


def rouge_metrics(by_reference: Iterable[dict[str, float]]) -> dict[str, float]:
    """Each ROUGE type's best and mean F1 over a story's references, under the registry's names."""
    scores = list(by_reference)
    result = {}
    for rouge_type in ROUGE_TYPES:
        per_ref = [s[rouge_type] for s in scores]
        result[rouge_name(rouge_type, "max")] = max(per_ref)
        result[rouge_name(rouge_type, "mean")] = sum(per_ref) / len(per_ref)
    return result


def summary_rouge_metrics(summary: str, references: list[str]) -> dict[str, Any]:
    """ROUGE of the candidate against each declared reference summary, best over them, under the
    registry's names; absent (None), never zero, when the story declares none."""
    result: dict[str, Any] = {"reference_summaries": len(references)}
    scores = [rouge(summary, text) for text in references]
    for rouge_type in ROUGE_TYPES:
        result[summary_rouge_name(rouge_type)] = max(s[rouge_type] for s in scores) if scores else None
    return result


def _shared_run(summary: list[str], i: int, article: list[str], j: int) -> int:
    """How many words are the same from summary[i] and article[j] on."""
    length = 0
    while i + length < len(summary) and j + length < len(article) and summary[i + length] == article[j + length]:
        length += 1
    return length


def fragments(article: list[str], summary: list[str]) -> list[list[str]]:
    """Greedy extractive fragments shared by summary and article (Grusky et al. 2018, Algorithm 1). The scan of
    the article for summary[i] visits only the article positions holding that word (the same matches, in
    the same order, as the paper's left-to-right scan, which skips each match's span)."""
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(article):
        positions.setdefault(word, []).append(j)
    result: list[list[str]] = []
    i = 0
    while i < len(summary):
        best: list[str] = []
        j = 0
        for start in positions.get(summary[i], ()):
            if start < j:
                continue  # inside the previous match
            length = _shared_run(summary, i, article, start)
            if len(best) < length:
                best = summary[i : i + length]
            j = start + length
        i += max(len(best), 1)
        if best:
            result.append(best)
    return result


def extractive_metrics(article: str, summary: str) -> dict[str, float | None]:
    a, s = words(article), words(summary)
    if not s:
        return {"fragment_coverage": None, "fragment_density": None, "compression": None}
    frags = fragments(a, s)
    return {
        "fragment_coverage": sum(len(f) for f in frags) / len(s),
        "fragment_density": sum(len(f) ** 2 for f in frags) / len(s),
        "compression": len(a) / len(s),
    }


def centroid_similarity(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) == 0 or len(b) == 0:
        return None
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    return float(ca @ cb / (np.linalg.norm(ca) * np.linalg.norm(cb)))


def length_metrics(summary: str, claims: list[Claim]) -> dict[str, int]:
    return {"words": len(words(summary)), "sentences": len(split_sentences(summary)) if summary.strip() else 0}


def aggregate_systems(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per system: means of every numeric metric over its candidates, sums of claim counts (`total`)."""
    systems: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("status") == "ok":
            systems.setdefault(row["system"], []).append(row)
    result = []
    for system, members in sorted(systems.items()):
        agg: dict[str, Any] = {"system": system, "candidates": len(members)}
        for key, value in members[0].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values = [m[key] for m in members if isinstance(m.get(key), (int, float))]
                agg[key] = sum(values) if key in METRICS and METRICS[key].total else (mean(values) if values else None)
        result.append(agg)
    return result
