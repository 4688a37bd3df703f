"""Alignment of a claim to its best evidence sentence, word by word.

The meaning checks (harness.checks.meaning) read the difference between a claim and the source sentence it
paraphrases: which claim words have no counterpart in that sentence, which replace a different word of it,
and which are found nowhere in the sources. Words are matched exactly, then by a crude stem, after folding
case and accents; the order-preserving alignment comes from difflib, so "A said B" and "B said A" align as
two replacements, not as the same sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from harness.text import STOPWORDS, fold, stem

TOKEN = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:[’'-][A-Za-zÀ-ÖØ-öø-ÿ]+)*")
SAME_STATEMENT = 0.5  # share of the claim's content words the sentence must hold to be the same statement


@dataclass(frozen=True)
class Word:
    text: str  # as written
    folded: str  # lower-cased, accents stripped, possessive dropped
    key: str  # what alignment compares: the stem of `folded`
    start: int
    end: int

    @property
    def is_content(self) -> bool:
        return self.folded not in STOPWORDS and len(self.folded) > 1

    @property
    def is_possessive(self) -> bool:
        return self.text.endswith(("'s", "’s"))

    @property
    def is_capitalised(self) -> bool:
        return self.text[:1].isupper()


def tokens(text: str) -> list[Word]:
    """The words of a text with their folded and stemmed keys (remembered: source sentences recur)."""
    return list(_tokens(text))


def forget_tokens() -> None:
    _tokens.cache_clear()


@lru_cache(maxsize=100_000)
def _tokens(text: str) -> tuple[Word, ...]:
    out = []
    for match in TOKEN.finditer(text):
        folded = fold(match.group())
        folded = folded[:-2] if folded.endswith(("'s", "’s")) else folded
        out.append(Word(match.group(), folded, stem(folded), match.start(), match.end()))
    return tuple(out)


@dataclass
class Alignment:
    """How a claim maps onto one source sentence."""

    claim: list[Word]
    source: list[Word]
    replaced: list[tuple[list[Word], list[Word]]] = field(default_factory=list)  # claim words -> source words
    added: list[Word] = field(default_factory=list)  # claim words with no counterpart in the sentence
    support: float = 0.0  # share of the claim's content words found in the sentence

    @property
    def same_statement(self) -> bool:
        return self.support >= SAME_STATEMENT

    def source_keys(self) -> set[str]:
        return {w.key for w in self.source}

    def claim_keys(self) -> set[str]:
        return {w.key for w in self.claim}


def align(claim: str, sentence: str) -> Alignment:
    claim_words, source_words = tokens(claim), tokens(sentence)
    result = Alignment(claim_words, source_words)
    matcher = SequenceMatcher(None, [w.key for w in claim_words], [w.key for w in source_words], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace":
            result.replaced.append((claim_words[i1:i2], source_words[j1:j2]))
        elif op == "delete":
            result.added.extend(claim_words[i1:i2])
    content = [w for w in claim_words if w.is_content]
    keys = result.source_keys()
    result.support = sum(w.key in keys for w in content) / len(content) if content else 0.0
    return result
