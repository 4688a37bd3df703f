"""What every edit shares: its outcome (`Edited`), the names and words it borrows from the source (`Name`,
`Source`), the full spaCy parse it reads, WordNet's tables, and the grammar that keeps a variant English
(`splice` with "a"/"an" agreement, `inflect`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

from harness.checks.names import MODEL, _import_spacy

REPORTING_VERBS = frozenset(
    "say tell report announce claim state add explain confirm insist believe think note warn write reveal "
    "admit suggest describe deny accuse allege ask reply answer argue agree".split()
)
NUMBER_WORDS = "two three four five six seven eight nine ten eleven twelve".split()
ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth last next final".split())
SWAPPABLE = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT", "LANGUAGE")
# The word that says what a multi-word name is ("the Brisbane Valley Highway" is a road): names are exchanged
# only with names of the same function, so a road is never swapped for a hospital.
FUNCTION_WORDS = frozenset(
    "highway road street avenue lane motorway freeway expressway bridge tunnel airport station port harbour "
    "hospital clinic school university college academy church cathedral mosque temple stadium arena park "
    "square river sea ocean lake bay gulf strait island islands mountain mountains valley county state "
    "province city district court council police department ministry party company corporation bank club "
    "museum hotel prison jail centre center institute agency commission committee office army navy force".split()
)
PLACES = {"GPE": "place", "LOC": "place"}
DEMONYM_ENDINGS = ("an", "ans", "ese", "ish", "i", "is", "ch", "ic", "ics", "ean", "eans", "er", "ers")
BASE_TAGS = frozenset({"VB", "VBP", "NN", "NNP", "JJ", "RB"})  # tags whose form is the lemma itself
QUOTE_OPEN, QUOTE_CLOSE = "``", "''"  # spaCy's tags of opening and closing quotation marks


@dataclass(frozen=True)
class Edited:
    """An edit's outcome: the variant, or why there is none. `has_site` is False when the sentence offers
    nothing to edit of that kind (no date, no quotation); a skip with a site means the rules could not make
    the variant fluent, and `harness probe` counts those with their reason."""

    text: str | None = None
    reason: str = ""
    has_site: bool = True

    @classmethod
    def skip(cls, reason: str) -> Edited:
        return cls(None, reason, True)

    @classmethod
    def no_site(cls, reason: str) -> Edited:
        return cls(None, reason, False)


@dataclass(frozen=True)
class Name:
    """A named entity as edits exchange it: its words without a leading "the", and what must match."""

    text: str
    label: str  # spaCy's entity type
    tag: str  # the fine tag of its head word: NNP, NNPS, JJ (a demonym used as an adjective)
    function: str  # its function word ("highway"), "demonym" for a NORP that looks like one, or ""
    article: bool  # whether "the" goes with it

    def matches(self, other: Name) -> bool:
        """Whether `other` can stand where this name stands: same function and article, same head tag, and
        the same entity type unless a function word says what both are (spaCy calls one highway ORG, the next
        FAC); GPE and LOC are both places."""
        if (self.tag, self.function, self.article) != (other.tag, other.function, other.article):
            return False
        return self.function in FUNCTION_WORDS or PLACES.get(self.label, self.label) == PLACES.get(
            other.label, other.label
        )

    def overlaps(self, other: Name) -> bool:
        """One name inside the other, spacing and punctuation aside ("IAAF / BTC" is "IAAF/BTC")."""
        a, b = (re.sub(r"\W+", "", n.text.lower()) for n in (self, other))
        return a in b or b in a

    @property
    def usable(self) -> bool:
        """A name to put in another's place: none with a possessive inside ("Mother's London" is two names)."""
        return not re.search(r"['’]s?\b", self.text)


@dataclass(frozen=True)
class Source:
    """What edits borrow from the source articles: their names (entity swaps) and their content words by
    fine tag, with lemmas (misquotations use a word of the same tag)."""

    names: tuple[Name, ...]
    words_by_tag: Mapping[str, tuple[tuple[str, str], ...]]

    @classmethod
    def of(cls, docs: Iterable) -> Source:
        names: dict[Name, None] = {}
        words: dict[str, set[tuple[str, str]]] = {}
        for doc in docs:
            for ent in entities(doc):
                names[name_of(ent)] = None
            for token in doc:
                if content_word(token):
                    words.setdefault(token.tag_, set()).add((token.lower_, token.lemma_.lower()))
        return cls(tuple(names), {tag: tuple(sorted(found)) for tag, found in sorted(words.items())})


@lru_cache(maxsize=1)
def parse():
    """en_core_web_sm with tagger, parser, lemmatizer and NER: the edits need parts of speech and dependencies,
    which the harness's NER-only pipeline (harness.checks.names.nlp) leaves out."""
    return _import_spacy().load(MODEL)


@lru_cache(maxsize=1)
def _wordnet() -> dict:
    return json.loads(resources.files("harness").joinpath("data/antonyms.json").read_text("utf-8"))


def direct_antonyms() -> dict[str, dict[str, list[str]]]:
    """WordNet's own antonym pairs by part of speech (a, v, n, r), from harness/data/antonyms.json."""
    return _wordnet()["direct"]


def verb_uses() -> dict[str, frozenset[str]]:
    """Verbs of those pairs that take a direct object ("transitive") or stand without one ("intransitive")."""
    return {use: frozenset(words) for use, words in _wordnet()["verb_uses"].items()}


def article_for(word: str) -> str:
    """ "a" or "an" before `word`, by its sound as far as spelling tells ("an hour", "a union", "an FBI agent")."""
    if len(word) > 1 and word.isupper():
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    lowered = word.lower()
    if re.match(r"(8|11\b|18\b|11,|18,|hour|honest|honou?r|heir)", lowered):
        return "an"
    if re.match(r"(uni|use|usu|uti|eu|one\b|once|u\.)", lowered):
        return "a"
    return "an" if lowered[:1] in tuple("aeiou") else "a"


def _agree(before: str, following: str) -> str:
    """`before` with a final "a"/"an" made to agree with the first word of `following`."""
    found = re.search(r"\b(an?|An?)(\s+)$", before)
    word = re.match(r"\W*(\w[\w.]*)", following)
    if not found or not word:
        return before
    article = article_for(word.group(1))
    article = article.capitalize() if found.group(1)[0].isupper() else article
    return before[: found.start(1)] + article + found.group(2)


def splice(text: str, start: int, end: int, new: str) -> str:
    """`text` with [start, end) replaced by `new`: sentence-initial capitals kept, an article left to agree,
    and no doubled or dangling space when `new` is empty."""
    before, after = text[:start], text[end:]
    if not new:
        before, after = before.rstrip(" "), after.lstrip(" ")
        if before and after and (after[0].isalnum() or after[0] in "(“$£€"):
            before += " "
    if start == 0 and new:
        new = new[:1].upper() + new[1:]
    elif start == 0 and after:
        after = after[:1].upper() + after[1:]
    return _agree(before, new + after) + new + after


def case_like(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def token_end(token) -> int:
    return token.idx + len(token.text)


def inflect(lemma: str, tag: str) -> str | None:
    """`lemma` in the form `tag` asks for ("give", "VBN" -> "given"); None when lemminflect knows no such form."""
    if tag in BASE_TAGS:
        return lemma
    from lemminflect import getInflection

    forms = getInflection(lemma, tag=tag)
    return forms[0] if forms else None


def entities(doc) -> list:
    """The names edits may exchange: no span with a number in it ("Molde 3-1" is a name and a score)."""
    return [
        e
        for e in doc.ents
        if e.label_ in SWAPPABLE and any(c.isalpha() for c in e.text) and not any(t.like_num for t in e)
    ]


def looks_like_demonym(text: str) -> bool:
    return text.lower().endswith(DEMONYM_ENDINGS)


def _core_tokens(ent) -> list:
    """An entity's tokens without a leading "the" and a trailing possessive ("Mitchell's" -> Mitchell): the
    article and the "'s" stay where they stand when a name is exchanged."""
    tokens = list(ent)
    if tokens[0].lower_ == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    if len(tokens) > 1 and tokens[-1].tag_ == "POS":
        tokens = tokens[:-1]
    return tokens


def name_of(ent) -> Name:
    """The `Name` of a spaCy entity span: "the Sea of Okhotsk" -> Sea of Okhotsk, with "the"."""
    article = list(ent)[0].lower_ == "the" and len(ent) > 1
    tokens = _core_tokens(ent)
    if not article:
        article = any(c.lower_ == "the" and c.dep_ == "det" for c in ent.root.children)
    text = ent.doc.text[tokens[0].idx : token_end(tokens[-1])]
    last = tokens[-1].lower_
    function = last if len(tokens) > 1 and last in FUNCTION_WORDS else ""
    if ent.label_ == "NORP":
        function = "demonym" if looks_like_demonym(text) else "group"
    return Name(text, ent.label_, ent.root.tag_, function, article)


def core_span(ent) -> tuple[int, int]:
    """Character span of an entity's name without its leading "the" or trailing possessive."""
    tokens = _core_tokens(ent)
    return tokens[0].idx, token_end(tokens[-1])


def content_word(token) -> bool:
    return (
        token.pos_ in ("NOUN", "ADJ", "VERB")
        and token.is_alpha
        and not token.is_stop
        and not token.ent_type_
        and len(token.text) >= 4
    )


def quoted_tokens(doc) -> list:
    """The tokens inside quotation marks; a quotation left open runs to the sentence's end, and one closed
    with no opening (it began in an earlier sentence) from the sentence's start."""
    inside = []
    closers = [t.i for t in doc if t.tag_ == QUOTE_CLOSE]
    openers = [t.i for t in doc if t.tag_ == QUOTE_OPEN]
    open_ = bool(closers) and (not openers or closers[0] < openers[0])
    for token in doc:
        if token.tag_ == QUOTE_OPEN:
            open_ = True
        elif token.tag_ == QUOTE_CLOSE:
            open_ = False
        elif open_:
            inside.append(token)
    return inside


def has_quotation(doc) -> bool:
    """Whether the sentence holds a quotation mark (an opening or a closing one)."""
    return any(t.tag_ in (QUOTE_OPEN, QUOTE_CLOSE) for t in doc)
