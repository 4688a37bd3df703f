"""Quotations: words a claim puts in quotation marks must appear near-verbatim in a source.

A quote whose words are mostly found in one source sentence but not verbatim is a misquotation
(conflict); a quote with no such sentence was invented (missing).
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from harness.checks import CONFLICT, FAIL, MISSING, NA, PASS, CheckResult, SourceFacts
from harness.text import words

QUOTE = re.compile(r"\"([^\"]{2,}?)\"|“([^”]{2,}?)”|‘([^’]{2,}?)’(?!\w)|(?<!\w)'([^']{2,}?)'(?!\w)")
VERBATIM = 0.85
PARAPHRASE = 0.5


def quotations(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in QUOTE.finditer(text)]


def _best_match(quote: list[str], sentence: list[str]) -> float:
    """Share of the quote's words that appear, in order, in the sentence."""
    if not quote:
        return 0.0
    matcher = SequenceMatcher(None, quote, sentence, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(quote)


def check(claim: str, sources: SourceFacts) -> CheckResult:
    quotes = [q for q in quotations(claim) if words(q)]
    if not quotes:
        return CheckResult("quote", NA)
    source_words = sources.extra.get("sentence_words")
    if source_words is None:
        source_words = sources.extra["sentence_words"] = [words(s) for s in sources.sentences]
    joined = " " + " ".join(" ".join(w) for w in source_words) + " "
    for quote in quotes:
        quote_words = words(quote)
        if f" {' '.join(quote_words)} " in joined:
            continue
        best = max((_best_match(quote_words, s) for s in source_words), default=0.0)
        if best >= VERBATIM:
            continue
        short = quote if len(quote) <= 60 else quote[:57] + "..."
        if best >= PARAPHRASE and len(quote_words) >= 4:
            return CheckResult("quote", FAIL, f"\"{short}\" not verbatim in sources (best {best:.0%} of words)", CONFLICT,
                               f"The quotation \u201c{quote}\u201d is not what the source says: at best {best:.0%} of its "
                               "words appear in that order in a source sentence.")
        return CheckResult("quote", FAIL, f"\"{short}\" not found in sources", MISSING,
                           f"The quoted words \u201c{quote}\u201d appear in no source.")
    return CheckResult("quote", PASS)
