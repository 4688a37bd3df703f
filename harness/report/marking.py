"""Words marked in the report: which words of a claim its evidence supports, and which a failed check puts in
conflict ("800 and 1,000 vs 800 and 900"), as escaped HTML with <mark> spans. Cached per text, since a
1,600-candidate page marks the same passages again and again."""

from __future__ import annotations

import re
from collections.abc import Set
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from harness.text import STOPWORDS, fold, stem

TOKEN = re.compile(r"[\w’'.,-]+|[^\w]+", re.U)


@lru_cache(maxsize=1 << 16)
def _key(token: str) -> str:
    """Cached: a 1,600-candidate page asks for millions of (mostly repeated) tokens."""
    word = re.sub(r"[^\w]", "", fold(token))
    return stem(word) if word.isalpha() else word


@lru_cache(maxsize=1 << 14)
def _tokens(text: str) -> tuple[tuple[str, str, str], ...]:
    """A text's tokens as (token, key, token escaped for HTML), cached: an evidence passage is marked again
    for each claim it serves."""
    return tuple((token, _key(token), escaped(token)) for token in TOKEN.findall(text))


@lru_cache(maxsize=1 << 14)
def word_keys(text: str) -> frozenset[str]:
    """The keys of a text's words (cached like its tokens)."""
    return frozenset(key for _, key, _ in _tokens(text) if key)


RAW, HTML = 0, 2  # which form of the tokens _runs joins


def _runs(text: str, supporting: Set[str], conflicting: Set[str], form: int = RAW) -> list[list[str]]:
    """Text cut into [mark, text] runs, mark 's' (word shared with the other side), 'c' (conflicting) or ''."""
    runs: list[list[str]] = []
    for token in _tokens(text):
        key = token[1]
        mark = ""
        if key and key in conflicting:
            mark = "c"
        elif key and key in supporting and key not in STOPWORDS and len(key) > 1:
            mark = "s"
        if runs and runs[-1][0] == mark:
            runs[-1].append(token[form])
        else:
            runs.append([mark, token[form]])
    return [[run[0], "".join(run[1:])] for run in runs]


def marked(text: str, supporting: Set[str], conflicting: Set[str]) -> list[dict[str, str]]:
    """Cut text into pieces, each tagged 's' (word shared with the other side), 'c' (conflicting) or ''."""
    return [{"text": piece, "mark": mark} for mark, piece in _runs(text, supporting, conflicting)]


def escaped(text: str) -> str:
    """`markupsafe.escape` for a plain str, as a str: the same five replacements, without a Markup object
    for each of the half a million pieces of a 1,000-candidate page. Escaping token by token gives the
    escaped whole, since each replacement is of one character."""
    return (
        text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    )


def marked_html(text: str, supporting: Set[str], conflicting: Set[str]) -> Markup:
    """The marked pieces as the page shows them, each escaped and a marked one in <mark class="s|c">. Built
    here rather than in a template loop: there are about 70 pieces per claim, half a million in a
    1,000-candidate page, and the loop cost a second and a half."""
    keys = word_keys(text)
    return _marked_html(text, keys.intersection(supporting), keys.intersection(conflicting))


@lru_cache(maxsize=1 << 14)
def _marked_html(text: str, supporting: frozenset[str], conflicting: frozenset[str]) -> Markup:
    """Cached by the words of `text` that are marked: a passage serves many claims, often with the same words."""
    return Markup(
        "".join(
            f'<mark class="{mark}">{piece}</mark>' if mark else piece
            for mark, piece in _runs(text, supporting, conflicting, HTML)
        )
    )


def conflict_keys(claim: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Words a failed check puts in conflict: (claim side, source side) of 'X vs Y' reasons."""
    claim_side, source_side = set(), set()
    for check in claim["checks"]:
        if check["status"] != "fail" or " vs " not in check["reason"]:
            continue
        left, right = check["reason"].split(" vs ", 1)
        left_keys, right_keys = word_keys(left), word_keys(right)
        claim_side |= left_keys - right_keys
        source_side |= right_keys - left_keys
    return claim_side - {"and", "to", "source", "sources"}, source_side - {"and", "to", "source", "sources"}
