"""Meaning checks: one-edit changes that keep almost every word of a true sentence but reverse what it says.

Each reads the alignment of the claim to its best evidence sentence (harness.checks.align) and only speaks
when the two are the same statement (most of the claim's content words are in the sentence):
- antonym: a claim word replaces its WordNet antonym ("unwilling" for "willing", "decreased" for "increased");
- reporting: a denial replaces an affirmation or the reverse ("denied" for "said", "confirmed");
- modality: a certainty replaces a hedge ("will definitely" for "was expected to", "certain" for "unclear");
- substitution: a name replaces another name in the same place (a title or an act moved to someone else);
  two names that trade places are a swap;
- swap: subject and object of the same verb exchanged ("Maduro captured the United States").
Each is decisive, and all count as one feature group ("meaning") of the calibrated judge, as does the
attribution check (harness.checks.attribution). The antonym table is derived from WordNet 3.0 (harness/data/antonyms.json, built by training/build_antonyms.py).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from harness.checks.align import (
    CALENDAR,
    Alignment,
    Word,
    align,
    exchanged_names,
    forget_tokens,
    same_names,
    tokens,
)
from harness.checks.declaration import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts

DENIAL = frozenset(
    "deny denied denies denying reject rejected rejects refute refuted refutes dispute disputed disputes "
    "dismiss dismissed dismisses contradict contradicted".split()
)
AFFIRMATION = frozenset(
    "say said says confirm confirmed confirms announce announced announces admit admitted admits "
    "acknowledge acknowledged acknowledges agree agreed agrees state stated states claim claimed "
    "claims told tell tells add added adds insist insisted insists".split()
)
CERTAINTY = frozenset("will definitely certainly certain surely undoubtedly must guaranteed sure".split())
# "will" is only a certainty against a hedge about the future ("is expected to", "may"), not against "thought to"
FUTURE_HEDGE = frozenset(
    "may might could possibly perhaps expected likely unlikely probably plans planned hoped hopes "
    "considering proposed".split()
)
HEDGE = frozenset(
    "may might could possibly perhaps unclear uncertain expected believed alleged allegedly reportedly "
    "appeared appears apparently likely unlikely thought probably plans planned hoped hopes possible "
    "considering proposed suggested".split()
)
MAX_EDIT_WORDS = 3  # an antonym edit replaces a short span with a short span


# Opposite acts that WordNet does not list as antonyms but news summaries reverse ("approved" -> "rejected").
OPPOSITE_ACTS = [
    ("approve", "reject"),
    ("accept", "reject"),
    ("accept", "decline"),
    ("agree", "refuse"),
    ("support", "oppose"),
    ("welcome", "oppose"),
    ("welcome", "condemn"),
    ("welcome", "criticise"),
    ("welcome", "criticize"),
    ("praise", "condemn"),
    ("praise", "criticise"),
    ("allow", "ban"),
    ("allow", "forbid"),
    ("allow", "prohibit"),
    ("permit", "ban"),
    ("confirm", "deny"),
    ("gain", "lose"),
    ("increase", "cut"),
    ("raise", "cut"),
    ("raise", "lower"),
    ("boost", "cut"),
    ("expand", "cut"),
    ("succeed", "fail"),
    ("pass", "fail"),
    ("release", "detain"),
    ("release", "arrest"),
    ("release", "jail"),
    ("free", "jail"),
    ("hire", "fire"),
    ("acquit", "convict"),
    ("resume", "suspend"),
    ("lift", "impose"),
    ("strengthen", "weaken"),
    ("improve", "worsen"),
    ("grow", "shrink"),
    ("ease", "tighten"),
    ("safe", "dangerous"),
]


@lru_cache(maxsize=1)
def antonym_table() -> dict[str, frozenset[str]]:
    """WordNet's antonyms (harness/data/antonyms.json) and OPPOSITE_ACTS, both ways."""
    data = json.loads(resources.files("harness").joinpath("data/antonyms.json").read_text("utf-8"))
    table = {word: set(opposites) for word, opposites in data["antonyms"].items()}
    for a, b in OPPOSITE_ACTS:
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {word: frozenset(opposites) for word, opposites in table.items()}


def lemmas(word: str) -> set[str]:
    """The word and its likely base forms ("decreased" -> "decrease", "holds" -> "hold")."""
    forms = {word}
    for suffix, replacement in (
        ("ies", "y"),
        ("es", ""),
        ("s", ""),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("ing", ""),
        ("ing", "e"),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.add(word[: len(word) - len(suffix)] + replacement)
    return forms


def _forms(words: list[Word]) -> set[str]:
    return {form for w in words for form in lemmas(w.folded)}


def check_antonym(alignment: Alignment) -> CheckResult:
    """A claim word in the place of its antonym: both in one replaced span of the alignment, so an antonym
    elsewhere in the sentence ("the first time" beside "a mark which will last") is not a reversal."""
    if not alignment.same_statement:
        return CheckResult("antonym", NA)
    table = antonym_table()
    claim = _forms(alignment.claim)
    for claim_part, source_part in alignment.replaced:
        if len(claim_part) > MAX_EDIT_WORDS or len(source_part) > MAX_EDIT_WORDS:
            continue  # a rewritten passage, not a word put in its opposite's place
        for i, word in enumerate(claim_part):
            if not word.is_content:
                continue
            opposites = {a for form in lemmas(word.folded) for a in table.get(form, ())} - claim
            # the word in the same place, counted from either end of the two spans
            for theirs in {
                source_part[min(i, len(source_part) - 1)],
                source_part[max(0, len(source_part) - len(claim_part) + i)],
            }:
                if lemmas(theirs.folded) & opposites:
                    return CheckResult(
                        "antonym",
                        FAIL,
                        f"'{word.text}' vs source '{theirs.text}'",
                        CONFLICT,
                        f"The claim says \u201c{word.text}\u201d where the source says the opposite, "
                        f"\u201c{theirs.text}\u201d.",
                    )
    return CheckResult("antonym", PASS)


def _first(words: list[Word], vocabulary: frozenset[str], absent: set[str]) -> str | None:
    return next((w.text for w in words if w.folded in vocabulary and w.folded not in absent), None)


def check_reporting(alignment: Alignment) -> CheckResult:
    if not alignment.same_statement:
        return CheckResult("reporting", NA)
    claim_words, source_words = {w.folded for w in alignment.claim}, {w.folded for w in alignment.source}
    for mine, theirs, other in ((DENIAL, AFFIRMATION, "affirms"), (AFFIRMATION, DENIAL, "denies")):
        said = _first(alignment.claim, mine, source_words)
        instead = _first(alignment.source, theirs, claim_words)
        if said and instead and not (claim_words & theirs - source_words) and not (source_words & mine):
            return CheckResult(
                "reporting",
                FAIL,
                f"'{said}' vs source '{instead}'",
                CONFLICT,
                f"The claim says \u201c{said}\u201d; the source says \u201c{instead}\u201d: it {other}.",
            )
    return CheckResult("reporting", PASS)


def check_modality(alignment: Alignment) -> CheckResult:
    if not alignment.same_statement:
        return CheckResult("modality", NA)
    claim_words, source_words = {w.folded for w in alignment.claim}, {w.folded for w in alignment.source}
    sure = _first(alignment.claim, CERTAINTY, source_words)
    hedges = FUTURE_HEDGE if sure and sure.lower() == "will" else HEDGE
    hedge = _first([w for w in alignment.source if not w.is_capitalised], hedges, claim_words)  # "May ..." wishes
    if sure and hedge and not (source_words & CERTAINTY):
        return CheckResult(
            "modality",
            FAIL,
            f"'{sure}' vs source '{hedge}'",
            CONFLICT,
            f"The claim is certain (\u201c{sure}\u201d) where the source hedges (\u201c{hedge}\u201d).",
        )
    return CheckResult("modality", PASS)


def _names(words: list[Word], first: Word | None, known: set[str]) -> list[Word]:
    """Capitalised content words that are names: any but the claim's first word, which only counts when the
    sources capitalise it inside a sentence too (so a capitalised sentence start is not a name)."""
    return [w for w in words if w.is_capitalised and w.is_content and (w is not first or w.key in known)]


def _unnamed_start(words: list[Word]) -> Word | None:
    """The sentence's first word when its capital may only mark the start; None when the next word is
    capitalised too ("Roy Hodgson has ...": a name opens the sentence)."""
    if len(words) > 1 and words[1].is_capitalised and words[1].is_content:
        return None
    return words[0] if words else None


def _leading_names(words: list[Word], first: Word | None, known: set[str]) -> list[Word]:
    """The name that opens a replaced source span ("Maria Corina Machado" of "Maria Corina Machado, who has ...")."""
    names = []
    for word in words[:MAX_NAME_WORDS]:
        if not _names([word], first, known) or word.folded in CALENDAR:
            break
        names.append(word)
    return names


def _source_names(sources: SourceFacts) -> set[str]:
    return sources.cached(
        "capitalised_keys",
        lambda: {w.key for s in sources.sentences for i, w in enumerate(tokens(s)) if i and w.is_capitalised},
    )


def check_substitution(alignment: Alignment, sources: SourceFacts) -> CheckResult:
    if alignment.support < SUBSTITUTION_SUPPORT:
        return CheckResult("substitution", NA)
    exchanged = exchanged_names(alignment)
    if exchanged:
        a, b = exchanged
        return CheckResult(
            "substitution",
            FAIL,
            f"{a} and {b} swapped",
            CONFLICT,
            f"The claim swaps {a} and {b}: the source has them the other way round.",
        )
    known = _source_names(sources)
    pairs = []
    for claim_part, source_part in alignment.replaced:
        claim_part = [w for w in claim_part if w.folded not in ARTICLES]  # "An Oregon" for "A Phoenixville"
        source_part = [w for w in source_part if w.folded not in ARTICLES]
        if not claim_part or len(claim_part) > MAX_NAME_WORDS:
            continue  # a rewritten phrase, not one name put in another's place
        mine = _names(claim_part, _unnamed_start(alignment.claim), known)
        theirs = _leading_names(source_part, _unnamed_start(alignment.source), known)
        rest = source_part[len(theirs) :]
        if rest and rest[0].is_content and not rest[0].is_capitalised:
            continue  # "the Tottenham striker", "the French coach": a description the claim names, not a name
        if len(theirs) == 1 and GROUP_WORD.search(theirs[0].folded):
            continue  # "the Frenchman", "the Italians": a person or side the claim names
        if any(w.is_possessive for w in mine + theirs) and not (
            mine and mine[-1].is_possessive and theirs and theirs[-1].is_possessive
        ):
            continue  # "Maduro's critics" for "Venezuela's experts": another relation, not the same role moved
        if (
            len(mine) == len(claim_part)
            and theirs
            and not same_names(mine, theirs)
            and not same_names(mine, alignment.source)
        ):
            pairs.append((" ".join(w.text for w in mine), " ".join(w.text for w in theirs), {w.key for w in mine}))
    if not pairs:
        return CheckResult("substitution", PASS)
    name, instead, keys = pairs[0]
    elsewhere = keys <= known
    return CheckResult(
        "substitution",
        FAIL,
        f"{name} where the source names {instead}",
        CONFLICT if elsewhere else MISSING,
        f"The claim puts {name} where the source names {instead}"
        + (" (the sources name " + name + " elsewhere)." if elsewhere else "."),
    )


def _entity_sides(words: list[Word], verb: int, known: set[str]) -> tuple[set[str], set[str]]:
    """Keys of the names just before and just after position `verb` (up to four words each way)."""

    def names(span: list[Word]) -> set[str]:
        return {w.key for w in span if w.is_capitalised and w.is_content and w.key in known}

    return names(words[max(0, verb - 4) : verb]), names(words[verb + 1 : verb + 5])


ARTICLES = frozenset(("a", "an", "the"))
GROUP_WORD = re.compile(r"(man|men|woman|women|ians?|ans|ese|ish|ch)$")  # demonyms and "-man" words: descriptions
SUBSTITUTION_SUPPORT = 0.75  # the rest of the claim must be in the sentence for one name to stand in another's place
MAX_NAME_WORDS = 4  # a substituted name is at most this many words on either side
PASSIVE = frozenset("was were been being is are be by".split())


def check_swap(alignment: Alignment, sources: SourceFacts) -> CheckResult:
    """Subject and object of the same verb exchanged ("Maduro captured the United States")."""
    if alignment.support < 0.8:
        return CheckResult("swap", NA)
    known = _source_names(sources) | {w.key for w in alignment.source if w.is_capitalised}
    for i, word in enumerate(alignment.claim):
        if word.is_capitalised or not (word.is_content or word.folded in AFFIRMATION | DENIAL):
            continue
        for j, theirs in enumerate(alignment.source):
            if theirs.key != word.key:
                continue
            near = {w.folded for w in alignment.claim[max(0, i - 2) : i + 2]} | {
                w.folded for w in alignment.source[max(0, j - 2) : j + 2]
            }
            if near & PASSIVE:
                continue
            claim_left, claim_right = _entity_sides(alignment.claim, i, known)
            source_left, source_right = _entity_sides(alignment.source, j, known)
            if (
                claim_left
                and claim_right
                and claim_left <= source_right
                and claim_right <= source_left
                and not claim_left & claim_right
            ):
                return CheckResult(
                    "swap",
                    FAIL,
                    f"who '{word.text}' whom is reversed",
                    CONFLICT,
                    f"The claim reverses who {word.text} whom: the source has the roles the other way round.",
                )
    return CheckResult("swap", PASS)


ALIGNED = ("antonym", "reporting", "modality", "substitution", "swap")  # what `check` returns, in order
MEANING = "meaning"  # the calibrated judge's one feature group for these and the attribution check


def check(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    """Every meaning check of one claim against its best evidence sentence (n/a without one)."""
    if not evidence:
        return [CheckResult(name, NA) for name in ALIGNED]
    alignment = align(claim, evidence)
    return [
        check_antonym(alignment),
        check_reporting(alignment),
        check_modality(alignment),
        check_substitution(alignment, sources),
        check_swap(alignment, sources),
    ]


CHECK = Check(
    order=70,
    names=tuple(CheckName(name, decisive=True, feature=MEANING) for name in ALIGNED),
    run=check,
    forget=forget_tokens,
)
