"""harness.edits: every edit kind keeps the sentence English. The bad variants a new user found in `harness
probe` (issue 38) are no longer made, a fluent one is where one exists, and on thirty fixed news sentences
each kind's variants pass rules a reader would apply (same parse root, the edited word's tag kept, no doubled
determiner, "a"/"an" agreeing) at least 95% of the time."""

from __future__ import annotations

import difflib
import random
import re
from pathlib import Path

import pytest

from harness import edits
from harness.edits import Edited, Source, article_for, edit, parse

SENTENCES = [
    line
    for line in (Path(__file__).parent / "data/news_sentences.txt").read_text("utf-8").splitlines()
    if line and not line.startswith("#")
]
SUBSTITUTIONS = ("antonym", "entity", "roles", "number", "date", "quote", "synonym")


@pytest.fixture(scope="module")
def source() -> Source:
    return Source.of(parse().pipe(SENTENCES))


def made(kind: str, sentence: str, source: Source, seed: int = 0) -> Edited:
    return edit(kind, parse()(sentence), source, random.Random(seed))


# -- the bad examples ----------------------------------------------------------------------------------


def test_antonyms_keep_part_of_speech_and_spare_reporting_and_number_words(source):
    assert made("antonym", "Police said the highway would be closed.", source).text == (
        "Police said the highway would be opened."  # "said" is a reporting verb: never "other"
    )
    three = made("antonym", "The three car pileup closed the road.", source)
    assert "ordinal" not in (three.text or "") and "three" in (three.text or "three")
    taken = made("antonym", "They've been taken to the Princess Alexandra Hospital.", source)
    assert taken.text == "They've been given to the Princess Alexandra Hospital."  # verb for verb, as VBN
    assert "an profound" not in (made("antonym", "It was an apparent accident.", source).text or "")


def test_articles_agree_with_the_word_that_follows():
    assert edits.splice("It was an apparent accident.", 10, 18, "real") == "It was a real accident."
    assert edits.splice("It was a big accident.", 9, 12, "old") == "It was an old accident."
    assert edits.splice("An old man walked.", 3, 7, "") == "A man walked."
    assert [article_for(w) for w in ("hour", "union", "FBI", "NHS", "eagle", "8", "one-off")] == [
        "an",
        "a",
        "an",
        "an",
        "an",
        "an",
        "a",
    ]


def test_role_swaps_exchange_names_of_one_function_and_leave_the_articles(source):
    sea = made("roles", "The plane crashed over the Sea of Okhotsk in the western Pacific.", source)
    assert sea.text == "The plane crashed over the Pacific in the western Sea of Okhotsk."
    road = made("roles", "The crash on the Brisbane Valley Highway sent them to the Ipswich Hospital.", source)
    assert road.text is None and "function" in road.reason  # a road is not swapped for a hospital
    assert made("roles", "Germany beat France in the final.", source).text == "France beat Germany in the final."


def test_entity_swaps_keep_type_and_function(source):
    demonym = made("entity", "The Polish plane crashed on Sunday.", source)
    assert demonym.text is not None and "Poland" not in demonym.text
    swapped = re.search(r"The (\w+) plane", demonym.text).group(1)
    assert swapped in ("Spanish", "American", "Australian", "Canadian")  # a demonym for a demonym
    road = made("entity", "Traffic was diverted off the Brisbane Valley Highway.", source)
    assert road.text == "Traffic was diverted off the Bruce Highway."  # the only other road the source names


def test_dates_in_the_forms_news_uses(source):
    for sentence, gone in [
        ("The talks resumed on Tuesday.", "Tuesday"),
        ("The plane crashed on March 29.", "March 29"),
        ("The bridge reopened last year.", "year"),
        ("The museum opened in 2008.", "2008"),
        ("The firm was founded in the 1990s.", "1990s"),
        ("The strike ended yesterday.", "yesterday"),
    ]:
        changed = made("date", sentence, source)
        assert changed.text and gone not in changed.text, (sentence, changed)
    nothing = made("date", "The talks resumed after a long pause.", source)
    assert nothing.text is None and not nothing.has_site


def test_quotes_and_modifiers_are_edited_wherever_they_are(source):
    single = made("quote", "'It was a tragic accident,' a spokesman said.", source)
    assert single.text and single.text.startswith("'It was a tragic ") and "accident" not in single.text
    unclosed = made("quote", '"We will rebuild every house in the village.', source)  # the quote runs on
    assert unclosed.text and unclosed.text != '"We will rebuild every house in the village.'
    assert made("drop_modifier", "Firefighters quickly contained the blaze.", source).text == (
        "Firefighters contained the blaze."
    )
    assert made("drop_modifier", "Rescuers found the damaged car.", source).text == "Rescuers found the car."
    assert made("drop_modifier", "The former minister resigned.", source).text is None  # changes the claim
    assert made("drop_modifier", "Nobody suffered serious injuries.", source).reason.startswith("a negation")


def test_negation_in_the_main_clause(source):
    assert made("negation", "Police said the road would be closed.", source).text == (
        "Police said the road would not be closed."
    )
    assert made("negation", "The old man quickly walked home.", source).text == "The old man did not quickly walk home."
    assert made("negation", "They weren't freed.", source).text == "They were freed."
    assert made("negation", "He never agreed.", source).text == "He always agreed."
    assert made("negation", "Groups that have members in jail welcomed it.", source).text == (
        "Groups that have members in jail did not welcome it."
    )


def test_numbers_never_touch_years_names_or_singulars(source):
    for seed in range(5):
        changed = made("number", "In 2008, the 1 winner of Apollo 11 gave 5 speeches.", source, seed).text
        assert changed and "2008" in changed and "Apollo 11" in changed and "the 1 winner" in changed


# -- the rules, on thirty fixed sentences --------------------------------------------------------------------


def _root(doc):
    return next(t for t in doc if t.dep_ == "ROOT")


def _head(tokens):
    """A replaced stretch's head: its last word that is not a possessive ending (a name's head is its last)."""
    return [t for t in tokens if t.tag_ != "POS"][-1]


def _tag(token) -> str:
    """The tag a reader checks: proper nouns as one (NNP/NNPS)."""
    return "NNP" if token.tag_ in ("NNP", "NNPS") else token.tag_


def _same_tag(old, new) -> bool:
    """Tags agree, or both are past forms and one of them is spelt alike as VBD and VBN (the tagger can only
    guess which "walked" is)."""
    if _tag(old) == _tag(new):
        return True
    ambiguous = lambda t: edits.inflect(t.lemma_, "VBD") == edits.inflect(t.lemma_, "VBN")  # noqa: E731
    return {old.tag_, new.tag_} <= {"VBD", "VBN"} and (ambiguous(old) or ambiguous(new))


def rule_failures(kind: str, original, variant) -> list[str]:
    """What a reader would object to in `variant`, judged from its own parse."""
    failures = []
    if re.search(r"\b(the|a|an)\s+(the|a|an)\b", variant.text, re.IGNORECASE):
        failures.append("doubled determiner")
    for article, word in re.findall(r"\b([Aa]n?)\s+([\w$£€][\w.-]*)", variant.text):
        if article.lower() != article_for(word):
            failures.append(f"'{article} {word}'")
    before, after = [t.text.lower() for t in original], [t.text.lower() for t in variant]
    edited_root = False
    if kind in ("roles", "reorder"):  # the same words, moved: each keeps its tag
        moved = sorted((t.text.lower(), _tag(t)) for t in original if not t.is_punct)
        if moved != sorted((t.text.lower(), _tag(t)) for t in variant if not t.is_punct):
            failures.append("words or their tags changed where only places were to change")
    elif kind in SUBSTITUTIONS:
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            if op != "replace":
                failures.append(f"{op} where a word was to be replaced")
                continue
            old, new = _head(original[i1:i2]), _head(variant[j1:j2])
            edited_root = edited_root or any(t.dep_ == "ROOT" for t in original[i1:i2])
            if not _same_tag(old, new):
                failures.append(f"{old.text}/{old.tag_} -> {new.text}/{new.tag_}")
    if kind == "negation":
        count = lambda doc: sum(t.dep_ == "neg" for t in doc)  # noqa: E731
        if abs(count(original) - count(variant)) != 1:
            failures.append("not one negation more or less")
    old_root, new_root = _root(original), _root(variant)
    if edited_root or kind == "reorder":
        if old_root.pos_ != new_root.pos_:
            failures.append(f"root {old_root.pos_} -> {new_root.pos_}")
    elif old_root.lemma_.lower() != new_root.lemma_.lower():
        failures.append(f"root {old_root.lemma_} -> {new_root.lemma_}")
    return failures


@pytest.mark.parametrize("kind", sorted(edits.EDITS))
def test_variants_of_news_sentences_pass_the_rules(kind, source):
    nlp = parse()
    checked, failed = 0, []
    for n, original in enumerate(nlp.pipe(SENTENCES)):
        outcome = edit(kind, original, source, random.Random(n))
        if outcome.text is None:
            continue
        problems = rule_failures(kind, original, nlp(outcome.text))
        checked += 1
        if problems:
            failed.append((original.text, outcome.text, problems))
    assert checked >= 5, f"{kind}: only {checked} variants of {len(SENTENCES)} sentences"
    assert len(failed) <= 0.05 * checked, f"{kind}: {len(failed)} of {checked} fail: {failed}"


def test_meaning_preserving_edits_leave_quotations_alone(source):
    """A quotation's words are the speaker's: a synonym or a dropped word inside one is a misquotation."""
    quoted = made("synonym", '"We began the work with many volunteers," he said, as the talks began.', source)
    assert quoted.text == '"We began the work with many volunteers," he said, as the talks started.'
    assert made("drop_modifier", '"It was a truly tragic accident," she said.', source).text is None
