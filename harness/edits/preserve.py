"""Edits that must keep the meaning: a judge that rejects them punishes a summariser for rewording
(harness.edits)."""

from __future__ import annotations

import re

from harness.edits.language import (
    ORDINALS,
    REPORTING_VERBS,
    Edited,
    case_like,
    has_quotation,
    inflect,
    quoted_tokens,
    splice,
    token_end,
)

SYNONYMS = {  # (lemma, part of speech) -> a synonym's lemma, inflected like the word it replaces
    ("say", "VERB"): "state",
    ("begin", "VERB"): "start",
    ("start", "VERB"): "begin",
    ("many", "ADJ"): "numerous",
    ("also", "ADV"): "additionally",
    ("people", "NOUN"): "individual",
    ("free", "VERB"): "release",
    ("release", "VERB"): "free",
    ("help", "VERB"): "assist",
    ("tell", "VERB"): "inform",
    ("big", "ADJ"): "large",
    ("large", "ADJ"): "big",
    ("main", "ADJ"): "principal",
    ("quickly", "ADV"): "rapidly",
    ("show", "VERB"): "demonstrate",
    ("buy", "VERB"): "purchase",
    ("try", "VERB"): "attempt",
    ("whole", "ADJ"): "entire",
    ("nearly", "ADV"): "almost",
    ("car", "NOUN"): "vehicle",
    ("injure", "VERB"): "hurt",
    ("reveal", "VERB"): "disclose",
    ("receive", "VERB"): "get",
}
SUBORDINATORS = ("after", "before", "when", "while", "because", "since", "although", "as", "despite", "following")
HEDGES = frozenset(
    "only early nearly likely reportedly allegedly apparently supposedly possibly probably almost partly "
    "barely hardly scarcely largely mostly mainly initially previously formerly".split()
)
NOT_DROPPABLE_ADJECTIVES = frozenset(  # dropping these changes what is claimed ("the former minister")
    "former alleged suspected fake false possible potential probable likely apparent so-called ex mock "
    "counterfeit fictional imaginary virtual only sole same other such own many few several more most much "
    "less least further additional extra certain main total".split()
)
NEGATIVE_CONTEXT = frozenset("not n't never no without few nobody none neither nor".split())


def _hangs_on_main_verb(doc, start: int) -> bool:
    """Whether the clause starting at character `start` modifies the sentence's root: one inside a reported or
    relative clause ("said refugees had crossed since Saturday") would change what it modifies if moved."""
    first = next((t for t in doc if t.idx == start), None)
    if first is None:
        return False
    anchor = first.head if first.dep_ == "mark" else first  # "after it warned": the clause's verb
    return anchor.head.dep_ == "ROOT"


def reorder(doc) -> Edited:
    """Move a leading subordinate clause ("After X, Y.") to the end, or a trailing one to the front (its
    first word lower-cased unless the tagger calls it a name)."""
    body = doc.text.rstrip(" .")
    joined = "|".join(SUBORDINATORS)
    lead = re.match(rf"^((?:{joined})\b[^,]{{3,}}),\s+(.+)$", body, re.IGNORECASE)
    if lead and not _hangs_on_main_verb(doc, 0):
        return Edited.skip("the leading words are not a clause of the main verb")
    if lead:
        clause, main = lead.group(1), lead.group(2)
        return Edited(f"{main[:1].upper()}{main[1:]} {clause[:1].lower()}{clause[1:]}.")  # a subordinator is no name
    trail = re.search(rf",?\s+((?:{joined})\b[^,]{{3,}})$", body, re.IGNORECASE)
    if not trail or trail.start() <= 10:
        return Edited.no_site("no leading or trailing subordinate clause")
    if not _hangs_on_main_verb(doc, trail.start(1)):
        return Edited.skip("the trailing clause modifies an embedded clause: moved, it would modify another verb")
    main, clause = body[: trail.start()], trail.group(1)
    if doc[0].tag_ not in ("NNP", "NNPS") and doc[0].text != "I":
        main = main[:1].lower() + main[1:]
    return Edited(f"{clause[:1].upper()}{clause[1:]}, {main}.")


def synonym(doc) -> Edited:
    """The first word with a synonym in SYNONYMS for its part of speech, inflected like it ("said" -> "stated");
    not the "said" that attributes a quotation ('"...," he stated' is not how news writes)."""
    quoted = has_quotation(doc)
    inside = {t.i for t in quoted_tokens(doc)}  # a quotation's words are the speaker's: never reworded
    for token in doc:
        if token.i in inside:
            continue
        lemma = SYNONYMS.get((token.lemma_.lower(), token.pos_))
        capitalised = token.i > 0 and token.text[:1].isupper()  # "People reported": the magazine, a name
        if (
            lemma
            and not token.ent_type_
            and not capitalised
            and not (quoted and token.lemma_.lower() in REPORTING_VERBS)
        ):
            form = inflect(lemma, token.tag_)
            if form:
                return Edited(splice(doc.text, token.idx, token_end(token), case_like(form, token.text)))
    return Edited.no_site("no word of the synonym list")


def drop_modifier(doc) -> Edited:
    """Drop a parenthetical, or else an -ly adverb of a verb that is no hedge, or else an adjective before a
    noun that does not change what is claimed ("the disputed vote" -> "the vote", never "the former minister");
    not under a negation, where a less specific statement is no longer implied."""
    text = doc.text
    paren = re.search(r"\s*\([^()]{2,80}\)", text)
    if paren:
        return Edited(text[: paren.start()] + text[paren.end() :])
    adverbs = [
        t
        for t in doc
        if t.dep_ == "advmod"
        and t.tag_ == "RB"
        and t.lower_.endswith("ly")
        and t.lower_ not in HEDGES
        and t.head.pos_ in ("VERB", "AUX", "ADJ")
    ]
    adjectives = [
        t
        for t in doc
        if t.dep_ == "amod"
        and t.head.dep_ != "compound"  # "human rights organisation": part of a compound name
        and t.tag_ in ("JJ", "VBN")
        and t.head.pos_ == "NOUN"
        and t.i < t.head.i
        and not t.ent_type_
        and t.is_alpha
        and t.lower_ not in NOT_DROPPABLE_ADJECTIVES | ORDINALS
        and not list(t.children)
        and not (t.i > 0 and doc[t.i - 1].text == "-")
        and not (t.i + 1 < len(doc) and doc[t.i + 1].text in ("-", ","))
    ]
    inside = {t.i for t in quoted_tokens(doc)}
    adverbs, adjectives = [t for t in adverbs if t.i not in inside], [t for t in adjectives if t.i not in inside]
    if not adverbs and not adjectives:
        return Edited.no_site("no parenthetical, adverb or adjective to drop")
    if any(t.lower_ in NEGATIVE_CONTEXT for t in doc):
        return Edited.skip("a negation: dropping a modifier under it can change the meaning")
    token = (adverbs or adjectives)[0]
    return Edited(splice(text, token.idx, token_end(token), ""))
