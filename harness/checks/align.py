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


CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june "
    "july august september october november december".split()
)


def _same_name(a: str, b: str) -> bool:
    """One name in two forms: equal keys, one a prefix of the other ("venezuela", "venezuelan"), a short form
    ("barca", "barcelona": four letters in common first) or a misspelling ("gerogia")."""
    if a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a) or a[:4] == b[:4])):
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= 0.8


def same_names(mine: list[Word], theirs: list[Word]) -> bool:
    """Every name word of `mine` is in `theirs`: the claim names what the sentence names, maybe elsewhere in it."""
    return all(any(_same_name(w.key, t.key) for t in theirs) for w in mine)


NAME_SLOT = "\0name"  # a run of name words, in the skeleton `exchanged_names` aligns
NAME_JOINERS = frozenset("of de del la le von van da".split())  # inside one name: "Sea of Okhotsk"
# Words that make two names' order not matter: "France and Germany", "Maduro met Lopez" say the same both ways.
SYMMETRIC = frozenset(
    "and or nor both between with & , meet met meets meeting marry married marries wed wedded draw drew drawn "
    "tie tied ties face faced faces play played plays against versus vs v talk talked spoke speak negotiate "
    "negotiated merge merged collide collided".split()
)


def _skeleton(words: list[Word]) -> tuple[list[str], list[list[Word]]]:
    """The sentence's keys with each run of name words (capitalised content words) folded to one NAME_SLOT,
    and the runs themselves, in order."""
    keys: list[str] = []
    runs: list[list[Word]] = []

    def is_name(i: int) -> bool:
        return i < len(words) and words[i].is_capitalised and words[i].is_content and words[i].folded not in CALENDAR

    for i, word in enumerate(words):
        joins = word.folded in NAME_JOINERS and keys[-1:] == [NAME_SLOT] and is_name(i + 1)
        if is_name(i) or joins:
            if keys[-1:] == [NAME_SLOT] and (
                joins or runs[-1][-1].folded in NAME_JOINERS or _adjacent(runs[-1][-1], word)
            ):
                runs[-1].append(word)
                continue
            keys.append(NAME_SLOT)
            runs.append([word])
        else:
            keys.append(word.key)
    return keys, runs


def _adjacent(a: Word, b: Word) -> bool:
    return b.start - a.end <= 1


def exchanged_names(alignment: Alignment) -> tuple[str, str] | None:
    """Two names that trade places while every word between them stays ("France beat Germany" for "Germany
    beat France", "over the Pacific in the western Sea of Okhotsk"): a binding error, each name in the
    other's role. A passive rewrite ("B was beaten by A") changes the words between, so it is not one."""
    claim_keys, claim_runs = _skeleton(alignment.claim)
    source_keys, source_runs = _skeleton(alignment.source)
    matcher = SequenceMatcher(None, claim_keys, source_keys, autojunk=False)
    for block in matcher.get_matching_blocks():
        slots = [
            (claim_keys[: block.a + k].count(NAME_SLOT), source_keys[: block.b + k].count(NAME_SLOT))
            for k in range(block.size)
            if claim_keys[block.a + k] == NAME_SLOT
        ]
        for i, (mine_a, theirs_a) in enumerate(slots):
            for mine_b, theirs_b in slots[i + 1 :]:
                a, b = claim_runs[mine_a], claim_runs[mine_b]
                middle = {w.folded for w in alignment.claim if a[-1].end <= w.start and w.end <= b[0].start}
                if not middle or middle & SYMMETRIC:  # "Jones, Smith and Brown": a list in another order
                    continue  # "France and Germany", "Maduro met Lopez": the same said both ways
                if (
                    not same_names(a, source_runs[theirs_a])
                    and same_names(a, source_runs[theirs_b])
                    and same_names(b, source_runs[theirs_a])
                    and same_names(source_runs[theirs_b], a)
                    and same_names(source_runs[theirs_a], b)
                ):
                    return " ".join(w.text for w in a), " ".join(w.text for w in b)
    return None
