import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.checks import dates, names, negation, numbers, quotes, roles
from harness.checks.declaration import CONFLICT, FAIL, MISSING, NA, PASS, SourceFacts

SOURCES = [
    "Prisoners' rights groups estimate that between 800 and 900 political prisoners are incarcerated in Venezuela.",
    "Spain's foreign ministry said five of its nationals, including one dual national, had been released.",
    "About 50 to 80 prisoners are believed to be held at the notorious El Helicoide prison.",
    "She had been arrested in 2024 at Maiquetia airport, near Caracas.",
    "Family members waited outside the jail on January 9, 2026.",
    '"Let us hope that this is indeed the beginning of the dismantling of a repressive system in Venezuela," said Alfredo Romero.',
    'But Tuesday, he said that "they have a torture chamber in the middle of Caracas that they\'re closing up."',
]


@pytest.fixture
def sources():
    return SourceFacts(SOURCES, story_date="2026-01-09")


@pytest.mark.parametrize(
    "claim, status, kind, reason",
    [
        ("Rights groups estimate between 800 and 900 political prisoners are held.", PASS, "", ""),
        (
            "Rights groups estimate between 800 and 1,000 political prisoners are held.",
            FAIL,
            CONFLICT,
            "800 and 1,000 vs 800 and 900",
        ),
        ("Spain said five nationals were freed.", PASS, "", ""),
        ("Spain said 5 nationals were freed.", PASS, "", ""),
        ("Spain said six nationals were freed.", FAIL, CONFLICT, "six vs five"),
        ("Around 60 prisoners are held at El Helicoide.", PASS, "", ""),  # inside the source's 50 to 80
        ("More than 100 journalists are behind bars.", FAIL, MISSING, "100 not stated in sources"),
        ("She was arrested in 2024.", NA, "", ""),  # a year is the date check's
        ("The government freed one of its critics.", NA, "", ""),
    ],
)
def test_numbers(sources, claim, status, kind, reason):
    result = numbers.check(claim, sources)
    assert (result.status, result.kind) == (status, kind)
    assert reason in result.reason


def test_number_mentions_merge_ranges_and_words():
    found = numbers.mentions(
        "between 800 and 1,000 political prisoners, twenty journalists, 3.5% growth, two thousand people"
    )
    assert [(m.values, m.unit) for m in found] == [
        ((800.0, 1000.0), ("political", "prisoner")),
        ((20.0,), ("journalist",)),
        ((3.5,), ("growth",)),
        ((2000.0,), ("people",)),
    ]


@pytest.mark.parametrize(
    "claim, status, kind, reason",
    [
        (
            "The government announced on January 28 that it had started freeing detainees.",
            FAIL,
            CONFLICT,
            "January 28 vs sources' January 9",
        ),
        ("The releases began on 9 January.", PASS, "", ""),
        ("The releases began on Jan. 9.", PASS, "", ""),
        ("She was detained in 2024.", PASS, "", ""),
        ("Arrests have been recorded since 2014.", FAIL, MISSING, "2014 not in sources"),
        ("The prisoners were freed on March 3.", FAIL, MISSING, "March 3 not in sources"),
        ("Prisoners were freed this week.", NA, "", ""),
    ],
)
def test_dates(sources, claim, status, kind, reason):
    result = dates.check(claim, sources)
    assert (result.status, result.kind) == (status, kind)
    assert reason in result.reason


@pytest.mark.parametrize(
    "claim, status, kind",
    [
        ('Trump said they have "a torture chamber in the middle of Caracas".', PASS, ""),
        ("Trump spoke of Venezuela's 'torture chamber'.", PASS, ""),
        (
            "“This could be the beginning of dismantling a repressive system, but only if it is sustained,” said Romero.",
            FAIL,
            CONFLICT,
        ),
        ("The White House called it an example of “maximum leverage”.", FAIL, MISSING),
        ("Rodríguez called the release a 'gesture'.", FAIL, MISSING),
        ("He described the move as a gesture.", NA, ""),
        ("The group's members weren't freed.", NA, ""),  # apostrophes are not quotes
    ],
)
def test_quotes(sources, claim, status, kind):
    result = quotes.check(claim, sources)
    assert (result.status, result.kind) == (status, kind)


def test_check_label_format(sources):
    result = numbers.check("Between 800 and 1,000 political prisoners are held.", sources)
    assert result.label() == "number:800 and 1,000 vs 800 and 900"


@pytest.mark.parametrize(
    "claim, status",
    [
        ("Spain confirmed that five nationals were freed.", PASS),  # "Spain's" in the sources names Spain
        ("Alfredo Romero welcomed the releases.", PASS),
        ("Romero welcomed the releases.", PASS),  # a surname alone
        ("Marco Rubio welcomed the releases.", FAIL),
        ("The United Nations raised concerns.", FAIL),
        ("prisoners were freed on thursday.", NA),  # lower-cased text: no entity, no verdict
    ],
)
def test_names(claim, status):
    sources = SourceFacts(SOURCES + ["Spain's foreign ministry said five of its nationals had been released."])
    result = names.check(claim, sources)
    assert result.status == status, result
    if status == FAIL:
        assert result.kind == MISSING and "not in sources" in result.reason


@pytest.mark.parametrize(
    "claim, evidence, status",
    [
        (
            "The government did not release the prisoners' names.",
            "The government did not release the citizens' names.",
            PASS,
        ),
        ("The government released the prisoners' names.", "The government did not release the prisoners' names.", FAIL),
        ("The ministry never confirmed the releases.", "The ministry confirmed the releases.", FAIL),
        (
            "The ministry never confirmed the releases.",
            "Oil prices rose sharply in March.",
            NA,
        ),  # not the same statement
        ("The ministry confirmed the releases.", None, NA),
    ],
)
def test_negation(claim, evidence, status):
    result = negation.check(claim, evidence)
    assert result.status == status
    if status == FAIL:
        assert result.kind == CONFLICT


APPROX_SOURCES = SourceFacts(
    [
        "Prisoners' rights groups estimate that between 800 and 900 political prisoners are incarcerated in Venezuela.",
        "Maduro jailed thousands of people who protested.",
        "The releases began Thursday.",
        "Police arrested 1,950 protesters.",
    ],
    story_date="2026-01-09",
)


@pytest.mark.parametrize(
    "claim, status, kind",
    [
        ("Hundreds of political prisoners remain detained.", PASS, ""),  # 800 to 900 are hundreds
        ("Thousands of political prisoners remain detained.", FAIL, CONFLICT),
        ("Dozens of political prisoners remain.", FAIL, CONFLICT),
        ("Nearly 2,000 protesters were arrested.", PASS, ""),  # 1,950 is nearly 2,000
        ("About 850 political prisoners are held.", PASS, ""),
        ("More than 900 political prisoners are held.", PASS, ""),  # touches the source range
        ("More than 1,000 political prisoners are held.", FAIL, CONFLICT),
        ("Fewer than 500 political prisoners are held.", FAIL, CONFLICT),
    ],
)
def test_numbers_approximate_and_vague(claim, status, kind):
    result = numbers.check(claim, APPROX_SOURCES)
    assert (result.status, result.kind) == (status, kind), result


@pytest.mark.parametrize(
    "claim, status, kind",
    [
        ("The releases began on Thursday.", PASS, ""),
        ("The releases began on Monday.", FAIL, MISSING),
        ("On Thursday, January 9, 2026, prisoners were freed.", FAIL, CONFLICT),  # January 9, 2026 was a Friday
        ("On Friday, January 9, 2026 prisoners were freed.", PASS, ""),
    ],
)
def test_weekdays(claim, status, kind):
    result = dates.check(claim, APPROX_SOURCES)
    assert (result.status, result.kind) == (status, kind), result


def test_story_sentences(story):
    """Real sentences from the example story's candidates against its references."""
    from harness.reading.retrieval import reference_passages

    facts = SourceFacts([p.text for p in reference_passages(story.references)], story.date)
    assert (
        numbers.check(
            "Rights groups estimate that hundreds of political prisoners remain detained across Venezuela.", facts
        ).status
        == PASS
    )
    assert (
        numbers.check(
            "Human rights organizations estimate that Venezuela holds between 800 and 1,000 political prisoners.", facts
        ).kind
        == CONFLICT
    )
    assert (
        dates.check("Venezuela’s interim government on Thursday began releasing political prisoners.", facts).status
        == PASS
    )
    assert (
        dates.check(
            "Venezuela’s government announced on January 28 that they have started freeing detainees.", facts
        ).kind
        == CONFLICT
    )
    assert quotes.check("Rodríguez said an “important number” of prisoners would be freed.", facts).status == PASS


@pytest.mark.parametrize(
    "claim, status, kind",
    [
        (
            '"Let us hope that this is indeed the beginning of the dismantling of a repressive system," said Alfredo Romero.',
            PASS,
            "",
        ),
        (
            '"Let us hope that this is indeed the beginning of the dismantling of a repressive system," said Delcy Rodríguez.',
            FAIL,
            CONFLICT,
        ),
        (
            '"Let us hope that this is indeed the beginning of the dismantling of a repressive system," a lawyer said.',
            PASS,
            "",
        ),
    ],
)
def test_quote_attribution(sources, claim, status, kind):
    result = quotes.check(claim, sources)
    assert (result.status, result.kind) == (status, kind), result
    if status == FAIL:
        assert "attributed to Delcy Rodríguez vs Alfredo Romero" in result.reason


ROLE_SOURCES = SourceFacts(
    [
        '"Let us hope that this is the beginning," said Alfredo Romero, director of Foro Penal, Venezuela\'s leading human rights organization.',
        '"A certain faction intends to send a positive message," said Gonzalo Himiob, a Venezuelan lawyer and the president of Foro Penal.',
        "Jorge Rodríguez, the head of Venezuela's National Assembly, did not specify how many people would be freed.",
    ]
)


@pytest.mark.parametrize(
    "claim, status",
    [
        ("Alfredo Romero, director of Foro Penal, welcomed the releases.", PASS),
        ("Gonzalo Himiob, director of Foro Penal, welcomed the releases.", FAIL),  # Romero is its director
        ("Jorge Rodríguez, head of Venezuela’s National Assembly, announced the releases.", PASS),
        (
            "Delcy Rodríguez, head of the National Assembly, announced the releases.",
            FAIL,
        ),  # same surname, another person
        ("Alfredo Romero, head of the National Assembly, announced the releases.", FAIL),  # the head is Rodríguez
        ("The releases were announced on Thursday.", NA),
    ],
)
def test_roles(claim, status):
    result = roles.check(claim, ROLE_SOURCES)
    assert result.status == status, result
    if status == FAIL:
        assert result.kind == CONFLICT and " vs " in result.reason


RELATIVE_SOURCES = SourceFacts(
    [
        "The US seized Maduro in a raid on Saturday.",
        "The government began releasing prisoners on Thursday.",
    ],
    story_date="2026-01-09",
)


@pytest.mark.parametrize(
    "claim, status",
    [
        ("The releases came five days after the US seized Maduro.", PASS),  # Saturday -> Thursday
        ("The releases came two days after the US seized Maduro.", FAIL),
        ("The releases came 5 days after the raid.", PASS),
        ("Prisoners were freed.", NA),
    ],
)
def test_relative_days(claim, status):
    result = dates.check(claim, RELATIVE_SOURCES)
    assert result.status == status, result
    assert numbers.check(claim, RELATIVE_SOURCES).status == NA  # the date check owns "five days"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("abcde"), max_size=6),
    st.lists(st.lists(st.sampled_from("abcdef"), max_size=8), max_size=6),
)
def test_quote_search_finds_what_a_full_scan_finds(quote, sentences):
    """The pruned search returns the full scan's best score and its first sentence, on random word lists."""
    from collections import Counter

    scores = [quotes._best_match(quote, s) if set(quote) & set(s) else 0.0 for s in sentences]
    best = max(scores, default=0.0)
    expected = (best, scores.index(best) if scores else 0)
    assert quotes._best_sentence(quote, sentences, [Counter(s) for s in sentences]) == expected


def test_ner_without_the_unused_shared_tok2vec_finds_the_same_entities():
    import spacy

    full = spacy.load(names.MODEL, disable=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    assert "tok2vec" in full.pipe_names and names.nlp().pipe_names == ["ner"]
    texts = [
        "Jorge Rodríguez said on Thursday that Venezuela would free 40 prisoners held in El Helicoide.",
        "the un human rights office in geneva welcomed the move by caracas",
        "Acme Corp. and the European Union signed the deal in Brussels in March 2025.",
    ]
    for text, doc in zip(texts, full.pipe(texts)):
        assert [(e.text, e.label_) for e in names.nlp()(text).ents] == [(e.text, e.label_) for e in doc.ents]


def test_a_date_put_in_another_dates_place_in_the_sentence_the_claim_copies():
    """Binding errors the sources-wide date check cannot see: the other date is named elsewhere (issue 33)."""
    from harness.checks.dates import slot_conflict

    sentence = "He signed a five-year deal with the club on Friday, a week after the strike."
    assert slot_conflict("He signed a five-week deal with the club on Friday.", sentence).kind == "conflict"
    assert (
        "Wednesday"
        in slot_conflict(
            "He signed a five-year deal with the club on Wednesday, a week after the strike.", sentence
        ).reason
    )
    assert slot_conflict("The strike ended last week, officials said.", "The strike ended yesterday, officials said.")
    assert slot_conflict("He signed a five-year deal with the club on Friday.", sentence) is None  # copied
    assert slot_conflict("The strike ended on Tuesday.", "The strike ended yesterday.") is None  # a resolved date
    assert (
        "2021"
        in slot_conflict(
            "Berg defeated Dahl in a party leadership vote in 2021.",
            "Berg defeated Dahl in a party leadership vote in 2019.",
        ).reason
    )  # a year, though 2021 is named elsewhere
    assert dates.check("It passed, according to https://council.gov/2024/item-777.", SourceFacts([], [])).status == NA
    stated = "They began releasing prisoners Thursday, days after Maduro was captured on Sunday."
    assert slot_conflict("They began releasing prisoners on Thursday.", stated) is None  # the sentence says it
    assert slot_conflict("He served 24 months in jail.", "He served two years in jail.") is None  # a conversion
    assert slot_conflict("A deal for years.", "Talks about other things on Friday.") is None  # another statement
    rewritten = "Liverpool face Villa in the semi-final on Thursday but neither player will be disciplined."
    assert slot_conflict("Liverpool face Villa in the semi-final on Sunday.", rewritten) is None  # not a copy


def test_a_word_changed_inside_a_quotation_is_a_misquotation():
    from harness.checks.quotes import check, quotations

    sources = SourceFacts(
        ["'It was a tragic accident that nobody could have prevented,' a spokesman said.", "He said he was proud."],
        documents=["a", "a"],
    )
    changed = check("'It was a tragic dispute that nobody could have prevented,' a spokesman said.", sources)
    assert changed.status == FAIL and changed.kind == "conflict" and '"dispute"' in changed.reason
    assert check("'It was a tragic accident that nobody could have prevented,' he said.", sources).status == PASS
    assert check("'[The crash] was a tragic accident,' a spokesman said.", sources).status == PASS  # brackets
    assert quotations('"We will rebuild every house in the village.') == ["We will rebuild every house in the village."]
    assert quotations('This is a dark day for our city," the mayor said.') == ["This is a dark day for our city,"]
    assert quotations("The mayor's aide said it was a dark day.") == []  # an apostrophe is no quotation
