import pytest

from harness.checks import CONFLICT, FAIL, MISSING, NA, PASS, SourceFacts, dates, numbers, quotes

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


@pytest.mark.parametrize("claim, status, kind, reason", [
    ("Rights groups estimate between 800 and 900 political prisoners are held.", PASS, "", ""),
    ("Rights groups estimate between 800 and 1,000 political prisoners are held.", FAIL, CONFLICT, "800 and 1,000 vs 800 and 900"),
    ("Spain said five nationals were freed.", PASS, "", ""),
    ("Spain said 5 nationals were freed.", PASS, "", ""),
    ("Spain said six nationals were freed.", FAIL, CONFLICT, "six vs five"),
    ("Around 60 prisoners are held at El Helicoide.", PASS, "", ""),  # inside the source's 50 to 80
    ("More than 100 journalists are behind bars.", FAIL, MISSING, "100 not stated in sources"),
    ("She was arrested in 2024.", NA, "", ""),  # a year is the date check's
    ("The government freed one of its critics.", NA, "", ""),
])
def test_numbers(sources, claim, status, kind, reason):
    result = numbers.check(claim, sources)
    assert (result.status, result.kind) == (status, kind)
    assert reason in result.reason


def test_number_mentions_merge_ranges_and_words():
    found = numbers.mentions("between 800 and 1,000 political prisoners, twenty journalists, 3.5% growth, two thousand people")
    assert [(m.values, m.unit) for m in found] == [
        ((800.0, 1000.0), ("political", "prisoner")), ((20.0,), ("journalist",)), ((3.5,), ("growth",)),
        ((2000.0,), ("people",))]


@pytest.mark.parametrize("claim, status, kind, reason", [
    ("The government announced on January 28 that it had started freeing detainees.", FAIL, CONFLICT, "January 28 vs sources' January 9"),
    ("The releases began on 9 January.", PASS, "", ""),
    ("The releases began on Jan. 9.", PASS, "", ""),
    ("She was detained in 2024.", PASS, "", ""),
    ("Arrests have been recorded since 2014.", FAIL, MISSING, "2014 not in sources"),
    ("The prisoners were freed on March 3.", FAIL, MISSING, "March 3 not in sources"),
    ("Prisoners were freed this week.", NA, "", ""),
])
def test_dates(sources, claim, status, kind, reason):
    result = dates.check(claim, sources)
    assert (result.status, result.kind) == (status, kind)
    assert reason in result.reason


@pytest.mark.parametrize("claim, status, kind", [
    ('Trump said they have "a torture chamber in the middle of Caracas".', PASS, ""),
    ("Trump spoke of Venezuela's 'torture chamber'.", PASS, ""),
    ("“This could be the beginning of dismantling a repressive system, but only if it is sustained,” said Romero.", FAIL, CONFLICT),
    ("The White House called it an example of “maximum leverage”.", FAIL, MISSING),
    ("Rodríguez called the release a 'gesture'.", FAIL, MISSING),
    ("He described the move as a gesture.", NA, ""),
    ("The group's members weren't freed.", NA, ""),  # apostrophes are not quotes
])
def test_quotes(sources, claim, status, kind):
    result = quotes.check(claim, sources)
    assert (result.status, result.kind) == (status, kind)


def test_check_label_format(sources):
    result = numbers.check("Between 800 and 1,000 political prisoners are held.", sources)
    assert result.label() == "number:800 and 1,000 vs 800 and 900"
