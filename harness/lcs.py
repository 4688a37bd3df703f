"""ROUGE-Lsum's summary-level LCS, computed with numpy: the same numbers as rouge-score, far faster.

rouge-score fills one pure-Python LCS table for every (reference sentence, candidate sentence) pair: against
three 800-word articles that was a third of a cold run. Here one table holds every pair of a reference and a
candidate, filled row by row with array operations, and every pair is read back in lockstep. The read-back
follows rouge-score's `_backtrack_norec` step for step, so ties resolve the same way and the union LCS, the
hit count and the score are identical (tests/test_lcs.py compares them on random token lists).

Row update, exact for LCS tables: with `prev` the row above,
    t[i][j] = max(v[j], t[i][j - 1]),  v[j] = prev[j - 1] + 1 if tokens match else prev[j]
(when the tokens match, prev[j - 1] + 1 is already the largest of the three rouge-score compares), so a row
is a running maximum, restarted at each candidate sentence by adding a per-sentence offset.
"""

from __future__ import annotations

import collections

import numpy as np
from rouge_score import scoring

TABLE_CELLS = 4_000_000  # int64 cells of one table block (32 MB); longer texts are done in more blocks


def _ids(sentences: list[list[str]], vocabulary: dict[str, int]) -> list[np.ndarray]:
    return [np.array([vocabulary.setdefault(t, len(vocabulary)) for t in s], dtype=np.int64) for s in sentences]


def _tables(refs: list[np.ndarray], cands: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LCS tables of every (reference sentence, candidate sentence) pair, side by side.

    Returns tables[k, i, col], the candidate token ids laid out with a zero column before each candidate
    sentence, and each candidate sentence's first column (its zero column)."""
    longest = max(len(r) for r in refs)
    ref_ids = np.full((len(refs), longest), -1, dtype=np.int64)
    for k, r in enumerate(refs):
        ref_ids[k, : len(r)] = r
    starts = np.cumsum([0] + [len(c) + 1 for c in cands[:-1]])
    width = int(starts[-1] + len(cands[-1]) + 1)
    columns = np.full(width, -2, dtype=np.int64)  # -2 in the zero columns never equals a token id
    segment = np.zeros(width, dtype=np.int64)
    for s, (start, c) in enumerate(zip(starts, cands)):
        columns[start + 1 : start + 1 + len(c)] = c
        segment[start : start + 1 + len(c)] = s
    offset = segment * (longest + 1)  # larger than any LCS length: the running maximum restarts per sentence
    tables = np.zeros((len(refs), longest + 1, width), dtype=np.int64)
    match = ref_ids[:, :, None] == columns[None, None, 1:]
    for i in range(1, longest + 1):
        prev, row = tables[:, i - 1, :], tables[:, i, :]
        row[:, 0] = prev[:, 0]
        np.copyto(row[:, 1:], np.where(match[:, i - 1], prev[:, :-1] + 1, prev[:, 1:]))
        row += offset
        np.maximum.accumulate(row, axis=1, out=row)
        row -= offset
    return tables, columns, starts


def _union_masks(refs: list[np.ndarray], cands: list[np.ndarray]) -> np.ndarray:
    """masks[k, i]: token i of reference sentence k is in the LCS with some candidate sentence, as
    rouge-score's `_union_lcs` finds it. Every pair walks back at once over the flattened tables; a pair
    stops where its table reads 0, since no match is left before that point."""
    tables, columns, starts = _tables(refs, cands)
    _, rows, width = tables.shape
    flat = tables.ravel()
    ref_ids = np.full((len(refs), rows), -1, dtype=np.int64)
    for k, r in enumerate(refs):
        ref_ids[k, 1 : len(r) + 1] = r
    ref_ids = ref_ids.ravel()
    pair_k = np.repeat(np.arange(len(refs)), len(cands))
    pair_s = np.tile(np.arange(len(cands)), len(refs))
    row = pair_k * rows + np.array([len(r) for r in refs])[pair_k]  # flat (sentence, i)
    col = starts[pair_s] + np.array([len(c) for c in cands])[pair_s]  # flat (candidate sentence, j)
    cell = pair_k * rows * width + (row - pair_k * rows) * width + col
    masks = np.zeros(len(refs) * rows, dtype=bool)
    while True:
        live = flat[cell] > 0
        row, col, cell = row[live], col[live], cell[live]
        if not len(cell):
            return masks.reshape(len(refs), rows)[:, 1:]  # column i marks token i - 1
        same = ref_ids[row] == columns[col]
        masks[row[same]] = True
        up = ~same & (flat[cell - 1] <= flat[cell - width])  # rouge-score: j -= 1 only when strictly greater
        step_i = (same | up).astype(np.int64)
        step_j = (~up).astype(np.int64)
        row, col, cell = row - step_i, col - step_j, cell - step_i * width - step_j


def _masks_in_chunks(refs: list[np.ndarray], cands: list[np.ndarray]) -> list[np.ndarray]:
    """Union masks of every reference sentence, a few sentences at a time so a table stays under
    TABLE_CELLS cells whatever the texts' length."""
    width = sum(len(c) + 1 for c in cands)
    masks: list[np.ndarray] = []
    start = 0
    while start < len(refs):
        end = start + 1
        while (
            end < len(refs)
            and (end + 1 - start) * (max(len(r) for r in refs[start : end + 1]) + 1) * width <= TABLE_CELLS
        ):
            end += 1
        masks.extend(_union_masks(refs[start:end], cands))
        start = end
    return masks


def summary_level_lcs(ref_sents: list[list[str]], can_sents: list[list[str]]) -> scoring.Score:
    """rouge-score's `_summary_level_lcs(ref_sent, can_sent)`: ROUGE-Lsum of tokenised sentences."""
    m, n = sum(map(len, ref_sents)), sum(map(len, can_sents))
    if not ref_sents or not can_sents or not m or not n:
        return scoring.Score(precision=0, recall=0, fmeasure=0)
    vocabulary: dict[str, int] = {}
    refs, cands = _ids(ref_sents, vocabulary), _ids(can_sents, vocabulary)
    kept_refs = [k for k, r in enumerate(refs) if len(r)]
    kept_cands = [c for c in cands if len(c)]
    masks = _masks_in_chunks([refs[k] for k in kept_refs], kept_cands)
    counts_r = collections.Counter(t for s in ref_sents for t in s)
    counts_c = collections.Counter(t for s in can_sents for t in s)
    hits = 0
    for row, k in enumerate(kept_refs):
        for position in np.flatnonzero(masks[row]):
            token = ref_sents[k][position]
            if counts_c[token] > 0 and counts_r[token] > 0:
                hits += 1
                counts_c[token] -= 1
                counts_r[token] -= 1
    recall, precision = hits / m, hits / n
    return scoring.Score(precision=precision, recall=recall, fmeasure=scoring.fmeasure(precision, recall))
