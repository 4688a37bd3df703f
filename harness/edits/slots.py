"""A claim with one slot refilled from its premise: the material of contrastive reading, for binding errors
(the right words in the wrong combination: a number moved to another noun, two people's roles exchanged, a
place named elsewhere in the article).

An NLI model reads a claim and its premise loosely: "Germany beat France" and "France beat Germany" score
alike, and a claim naming a person the premise names elsewhere is often half entailed. Contrast makes the model
choose: the claim is read beside its variants, each with one name, count or date replaced by another of the
same kind that the premise states, or with two of its names exchanged. When the premise entails a variant
clearly better than the claim as written, the premise binds that slot to another value (the FactCC and
QAGS idea: compare the claim's value with the source's, in the source's own words)."""

from __future__ import annotations

import re

from harness.edits.base import core_span, entities, name_of, splice, token_end
from harness.edits.falsify import MONTHS, WEEKDAYS, is_count, swap_roles

MAX_VARIANTS = 6  # per claim: the reading's cost stays a small multiple of one pair
YEAR = re.compile(r"1[89]\d\d|20\d\d")


def value_kind(token) -> str | None:
    """The slot a single word fills: a count, a year, a weekday or a month; None for any other word."""
    if token.text in WEEKDAYS:
        return "weekday"
    if token.text in MONTHS and token.tag_ == "NNP" and token.ent_type_ in ("DATE", ""):
        return "month"
    if YEAR.fullmatch(token.text) and token.ent_type_ in ("DATE", ""):
        return "year"
    return "count" if is_count(token) else None


def refilled(claim, premise) -> list[str]:
    """Variants of the parsed `claim`: each name, count or date it states refilled with every other value of
    the same kind (and, for names, function) that the parsed `premise` states and the claim does not, then the
    claim with two of its names exchanged; at most MAX_VARIANTS, names first, without repeats."""
    text, lowered = claim.text, claim.text.lower()
    variants: list[str] = []
    theirs = [name_of(e) for e in entities(premise)]
    for ent in entities(claim):
        own = name_of(ent)
        for other in theirs:
            if own.matches(other) and not own.overlaps(other) and other.text.lower() not in lowered:
                variants.append(splice(text, *core_span(ent), other.text))
    swapped = swap_roles(claim).text
    if swapped:
        variants.append(swapped)
    values: dict[str, list[str]] = {}
    for token in premise:
        kind = value_kind(token)
        if kind and token.lower_ not in lowered:
            values.setdefault(kind, []).append(token.text)
    for token in claim:
        for value in dict.fromkeys(values.get(value_kind(token) or "", [])):
            variants.append(splice(text, token.idx, token_end(token), value))
    return [v for v in dict.fromkeys(variants) if v != text][:MAX_VARIANTS]
