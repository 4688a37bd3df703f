"""Source text -> overlapping chunks that fit a cross-encoder's input, so no evidence is ever truncated.

A chunk is a run of consecutive sentences whose word pieces fit a budget; consecutive chunks share
`overlap` sentences, so a fact stated across a sentence boundary is read whole by at least one chunk. A
single sentence longer than the budget is cut into overlapping word windows before grouping. Training
(`training/make_pairs.py`) and serving (`harness.runtime.cross_encoders`) use the same function, so the model is
trained on the premises it will see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Chunk:
    """Sentences `first..last` (inclusive) of a source, joined with spaces."""

    text: str
    first: int
    last: int


def _split_long(sentence: str, count: Callable[[str], int], budget: int) -> list[str]:
    """Word windows of at most `budget` pieces with a quarter of overlap: a long sentence read in parts."""
    words = sentence.split()
    pieces, start = [], 0
    while start < len(words):
        end = start + 1
        while end < len(words) and count(" ".join(words[start : end + 1])) <= budget:
            end += 1
        pieces.append(" ".join(words[start:end]))
        if end >= len(words):
            break
        start = max(start + 1, end - max(1, (end - start) // 4))
    return pieces


def chunk_sentences(
    sentences: list[str], count: Callable[[str], int], budget: int = 192, overlap: int = 1
) -> list[Chunk]:
    """Greedy windows of consecutive sentences within `budget` word pieces, `overlap` units shared.
    `first`/`last` are sentence indices; a long sentence's parts give chunks with first == last."""
    units: list[tuple[str, int]] = []
    for i, sentence in enumerate(sentences):
        parts = _split_long(sentence, count, budget) if count(sentence) > budget else [sentence]
        units.extend((part, i) for part in parts)
    sizes = [count(u) for u, _ in units]
    chunks: list[Chunk] = []
    start = 0
    while start < len(units):
        end, used = start, sizes[start]
        while end + 1 < len(units) and used + sizes[end + 1] <= budget:
            end += 1
            used += sizes[end]
        chunks.append(Chunk(" ".join(u for u, _ in units[start : end + 1]), units[start][1], units[end][1]))
        if end + 1 >= len(units):
            break
        start = max(start + 1, end + 1 - overlap)
    return chunks
