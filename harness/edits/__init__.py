"""One-edit variants of a true sentence whose effect on its truth is known: the material of `harness probe`
(behavioural tests of a judge), of the consistency stage of `training/train_nli.py` and of the nli judge's
combiner fit (`benchmarks/fit_nli_judge.py`). One module, so all three improve together.

A variant must read as English a summariser could write, or a "caught" may only mean "the judge noticed
broken English". So every edit reads the sentence's parse (spaCy's tagger, parser and NER: `parse`) and
keeps the grammar: a substitute has the part of speech and inflection of the word it replaces (lemminflect
inflects WordNet's lemmas), names are exchanged only for names of the same entity type and function (a road
for a road, a demonym for a demonym, "the" going with the name that had it), and "a"/"an" agrees with the
word that follows. An edit that cannot be made fluently returns `Edited.skip(reason)`; a sentence with
nothing to edit of that kind returns `Edited.no_site(reason)`; neither is ever faked.

Must be caught (the edited sentence is no longer supported by the source): negation, antonym, entity, roles,
number, date, quote. Must stay supported: synonym, reorder, drop_modifier (see harness.registry.KINDS).
"""

from __future__ import annotations

import random
from typing import Callable

from harness.edits.falsify import alter_quote, antonym, change_date, change_number, negate, swap_entity, swap_roles
from harness.edits.language import Edited, Name, Source, article_for, inflect, parse, splice
from harness.edits.preserve import drop_modifier, reorder, synonym

__all__ = ["EDITS", "Edited", "Name", "Source", "article_for", "edit", "inflect", "parse", "splice"]

EDITS: dict[str, Callable[[object, Source, random.Random], Edited]] = {
    "reorder": lambda doc, source, rng: reorder(doc),
    "synonym": lambda doc, source, rng: synonym(doc),
    "drop_modifier": lambda doc, source, rng: drop_modifier(doc),
    "negation": lambda doc, source, rng: negate(doc),
    "antonym": lambda doc, source, rng: antonym(doc),
    "entity": swap_entity,
    "roles": lambda doc, source, rng: swap_roles(doc),
    "number": lambda doc, source, rng: change_number(doc, rng),
    "date": lambda doc, source, rng: change_date(doc, rng),
    "quote": alter_quote,
}


def edit(kind: str, doc, source: Source, rng: random.Random) -> Edited:
    """The `kind` edit (a key of EDITS) of the parsed sentence `doc`; a variant equal to the sentence is a skip."""
    outcome = EDITS[kind](doc, source, rng)
    if outcome.text is not None and outcome.text == doc.text:
        return Edited.skip("the edit left the sentence unchanged")
    return outcome
