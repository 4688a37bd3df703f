"""Meaning checks: each one fails on the one-edit change it is for and passes on the true sentence; and the
default judge gets a labelled set of one-edit perturbations and true paraphrases of the example story right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.checks import CHECKS, meaning, novel, roles
from harness.checks.align import align
from harness.checks.declaration import CONFLICT, FAIL, MISSING, PASS, SourceFacts
from harness.document import Document
from harness.ingest.blocks import lines_to_blocks

DATA = Path(__file__).parent / "data" / "meaning_edits.json"
SOURCES = SourceFacts(
    [  # Himiob first: far from Romero's words, as attribution reads a sentence either side
        "Gonzalo Himiob, a Venezuelan lawyer and the president of Foro Penal, spoke on Friday.",
        "Delcy Rodríguez's interim administration has appeared willing to co-operate with the US.",
        "Since the 2024 election, the opposition claimed legal proceedings against activists increased.",
        "Spain's foreign ministry said five of its nationals had been released.",
        "Trump said Machado was expected to come to the US next week.",
        "It remains unclear whether Thursday's announcement signals any real shift toward political opening.",
        "About 50 to 80 prisoners are believed to be held at the notorious El Helicoide prison.",
        "Family members waited outside the El Rodeo jail.",
        "Venezuela's government began to release prisoners since the United States captured President Nicolás Maduro on Sunday.",
        '"Let us hope that this is the beginning of the dismantling of a repressive system," said Alfredo Romero.',
        "Alfredo Romero, director of Foro Penal, spoke on Thursday.",
    ]
)


def _check(name: str, claim: str):
    """The result named `name` of the registered check that gives it, against the claim's best-aligned sentence."""
    evidence = max(SOURCES.sentences, key=lambda s: align(claim, s).support)
    check = next(c for c in CHECKS if name in {n.name for n in c.names})
    return next(c for c in check.run(claim, SOURCES, evidence) if c.check == name)


@pytest.mark.parametrize(
    "name, true, edited, kind",
    [
        (
            "antonym",
            "The interim administration has appeared willing to co-operate with the US.",
            "The interim administration has appeared unwilling to co-operate with the US.",
            CONFLICT,
        ),
        (
            "antonym",
            "The opposition claimed legal proceedings against activists increased.",
            "The opposition claimed legal proceedings against activists decreased.",
            CONFLICT,
        ),
        (
            "reporting",
            "Spain's foreign ministry said five of its nationals had been released.",
            "Spain's foreign ministry denied that five of its nationals had been released.",
            CONFLICT,
        ),
        (
            "modality",
            "Trump said Machado was expected to come to the US next week.",
            "Trump said Machado will definitely come to the US next week.",
            CONFLICT,
        ),
        (
            "modality",
            "It remains unclear whether the announcement signals a real shift toward political opening.",
            "It is certain that the announcement signals a real shift toward political opening.",
            CONFLICT,
        ),
        (
            "substitution",
            "About 50 to 80 prisoners are believed to be held at the notorious El Helicoide prison.",
            "About 50 to 80 prisoners are believed to be held at the notorious El Rodeo prison.",
            CONFLICT,
        ),
        (
            "swap",
            "The United States captured President Nicolás Maduro.",
            "President Nicolás Maduro captured the United States.",
            CONFLICT,
        ),
        (
            "swap",
            "Trump said Machado was expected to come to the US next week.",
            "Machado said Trump was expected to come to the US next week.",
            CONFLICT,
        ),
        (
            "attribution",
            "Alfredo Romero said this could be the beginning of the dismantling of a repressive system.",
            "Gonzalo Himiob said this could be the beginning of the dismantling of a repressive system.",
            CONFLICT,
        ),
        (
            "attribution",
            "Alfredo Romero said this could be the beginning of the dismantling of a repressive system.",
            "Alfredo Romero said the releases were a publicity stunt staged by the government.",
            MISSING,
        ),
    ],
)
def test_each_meaning_check_fails_the_edit_and_passes_the_truth(name, true, edited, kind):
    assert _check(name, true).status == PASS, _check(name, true)
    failed = _check(name, edited)
    assert (failed.status, failed.kind) == (FAIL, kind), failed
    assert failed.reason and failed.explanation


def test_a_passive_paraphrase_is_not_a_swap():
    assert _check("swap", "President Nicolás Maduro was captured by the United States.").status != FAIL


def test_novel_words_are_reported_from_the_whole_sources():
    assert novel.check_novel("Foro Penal director Alfredo Romero spoke on Thursday.", SOURCES).status == PASS
    result = novel.check_novel("Romero praised the lavish banquet and fireworks.", SOURCES)
    assert result.status == FAIL and "banquet" in result.reason


def test_a_role_moved_to_someone_the_sources_name_elsewhere_is_a_conflict():
    assert roles.check("Alfredo Romero is the director of Foro Penal.", SOURCES).status == PASS
    result = roles.check("Gonzalo Himiob is the director of Foro Penal.", SOURCES)
    assert result.status == FAIL and "Alfredo Romero" in result.reason


def test_the_antonym_table_is_wordnets():
    table = meaning.antonym_table()
    assert "decrease" in table["increase"] and "unwilling" in table["willing"] and "negative" in table["positive"]
    assert "good" in table["superb"] or "bad" in table["superb"]  # a satellite gets its head's antonyms


def test_one_edit_perturbations_of_the_story_are_judged_right(story, embedder, config):
    """At least 85% right, over at least 30 sentences, half perturbed and half true (tests/data/meaning_edits.json)."""
    from harness.evaluation.evaluator import StoryEvaluator
    from harness.judges import make_judge

    items = json.loads(DATA.read_text("utf-8"))["items"]
    assert len(items) >= 30 and abs(sum(i["label"] for i in items) - len(items) / 2) <= 2
    evaluator = StoryEvaluator(story, embedder, make_judge(config.judge, config), config)
    wrong = []
    for item in items:
        doc = Document("t", "t", "plain", item["text"], lines_to_blocks(item["text"], headings=False), {}, "t")
        verdict = evaluator.evaluate(doc).judgements[0].verdict
        if (verdict == "supported") != (item["label"] == 1):
            wrong.append((item["text"], verdict))
    assert len(wrong) <= 0.15 * len(items), wrong


def test_two_names_trading_places_are_a_swap_unless_the_relation_is_symmetric():
    from harness.checks.align import align, exchanged_names

    assert exchanged_names(align("France beat Germany 2-1.", "Germany beat France 2-1.")) == ("France", "Germany")
    assert exchanged_names(
        align(
            "It crashed over the Pacific in the western Sea of Okhotsk.",
            "It crashed over the Sea of Okhotsk in the western Pacific.",
        )
    ) == ("Pacific", "Sea of Okhotsk")
    assert exchanged_names(align("France was beaten by Germany.", "Germany beat France.")) is None  # passive
    assert exchanged_names(align("Germany and France met.", "France and Germany met.")) is None  # symmetric
    assert exchanged_names(align("Maduro met Lopez in Caracas.", "Lopez met Maduro in Caracas.")) is None
    assert exchanged_names(align("Maduro jailed Lopez.", "Maduro jailed Lopez.")) is None


def test_a_name_put_in_another_names_place_with_its_article_or_possessive():
    """Entity swaps the substitution check used to miss: the article changed with the name ("An Oregon" for
    "A Phoenixville"), a possessive on both sides, and a two-word name opening the sentence."""
    from harness.checks.align import align
    from harness.checks.declaration import SourceFacts
    from harness.checks.meaning import check_substitution

    def check(claim: str, sentence: str) -> str:
        return check_substitution(align(claim, sentence), SourceFacts([sentence], documents=["a"])).status

    assert (
        check("An Oregon, Pennsylvania, couple made a video.", "A Phoenixville, Pennsylvania, couple made a video.")
        == FAIL
    )
    assert (
        check(
            "Yokohama will become Sports Nippon's official shirt sponsors next season.",
            "Yokohama will become Chelsea's official shirt sponsors next season.",
        )
        == FAIL
    )
    assert (
        check(
            "Roy Hodgson has restarted his row with Andros Townsend after the goalless draw with Burnley on Sunday.",
            "Paul Merson has restarted his row with Andros Townsend after the goalless draw with Burnley on Sunday.",
        )
        == FAIL
    )
    assert check("Maduro's critics were freed on Friday.", "Venezuela's experts were freed on Friday.") != FAIL
    nominated = "is nominated for both the PFA Player and Young Player of the Year awards this season."
    assert check("Harry Kane " + nominated, "The Tottenham striker " + nominated) != FAIL  # a description, named
    assert (
        check(
            "Thierry Henry believes Arsenal need a keeper and a striker.",
            "The Frenchman believes Arsenal need a keeper and a striker.",
        )
        != FAIL
    )
    assert check("Police said the talks ended.", "Police said the talks ended.") == PASS


def test_a_list_of_names_in_another_order_is_no_swap():
    from harness.checks.align import align, exchanged_names

    assert (
        exchanged_names(align("Jones, Smith and Brown were charged.", "Smith, Jones and Brown were charged.")) is None
    )
