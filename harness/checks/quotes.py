"""Quotations: words a claim puts in quotation marks must appear near-verbatim in a source, and be
attributed to the same speaker.

A quote whose words are mostly found in one source sentence but not verbatim is a misquotation
(conflict); a quote with no such sentence was invented (missing). When the claim names a person as the
speaker and the source sentence holding the quote (or a neighbour) names other people but not that one,
the quote is misattributed (conflict).
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


def _matches(quote_words: list[str], source_words: list[list[str]], source_sets: list[set[str]]) -> list[float]:
    """`_best_match` of the quote against every source sentence; a sentence sharing no word scores 0 without
    running the matcher (most sentences, and the matcher is the check's cost)."""
    wanted = set(quote_words)
    return [
        _best_match(quote_words, sentence) if wanted & vocabulary else 0.0
        for sentence, vocabulary in zip(source_words, source_sets)
    ]


def _attribution(claim: str, quote: str, index: int, sources: SourceFacts) -> CheckResult | None:
    """A conflict when the claim's speaker is not the person the source quotes; None when consistent
    or undecidable (no named speaker in the claim, or no named person near the quote in the source)."""
    from harness.checks.names import entities, name_words

    speakers = [e for e, label in entities(QUOTE.sub(" ", claim)) if label == "PERSON"]
    if not speakers:
        return None
    window = " ".join(sources.sentences[max(0, index - 1) : index + 2])
    window_words = f" {' '.join(name_words(window))} "
    if any(f" {name_words(s)[-1]} " in window_words for s in speakers if name_words(s)):
        return None
    others = [e for e, label in entities(window) if label == "PERSON"]
    if not others:
        return None
    short = quote if len(quote) <= 40 else quote[:37] + "..."
    return CheckResult(
        "quote",
        FAIL,
        f'"{short}" attributed to {speakers[0]} vs {others[0]}',
        CONFLICT,
        f"The claim puts these words in the mouth of {speakers[0]}; the source attributes them to "
        f"{', '.join(dict.fromkeys(others))}.",
    )


def check(claim: str, sources: SourceFacts) -> CheckResult:
    quotes = [q for q in quotations(claim) if words(q)]
    if not quotes:
        return CheckResult("quote", NA)
    source_words = sources.cached("sentence_words", lambda: [words(s) for s in sources.sentences])
    source_sets = sources.cached("sentence_word_sets", lambda: [set(w) for w in source_words])
    joined = sources.cached("joined_words", lambda: " " + " ".join(" ".join(w) for w in source_words) + " ")
    for quote in quotes:
        quote_words = words(quote)
        scores = _matches(quote_words, source_words, source_sets)
        best = max(scores, default=0.0)
        if f" {' '.join(quote_words)} " in joined or best >= VERBATIM:
            misattributed = _attribution(claim, quote, scores.index(best), sources)
            if misattributed:
                return misattributed
            continue
        short = quote if len(quote) <= 60 else quote[:57] + "..."
        if best >= PARAPHRASE and len(quote_words) >= 4:
            return CheckResult(
                "quote",
                FAIL,
                f'"{short}" not verbatim in sources (best {best:.0%} of words)',
                CONFLICT,
                f"The quotation \u201c{quote}\u201d is not what the source says: at best {best:.0%} of its "
                "words appear in that order in a source sentence.",
            )
        return CheckResult(
            "quote",
            FAIL,
            f'"{short}" not found in sources',
            MISSING,
            f"The quoted words \u201c{quote}\u201d appear in no source.",
        )
    return CheckResult("quote", PASS)
