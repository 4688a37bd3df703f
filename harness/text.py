"""Small text utilities shared along the data path: sentence splitting with offsets, tokens, folding.

Sentences are split with pysbd (rule-based, offline); rouge-score's and nltk's splitters need downloads.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pysbd

WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:[’'][A-Za-z]+)?")
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)  # a web address: its digits are no quantity or date
STOPWORDS = frozenset(
    """
a an the and or but if of to in on at by for with from as into onto than then that this these those
is are was were be been being has have had do does did will would can could should may might must
it its it's he she they them their his her we our you your i me my not no nor so such there here
which who whom whose what when where why how also only just about over after before since while
said says say according up out all any some more most other another each both few many much
""".split()
)


PTB_BRACKETS = {"-lrb-": "(", "-rrb-": ")", "-lsb-": "[", "-rsb-": "]", "-lcb-": "{", "-rcb-": "}"}
CLITIC = re.compile(r"(\w) (n't|'(?:s|re|ve|ll|d|m))\b", re.I)
SPACE_BEFORE_CLOSER = re.compile(r" +([,.;:!?%)\]}])")
SPACE_AFTER_OPENER = re.compile(r"([(\[{$£€]) +")
QUOTE_TOKENS = {"``": '"', "''": '"', '"': '"', "`": "'", "'": "'"}


def detokenize(text: str) -> str:
    """Undo Penn-Treebank-style tokenisation (`sterling 's`, `2013 ,`, ``` `` a '' ```, `-lrb-`), which many
    summarisers and datasets emit, so that checks read what the writer meant. A no-op on ordinary text;
    used for matching only, while claims keep their exact text and offsets."""
    tokens = text.split(" ")
    out: list[str] = []
    attach_next = False
    open_quote = False
    for token in tokens:
        token = PTB_BRACKETS.get(token.lower(), token)
        if token in QUOTE_TOKENS and (token != "'" or out):
            mark = QUOTE_TOKENS[token]
            opening = token in ("``", "`") or (token not in ("''",) and not open_quote)
            if opening:
                open_quote, attach_next = True, True
                out.append(mark)
            else:
                open_quote = False
                if out:
                    out[-1] += mark
                else:
                    out.append(mark)
            continue
        if attach_next and out:
            out[-1] += token
            attach_next = False
        else:
            out.append(token)
    joined = " ".join(out)
    joined = CLITIC.sub(r"\1\2", joined)
    joined = SPACE_BEFORE_CLOSER.sub(r"\1", joined)
    return SPACE_AFTER_OPENER.sub(r"\1", joined)


TEXT_MEMORY = 200_000  # distinct texts whose folding and tokens are remembered: source sentences recur per claim


@lru_cache(maxsize=TEXT_MEMORY)
def fold(text: str) -> str:
    """Lower-case, strip accents and unify quotes so 'Rocío' matches 'Rocio' and ’ matches '."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').lower()


def words(text: str) -> list[str]:
    return list(_words(text))


@lru_cache(maxsize=TEXT_MEMORY)
def _words(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(fold(text)))


@lru_cache(maxsize=TEXT_MEMORY)
def stem(word: str) -> str:
    """A crude suffix stripper: enough to match 'prisoners'/'prisoner', 'released'/'release'."""
    for suffix in ("ings", "ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def content_tokens(text: str) -> set[str]:
    return set(_content_tokens(text))


@lru_cache(maxsize=TEXT_MEMORY)
def _content_tokens(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _words(text) if w not in STOPWORDS and len(w) > 1)


def lexical_support(claim: str, passage: str) -> float:
    """Share of the claim's content words found in the passage (recall of the claim)."""
    claim_tokens = _content_tokens(claim)
    if not claim_tokens:
        return 0.0
    return len(claim_tokens & _content_tokens(passage)) / len(claim_tokens)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


SEGMENT_WINDOW = 5000  # characters pysbd reads at once: its cost grows with the square of its input


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, trimmed of surrounding whitespace.

    Text longer than SEGMENT_WINDOW is read in windows, so the work grows linearly with the length: every
    sentence of a window but the last (which may be cut off) is kept, and the next window starts at that
    last sentence. A window with no sentence break is cut at its last space (or hard, if it has none)."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    while cursor < len(text):
        window = text[cursor : cursor + SEGMENT_WINDOW]
        found = _window_spans(window)
        if cursor + len(window) >= len(text):
            spans.extend((cursor + s, cursor + e) for s, e in found)
            break
        if len(found) > 1:
            spans.extend((cursor + s, cursor + e) for s, e in found[:-1])
            cursor += found[-1][0]
            continue
        cut = window.rfind(" ", SEGMENT_WINDOW // 2) + 1 or len(window)
        piece = window[:cut].strip()
        if piece:
            start = cursor + window.index(piece)
            spans.append((start, start + len(piece)))
        cursor += cut
    return spans


CJK_SENTENCE_END = re.compile(r"[。！？]+[」』”）]*\s*")


def _cjk_split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """pysbd's English rules do not end sentences at 。！？: split there too."""
    pieces, cursor = [], start
    for match in CJK_SENTENCE_END.finditer(text, start, end):
        piece_end = match.end() - (len(match.group()) - len(match.group().rstrip()))
        if piece_end > cursor:
            pieces.append((cursor, piece_end))
        cursor = match.end()
    if cursor < end and text[cursor:end].strip():
        pieces.append((cursor, end))
    return pieces


SPLIT_MEMORY = 5_000  # windows: the same references and candidates are split for claims, evidence and ROUGE
_SPLIT: dict[str, tuple[tuple[int, int], ...]] = {}


def forget_splits() -> None:
    """Empty this process's memory of segmented and tokenised text (benchmarks time cold runs in one process)."""
    _SPLIT.clear()
    for memo in (fold, _words, stem, _content_tokens):
        memo.cache_clear()


def _window_spans(text: str) -> list[tuple[int, int]]:
    """pysbd's sentences of `text` as (start, end) offsets into it, CJK sentence ends included; each
    distinct window is segmented once per process (pysbd is the slowest step of splitting)."""
    if text not in _SPLIT:
        if len(_SPLIT) >= SPLIT_MEMORY:
            _SPLIT.clear()
        _SPLIT[text] = tuple(piece for s, e in _pysbd_spans(text) for piece in _cjk_split(text, s, e))
    return list(_SPLIT[text])


def _segment(text: str) -> list[str]:
    """pysbd's `Segmenter.segment(text)` (clean=False), with its last step done by `str.find`: pysbd finds each
    sentence back in the text with a regular expression built from the sentence, compiling one per sentence
    (a third of splitting's time). Same sentences, same rules: the first non-overlapping occurrence, with its
    trailing whitespace, that ends after the previous sentence (tests/test_text_split.py compares the two)."""
    if not text:
        return []
    found, prior_end = [], 0
    for sentence in _segmenter().processor(text).process():
        position = 0
        while (start := text.find(sentence, position)) >= 0:
            end = start + len(sentence)
            while end < len(text) and text[end].isspace():
                end += 1
            if end > prior_end:
                found.append(text[start:end])
                prior_end = end
                break
            position = end if end > start else start + 1
    return found


def _pysbd_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    cursor = 0
    for sentence in _segment(text):
        piece = sentence.strip()
        if not piece:
            continue
        start = text.find(piece, cursor)
        if start < 0:  # pysbd altered the text; fall back to the remainder as one sentence
            rest = text[cursor:].strip()
            if rest:
                start = text.find(rest, cursor)
                spans.append((start, start + len(rest)))
            break
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]
