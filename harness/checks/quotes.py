"""Quotations: words a claim puts in quotation marks must appear near-verbatim in a source, and be
attributed to the same speaker.

A quote whose words are mostly found in one source sentence but not verbatim is a misquotation
(conflict); a quote with no such sentence was invented (missing). When the claim names a person as the
speaker and the source sentence holding the quote (or a neighbour) names other people but not that one,
the quote is misattributed (conflict).
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from harness.checks.base import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.checks.names import entities, name_words
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


def _best_sentence(
    quote_words: list[str], source_words: list[list[str]], source_counts: list[Counter]
) -> tuple[float, int]:
    """The highest `_best_match` of the quote over the source sentences and the first sentence reaching it
    (0.0, 0 when none shares a word). The matcher is the check's cost, so it runs only on sentences whose
    shared words could still beat the best so far: `_best_match` never exceeds the share of the quote's words
    (with repeats) that the sentence holds. Visiting the likeliest first, the answer is the full scan's."""
    if not quote_words:
        return 0.0, 0
    wanted = Counter(quote_words)
    bounds = [
        (sum(min(n, counts[w]) for w, n in wanted.items()) / len(quote_words), i)
        for i, counts in enumerate(source_counts)
    ]
    best, best_index = 0.0, 0
    for bound, i in sorted(bounds, key=lambda item: (-item[0], item[1])):
        if bound == 0 or bound < best:
            break
        if bound == best and i > best_index:
            continue
        score = _best_match(quote_words, source_words[i])
        if score > best or (score == best and i < best_index):
            best, best_index = score, i
    return best, best_index


def _attribution(claim: str, quote: str, index: int, sources: SourceFacts) -> CheckResult | None:
    """A conflict when the claim's speaker is not the person the source quotes; None when consistent
    or undecidable (no named speaker in the claim, or no named person near the quote in the source)."""
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
    source_counts = sources.cached("sentence_word_counts", lambda: [Counter(w) for w in source_words])
    joined = sources.cached("joined_words", lambda: " " + " ".join(" ".join(w) for w in source_words) + " ")
    for quote in quotes:
        quote_words = words(quote)
        best, best_index = _best_sentence(quote_words, source_words, source_counts)
        if f" {' '.join(quote_words)} " in joined or best >= VERBATIM:
            misattributed = _attribution(claim, quote, best_index, sources)
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


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check(claim, sources)]


CHECK = Check(order=30, names=(CheckName("quote", decisive=True),), run=run)
