"""What summarisers really emit: one unpunctuated sentence, lower-cased highlight lines, CJK, emoji, JSON
`summary` strings, and Penn-Treebank-tokenised text (`sterling 's`, `2013 ,`). Every one yields claims, and
tokenisation never makes a check fail."""

from __future__ import annotations

import json

import pytest

from harness.checks import run_checks
from harness.checks.declaration import FAIL, SourceFacts
from harness.ingest import read_document
from harness.measure.scorer import text_document
from harness.reading.claims import split_claims
from harness.text import detokenize

ARTICLE = [
    "Raheem Sterling has signed a new contract with Liverpool that runs until 2018, the club said on Friday.",
    "The forward, who joined from QPR in 2010, made his debut in 2012.",
    "'I am happy here and I want to win trophies,' Sterling told the club's website.",
    "Manager Brendan Rodgers said he was delighted with the decision.",
]
TOKENISED = [  # the article's own sentences, written as SummEval's systems write them
    "raheem sterling has signed a new contract with liverpool that runs until 2018 , the club said on friday .",
    "the forward , who joined from qpr in 2010 , made his debut in 2012 .",
    "` i am happy here and i want to win trophies , ' sterling told the club 's website .",
    "manager brendan rodgers said he was delighted with the decision .",
    "sterling 's deal runs until 2018 .",
    "`` i am happy here , '' sterling said .",
    "liverpool 's manager did n't hide his delight -lrb- rodgers -rrb- .",
]


def _claims(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return [c for c in split_claims(read_document(path)) if not c.is_artefact]


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("one.txt", "Doncaster Rovers 0-0 Fleetwood Town", ["Doncaster Rovers 0-0 Fleetwood Town"]),
        ("one.txt", "Doncaster Rovers 0-0 Fleetwood Town\n", ["Doncaster Rovers 0-0 Fleetwood Town"]),
        (
            "highlights.txt",
            "sterling 's contract runs until 2018\nhe joined liverpool from qpr in 2010\nrodgers is delighted",
            ["sterling 's contract runs until 2018", "he joined liverpool from qpr in 2010", "rodgers is delighted"],
        ),
        (
            "cjk.txt",
            "斯特林与利物浦续约至2018年。俱乐部周五宣布！",
            ["斯特林与利物浦续约至2018年。", "俱乐部周五宣布！"],
        ),
        (
            "emoji.txt",
            "Sterling signs until 2018 🎉\nThe club said so.",
            ["Sterling signs until 2018 🎉", "The club said so."],
        ),
        (
            "wrapped.json",
            json.dumps({"summary": "Doncaster Rovers 0-0 Fleetwood Town"}),
            ["Doncaster Rovers 0-0 Fleetwood Town"],
        ),
        ("titled.txt", "Sterling Stays\nSterling signed a new contract.", ["Sterling signed a new contract."]),
        ("titled.md", "# Sterling stays\nSterling signed a new contract", ["Sterling signed a new contract"]),
        ("punct.txt", "Sterling signed a new contract.\n!!!!\n'\n", ["Sterling signed a new contract."]),
    ],
)
def test_every_style_of_summary_yields_its_claims(tmp_path, name, text, expected):
    assert [c.text for c in _claims(tmp_path, name, text)] == expected


def test_a_summary_string_has_no_headings():
    doc = text_document("summary", "Sterling Stays\nSterling signed.", headings=False)
    assert [c.text for c in split_claims(doc)] == ["Sterling Stays", "Sterling signed."]


@pytest.mark.parametrize(
    "tokenised, plain",
    [
        (
            "sterling 's contract runs until 2018 , the club said .",
            "sterling's contract runs until 2018, the club said.",
        ),
        ("he said ` i 'm fine , ' and left .", "he said 'i'm fine,' and left."),
        ("`` we won , '' said smith -lrb- 30 -rrb- .", '"we won," said smith (30).'),
        ("the fee was $ 1.5 million , or 5 % .", "the fee was $1.5 million, or 5%."),
        ("it did n't happen , they 're sure .", "it didn't happen, they're sure."),
        ("in 2013 , 200 people came .", "in 2013, 200 people came."),  # never glued into one number
        (
            "A normal sentence - with a dash (and brackets), 5,000 people.",
            "A normal sentence - with a dash (and brackets), 5,000 people.",
        ),
    ],
)
def test_detokenize(tokenised, plain):
    assert detokenize(tokenised) == plain


def test_tokenised_claims_keep_their_text_and_offsets(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("\n".join(TOKENISED), "utf-8")
    doc = read_document(path)
    claims = split_claims(doc)
    assert [c.text for c in claims] == TOKENISED
    assert all(doc.text[c.start : c.end] == c.text for c in claims)
    assert claims[4].match_text == "sterling's deal runs until 2018."


@pytest.mark.parametrize("sentence", TOKENISED)
def test_tokenisation_never_fails_a_check(sentence):
    claim = split_claims(text_document("s", sentence, headings=False))[0]
    failed = [
        c for c in run_checks(claim.match_text, SourceFacts(ARTICLE, story_date="2015-04-10"), None) if c.status == FAIL
    ]
    assert not failed, [(c.check, c.reason) for c in failed]


def test_a_tokenised_copy_of_a_source_sentence_is_supported(config):
    from harness.measure.scorer import ConsistencyScorer

    scorer = ConsistencyScorer(config)
    scores = scorer.score([" ".join(ARTICLE)] * 2, [TOKENISED[0], TOKENISED[0].replace("2018", "2019")])
    assert scores[0] > 0.9 > 0.5 > scores[1]


def test_detokenize_never_fails_and_only_removes_spaces():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    tokens = st.sampled_from(
        ["'", "''", "``", "`", '"', "'s", "n't", ",", ".", "-lrb-", "-rrb-", "a", "Word", "2013", "$"]
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(tokens, max_size=12))
    def check(parts):
        text = " ".join(parts)
        plain = detokenize(text)
        assert isinstance(plain, str)

    check()
    assert detokenize("' hello") == "' hello" and detokenize("''") == '"'
