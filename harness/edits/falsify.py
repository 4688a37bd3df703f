"""Edits that must be caught: each makes a true sentence false while keeping it English (harness.edits)."""

from __future__ import annotations

import random
import re

from harness.checks.align import SYMMETRIC
from harness.edits.language import (
    FUNCTION_WORDS,
    NUMBER_WORDS,
    ORDINALS,
    REPORTING_VERBS,
    Edited,
    Source,
    case_like,
    content_word,
    core_span,
    direct_antonyms,
    entities,
    has_quotation,
    inflect,
    name_of,
    quoted_tokens,
    splice,
    token_end,
    verb_uses,
)

MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
SEASONS = ("spring", "summer", "autumn", "winter")
RELATIVE_DAYS = {"yesterday": "last week", "today": "yesterday", "tomorrow": "next week", "tonight": "last night"}
DATE_UNITS = ("week", "month", "year")  # "last year" -> "last month"; never "last day"
WORDNET_POS = {"ADJ": "a", "VERB": "v", "ADV": "r", "NOUN": "n"}  # also the order antonyms are tried in
NEGATIONS = frozenset({"not", "n't", "never"})
CONTRACTED = {"ca": "can", "wo": "will", "sha": "shall"}  # "can't" is "ca" + "n't" to spaCy
DO_SUPPORT = {"VBD": "did", "VBZ": "does", "VBP": "do"}
QUOTE_TARGETS = ("VERB", "ADJ", "NOUN")  # a misquotation prefers a noun, then an adjective, then a verb


def _main_verb(doc):
    """The verb a negation belongs on: the root, or for "Police said the road would close" the reported clause's."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is not None and root.lemma_.lower() in REPORTING_VERBS:
        reported = next((c for c in root.children if c.dep_ == "ccomp" and c.pos_ in ("VERB", "AUX")), None)
        return reported or root
    return root


def negate(doc) -> Edited:
    """Remove the first negation ("did not rise" -> "did rise", "wasn't" -> "was", "never" -> "always"), or
    negate the main verb: "not" after its first auxiliary or a copula ("was freed" -> "was not freed"),
    else do-support ("freed" -> "did not free")."""
    text = doc.text
    for token in doc:
        if token.dep_ == "neg" and token.lower_ in NEGATIONS:
            if token.lower_ == "never":
                return Edited(splice(text, token.idx, token_end(token), case_like("always", token.text)))
            if token.lower_ == "n't":
                stem = doc[token.i - 1]
                base = CONTRACTED.get(stem.lower_, stem.text)
                return Edited(splice(text, stem.idx, token_end(token), case_like(base, stem.text)))
            return Edited(splice(text, token.idx, token_end(token), ""))
    verb = _main_verb(doc)
    if verb is None:
        return Edited.no_site("no verb")
    auxiliaries = sorted((c for c in verb.children if c.dep_ in ("aux", "auxpass")), key=lambda t: t.i)
    if auxiliaries and auxiliaries[0].lower_ != "to":
        first = auxiliaries[0]
        return Edited(text[: token_end(first)] + " not" + text[token_end(first) :])
    if verb.pos_ == "AUX" and verb.tag_ in ("VBZ", "VBD", "VBP", "MD"):
        return Edited(text[: token_end(verb)] + " not" + text[token_end(verb) :])
    if verb.tag_ in DO_SUPPORT and verb.pos_ == "VERB":
        start = verb.i
        while start > 0 and doc[start - 1].dep_ == "advmod" and doc[start - 1].head.i == verb.i:
            start -= 1  # "quickly walked" -> "did not quickly walk"
        negated = f"{DO_SUPPORT[verb.tag_]} not {doc[start : verb.i].text + ' ' if start < verb.i else ''}"
        negated += verb.lemma_.lower()
        return Edited(splice(text, doc[start].idx, token_end(verb), case_like(negated, doc[start].text)))
    return Edited.skip(f"the main verb '{verb.text}' ({verb.tag_}) is not finite")


def _antonym_site(token) -> bool:
    return (
        token.pos_ in WORDNET_POS
        and token.is_alpha
        and not token.is_stop
        and not token.ent_type_
        and token.lemma_.lower() not in REPORTING_VERBS
        and token.lower_ not in ORDINALS
        and token.lower_ not in NUMBER_WORDS
        and not any(c.dep_ == "prt" for c in token.children)  # "took off" is not "take"
        and not (token.pos_ == "NOUN" and token.tag_ == "NNS")  # "rights" -> "lefts": a plural takes another sense
    )


def _misfit(token, opposite: str) -> str:
    """Why `opposite` cannot stand where `token` stands, or "": a verb must keep the valency of the verb it
    replaces ("left the port" -> "arrived the port" is no English), and WordNet's coinages by prefix
    ("nondriver", "uncross") are not words a summariser writes."""
    if opposite.startswith("non") and not token.lower_.startswith("non"):
        return "a non- coinage"
    if token.pos_ != "VERB":
        return ""
    if opposite.startswith("un") and not token.lower_.startswith("un"):
        return "an un- coinage"
    needs_object = any(c.dep_ in ("dobj", "auxpass", "nsubjpass") for c in token.children)
    use = "transitive" if needs_object else "intransitive"
    return "" if opposite in verb_uses()[use] else f"not {use}"


def antonym(doc) -> Edited:
    """One adjective, verb, adverb or noun (in that order of preference) for a WordNet antonym of the same part
    of speech, inflected like it ("taken" -> "given", "increased" -> "decreased"); never a reporting verb, a
    function word, a number word or a word of a name."""
    table = direct_antonyms()
    sites = sorted((t for t in doc if _antonym_site(t)), key=lambda t: (list(WORDNET_POS).index(t.pos_), t.i))
    tried = []
    for token in sites:
        opposites = table[WORDNET_POS[token.pos_]].get(token.lemma_.lower(), ())
        for opposite in opposites:
            misfit = _misfit(token, opposite)
            if misfit:
                tried.append(f"{opposite}: {misfit}")
                continue
            form = inflect(opposite, token.tag_)
            if form:
                return Edited(splice(doc.text, token.idx, token_end(token), case_like(form, token.text)))
            tried.append(f"{opposite}: no {token.tag_} form")
    if tried:
        return Edited.skip("no inflected antonym: " + ", ".join(tried[:3]))
    return Edited.no_site("no word with a WordNet antonym of its part of speech")


def swap_entity(doc, source: Source, rng: random.Random) -> Edited:
    """One name of the sentence for another the source names, of the same type and function (place for place,
    road for road, demonym for demonym), that the sentence does not already name."""
    mine = [(ent, name_of(ent)) for ent in entities(doc)]
    if not mine:
        return Edited.no_site("no name")
    named = (
        {w.lower() for ent, _ in mine for w in ent.text.split()} - FUNCTION_WORDS - {"the", "of"}
    )  # "Anna Berg" never joins a "Berg"
    options = [
        (ent, other)
        for ent, own in mine
        for other in source.names
        if other.usable
        and own.matches(other)
        and not own.overlaps(other)
        and not named & set(other.text.lower().split())
    ]
    if not options:
        return Edited.skip("no other name of the same type and function in the source")
    ent, other = options[rng.randrange(len(options))]
    start, end = core_span(ent)
    return Edited(splice(doc.text, start, end, other.text))


def swap_roles(doc) -> Edited:
    """Two names of one type and function exchange places ("A beat B" -> "B beat A"); "the" stays where it
    stood, so "over the Sea of Okhotsk in the western Pacific" -> "over the Pacific in the western Sea of Okhotsk"."""
    mine = [(ent, name_of(ent)) for ent in entities(doc)]
    same_type = symmetric = False
    for i, (first, a) in enumerate(mine):
        for second, b in mine[i + 1 :]:
            same_type = same_type or a.label == b.label
            if a.matches(b) and not a.overlaps(b):
                if {t.lower_ for t in doc[first.end : second.start]} & SYMMETRIC:
                    symmetric = True  # "France and Germany", "Maduro met Lopez": true both ways
                    continue
                (s1, e1), (s2, e2) = core_span(first), core_span(second)
                text = doc.text
                return Edited(text[:s1] + text[s2:e2] + text[e1:s2] + text[s1:e1] + text[e2:])
    if symmetric:
        return Edited.skip("the two names are joined symmetrically (A and B, A met B): exchanged, still true")
    if same_type:
        return Edited.skip("two names of one type but not of one function or article (as a road and a hospital)")
    return Edited.no_site("fewer than two names of one type")


_DIGITS = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)$")
COUNTED = ("CARDINAL", "MONEY", "QUANTITY", "PERCENT", "")  # entity types whose numbers are counts


def is_count(token) -> bool:
    """A number that counts something (not a year, not part of a name, not 0 or 1: the noun's number must agree)."""
    if token.tag_ != "CD" or token.ent_type_ not in COUNTED:
        return False
    if token.lower_ in NUMBER_WORDS:
        return True
    return (
        bool(_DIGITS.match(token.text))
        and token.text not in ("0", "1")
        and not re.fullmatch(r"1[89]\d\d|20\d\d", token.text)
    )


def change_number(doc, rng: random.Random) -> Edited:
    """One count changed: a number word for another (never "one": the noun's plural must still agree), a
    small count moved by 1 to 3, a larger one scaled; years and numbers inside names are left alone."""
    sites = [t for t in doc if is_count(t)]
    if not sites:
        return Edited.no_site("no count")
    token = sites[rng.randrange(len(sites))]
    if token.lower_ in NUMBER_WORDS:
        new = case_like(rng.choice([w for w in NUMBER_WORDS if w != token.lower_]), token.text)
    else:
        value = float(token.text.replace(",", ""))
        if value < 10 and "." not in token.text:
            new = str(int(value) + rng.choice([1, 2, 3]))
        else:
            scaled = value * rng.choice([0.5, 0.7, 1.5, 2, 3])
            new = (
                f"{scaled:.1f}"
                if "." in token.text
                else f"{round(scaled):,}"
                if "," in token.text
                else str(round(scaled))
            )
            if new == token.text:
                new = str(int(value) + 7)
    return Edited(splice(doc.text, token.idx, token_end(token), new))


def _date_tokens(doc) -> list:
    return [
        t for t in doc if t.ent_type_ == "DATE" or (t.text in WEEKDAYS + MONTHS and t.tag_ == "NNP" and not t.ent_type_)
    ]


def change_date(doc, rng: random.Random) -> Edited:
    """One date changed in a form news text uses: a weekday ("Tuesday" -> "Friday"), a day of the month
    ("March 29" -> "March 24"), a month, a year or decade ("2008" -> "2010", "1990s" -> "1980s"), a season, a
    relative day ("yesterday" -> "last week") or a unit ("last year" -> "last month", "three weeks" -> "three
    months")."""
    tokens = _date_tokens(doc)
    if not tokens:
        return Edited.no_site("no date")
    for token in tokens:
        new = _changed_date_word(token, rng)
        if new:
            return Edited(splice(doc.text, token.idx, token_end(token), new))
    return Edited.skip("a date these rules cannot change: " + " ".join(t.text for t in tokens)[:60])


def _changed_date_word(token, rng: random.Random) -> str | None:
    word, lowered = token.text, token.lower_
    if token.ent_type_ not in ("DATE", ""):
        return None  # "Theresa May" is no month
    if word in WEEKDAYS:
        return rng.choice([d for d in WEEKDAYS if d != word])
    previous = token.doc[token.i - 1] if token.i else None
    if re.fullmatch(r"\d{1,2}", word) and previous is not None and previous.text in MONTHS and 1 <= int(word) <= 31:
        return str(max(1, min(28, int(word) + rng.choice([-5, -3, -2, 2, 3, 5]))))
    if word in MONTHS:
        return rng.choice([m for m in MONTHS if m != word])
    if re.fullmatch(r"1[89]\d\d|20\d\d", word):
        return str(int(word) + rng.choice([-3, -2, -1, 1, 2, 5]))
    decade = re.fullmatch(r"(1[89]|20)(\d)0s", word)
    if decade:
        return f"{decade.group(1)}{(int(decade.group(2)) + rng.choice([-2, -1, 1])) % 10}0s"
    if lowered in SEASONS:
        return case_like(rng.choice([s for s in SEASONS if s != lowered]), word)
    if lowered in RELATIVE_DAYS:
        return case_like(RELATIVE_DAYS[lowered], word)
    unit = lowered.rstrip("s")
    if unit in DATE_UNITS and lowered in (unit, unit + "s"):
        other = rng.choice([u for u in DATE_UNITS if u != unit])
        return case_like(other + ("s" if lowered.endswith("s") else ""), word)
    return None


def alter_quote(doc, source: Source, rng: random.Random) -> Edited:
    """The longest content word inside a quotation replaced by a source word of the same fine tag (a
    misquotation that still parses: a plural noun for a plural noun, a past tense for a past tense)."""
    if not has_quotation(doc):
        return Edited.no_site("no quotation")
    words = [t for t in quoted_tokens(doc) if content_word(t) and not (t.dep_ == "amod" and t.pos_ == "VERB")]
    if not words:
        return Edited.skip("the quotation has no content word to alter")
    target = max(words, key=lambda t: (QUOTE_TARGETS.index(t.pos_), len(t.text), -t.i))
    present = {t.lemma_.lower() for t in doc}
    choices = [w for w, lemma in source.words_by_tag.get(target.tag_, ()) if lemma not in present]
    if not choices:
        return Edited.skip(f"no source word tagged {target.tag_} to put in the quotation")
    new = case_like(choices[rng.randrange(len(choices))], target.text)
    return Edited(splice(doc.text, target.idx, token_end(target), new))
