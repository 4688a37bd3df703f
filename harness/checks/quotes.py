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

from harness.checks.declaration import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.checks.names import entities, name_words
from harness.text import STOPWORDS, stem, words

QUOTE = re.compile(r"\"([^\"]{2,}?)\"|“([^”]{2,}?)”|‘([^’]{2,}?)’(?!\w)|(?<!\w)'([^']{2,}?)'(?!\w)")
VERBATIM = 0.85
NEAR_VERBATIM = 0.7  # a quotation this close to a source sentence with a word changed is a misquotation
SUBSTITUTED_WORDS = 3  # at most this many words on either side of a change inside a quotation
PARAPHRASE = 0.5


OPEN_QUOTE = re.compile(r"^\s*['‘\"“](?=\w)|(?<=\s)[\"“](?=\w)")  # an opening mark at the start, or a double one
CLOSE_QUOTE = re.compile(r"(?<=[\w.,!?])[\"”](?=[\s,.;:!?]|$)")  # double only: "authorities' shift" is no quote


def quotations(text: str) -> list[str]:
    """The quoted passages of a claim; a quotation left open runs to the claim's end, and one closed with no
    opening (it began in an earlier sentence) from its start: a claim cut from a longer quotation is a quotation."""
    found = [next(g for g in m.groups() if g) for m in QUOTE.finditer(text)]
    if found:
        return found
    opening = OPEN_QUOTE.search(text)
    if opening:
        return [text[opening.end() :].strip()]
    closing = CLOSE_QUOTE.search(text)
    if closing:
        return [text[: closing.start()].strip()]
    return []


def _substituted(quote: list[str], sentence: list[str]) -> tuple[str, str] | None:
    """A content word of the quote standing where the sentence has another (a word changed inside a
    quotation that otherwise matches): (quoted word, source word), or None."""
    matcher = SequenceMatcher(None, quote, sentence, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace" or max(i2 - i1, j2 - j1) > SUBSTITUTED_WORDS:
            continue  # a longer difference is another wording, judged by the share of words found
        theirs = {stem(w) for w in sentence[j1:j2]}
        for word in quote[i1:i2]:
            if word not in STOPWORDS and len(word) > 2 and not word.isdigit() and stem(word) not in theirs:
                return word, " ".join(sentence[j1:j2])
    return None


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
        quote_words = words(re.sub(r"\[[^\]]*\]", " ", quote))  # "[Obama] said" may stand for "he said"
        best, best_index = _best_sentence(quote_words, source_words, source_counts)
        verbatim = f" {' '.join(quote_words)} " in joined
        changed = None if verbatim else _substituted(quote_words, source_words[best_index])
        if changed and best >= NEAR_VERBATIM and len(quote_words) >= 4:
            mine, theirs = changed
            return CheckResult(
                "quote",
                FAIL,
                f'"{mine}" where the source quotes "{theirs}"',
                CONFLICT,
                f"The quotation has \u201c{mine}\u201d where the source's words are \u201c{theirs}\u201d.",
            )
        if verbatim or best >= VERBATIM:
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
