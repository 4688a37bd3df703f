"""One-edit variants of a true sentence whose effect on its truth is known: the material of `harness probe`
(behavioural tests of a judge) and of the consistency stage of `training/train_nli.py`.

Each edit returns the edited sentence, or None when it cannot be made on that sentence (the caller counts
those; an edit is never faked). Must be caught (the edited sentence is no longer supported by the source):
- negation: "was" -> "was not", "did not rise" -> "did rise", "never" -> "always";
- antonym: one word for its WordNet antonym ("increased" -> "decreased");
- entity: a named entity swapped for another of the same kind that the source names ("Bolivia" -> "Peru");
- roles: two entities of the same kind in the sentence exchange places ("A beat B" -> "B beat A");
- number: a number changed ("12" -> "15"); date: a year, month or weekday changed.
Must stay supported: paraphrase, a clause moved to the front, a parenthetical dropped (see harness.probe).
The entity and role edits take a spaCy Doc so a caller runs NER once per sentence.
"""

from __future__ import annotations

import random
import re
from typing import Iterable

AUXILIARIES = ("is are was were has have had will would can could should may might must does do did").split()
_AUX = re.compile(r"\b(" + "|".join(AUXILIARIES) + r")\b(?!\s+(?:not|n't|never)\b)", re.IGNORECASE)
_NEGATED = re.compile(r"\b(\w+)\s+not\b|\b(\w+)n't\b|\bnever\b", re.IGNORECASE)
_PARTICIPLE = re.compile(r"\s+(been|[a-z]+(?:ed|en|wn|ne|id|ght|ung|ade|ept|ost|ent))\b")
NUMBER_WORDS = "two three four five six seven eight nine ten eleven twelve".split()
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
SWAPPABLE = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT", "LANGUAGE")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def negate(sentence: str) -> str | None:
    """Remove the first negation, or else insert "not" after the first auxiliary verb, or else turn the first
    past-tense verb into "did not <verb>" only when it is a plain regular -ed form."""
    found = _NEGATED.search(sentence)
    if found:
        if found.group(0).lower() == "never":
            return _respace(sentence[: found.start()] + _case("always", found.group(0)) + sentence[found.end() :])
        if found.group(2):  # "wasn't" -> "was", "don't" -> "do", "can't" -> "can"
            stem = {"ca": "can", "wo": "will", "sha": "shall"}.get(found.group(2).lower(), found.group(2))
            return sentence[: found.start()] + _case(stem, found.group(2)) + sentence[found.end() :]
        if found.group(1).lower() in AUXILIARIES:
            return _respace(sentence[: found.start()] + found.group(1) + sentence[found.end() :])
    for aux in _AUX.finditer(sentence):
        if aux.group(1).lower() in ("has", "have", "had") and not _PARTICIPLE.match(sentence[aux.end() :]):
            continue  # "have members" is a main verb: "have not members" is no English
        return sentence[: aux.end()] + " not" + sentence[aux.end() :]
    return None


def _respace(text: str) -> str:
    return re.sub(r"\s{2,}", " ", text)


def _case(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def antonym(sentence: str, table: dict[str, Iterable[str]]) -> str | None:
    """The first word (longest first among ties is not needed: left to right) that has a WordNet antonym,
    skipping stop-like words, replaced by its first antonym in sorted order."""
    for match in re.finditer(r"[A-Za-z]{4,}", sentence):
        word = match.group(0)
        opposites = sorted(table.get(word.lower(), ()))
        opposites = [o for o in opposites if "_" not in o and " " not in o]
        if opposites:
            return sentence[: match.start()] + _case(opposites[0], word) + sentence[match.end() :]
    return None


def _entities(doc, kinds: tuple[str, ...] = SWAPPABLE) -> list:
    return [e for e in doc.ents if e.label_ in kinds and any(c.isalpha() for c in e.text)]


def swap_entity(doc, source_entities: list[tuple[str, str]], rng: random.Random) -> str | None:
    """Replace one entity of `doc` by another of the same kind from `source_entities` ((text, label) pairs of
    the source) that the sentence does not already name, so the swapped-in name is plausible in context."""
    sentence = doc.text
    lowered = sentence.lower()
    options = []
    for ent in _entities(doc):
        others = sorted(
            {
                text
                for text, label in source_entities
                if label == ent.label_ and text.lower() not in lowered and ent.text.lower() not in text.lower()
            }
        )
        options += [(ent, other) for other in others]
    if not options:
        return None
    ent, other = options[rng.randrange(len(options))]
    return sentence[: ent.start_char] + other + sentence[ent.end_char :]


def swap_roles(doc) -> str | None:
    """Exchange the first two distinct entities of one kind in the sentence ("A defeated B" -> "B defeated A")."""
    sentence = doc.text
    by_kind: dict[str, list] = {}
    for ent in _entities(doc):
        by_kind.setdefault(ent.label_, []).append(ent)
    for ents in by_kind.values():
        for first in ents:
            second = next((e for e in ents if e.start > first.start and e.text.lower() != first.text.lower()), None)
            if second is not None:
                swapped = (
                    sentence[: first.start_char]
                    + second.text
                    + sentence[first.end_char : second.start_char]
                    + first.text
                    + sentence[second.end_char :]
                )
                return _case(swapped, sentence) if first.start_char == 0 else swapped
    return None


def change_number(sentence: str, rng: random.Random) -> str | None:
    """Change one number that is not a year: scaled by a factor, or a small count moved by 1 to 3."""
    candidates = [m for m in _NUMBER.finditer(sentence) if not _YEAR.fullmatch(m.group(0))]
    if not candidates:
        word = re.search(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", sentence, re.IGNORECASE)
        if not word:
            return None
        others = [w for w in NUMBER_WORDS if w != word.group(0).lower()]
        return sentence[: word.start()] + _case(rng.choice(others), word.group(0)) + sentence[word.end() :]
    match = candidates[rng.randrange(len(candidates))]
    text = match.group(0)
    value = float(text.replace(",", ""))
    if value < 10 and "." not in text:
        new = str(int(value) + rng.choice([1, 2, 3]))
    else:
        new_value = value * rng.choice([0.5, 0.7, 1.5, 2, 3])
        new = f"{new_value:.1f}" if "." in text else f"{round(new_value):,}" if "," in text else str(round(new_value))
        if new == text:
            new = str(int(value) + 7)
    return sentence[: match.start()] + new + sentence[match.end() :]


def change_date(sentence: str, rng: random.Random) -> str | None:
    """Change a year by 1 to 5, or else a month or weekday name for another."""
    year = _YEAR.search(sentence)
    if year:
        new = str(int(year.group(0)) + rng.choice([-3, -2, -1, 1, 2, 5]))
        return sentence[: year.start()] + new + sentence[year.end() :]
    for names in (MONTHS, WEEKDAYS):
        match = re.search(r"\b(" + "|".join(names) + r")\b", sentence)
        if match:
            others = [n for n in names if n != match.group(0)]
            return sentence[: match.start()] + rng.choice(others) + sentence[match.end() :]
    return None
