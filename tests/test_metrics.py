import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.claims import Claim
from harness.coverage import coverage_metrics, key_fact_coverage, mentions_all
from harness.document import KeyFact
from harness.judges.base import Judgement, soft_minimum
from harness.metrics import aggregate_systems, centroid_similarity, claim_metrics, extractive_metrics, fragments, rouge


def test_rouge_hand_computed():
    # unigrams: the cat sat on the mat (6) vs the cat lay on the mat (6): 5 shared -> P = R = F = 5/6
    # bigrams: 5 each, shared: "the cat", "on the", "the mat" -> 3/5
    scores = rouge("The cat sat on the mat.", "The cat lay on the mat.")
    assert scores["rouge1"] == pytest.approx(5 / 6)
    assert scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeLsum"] == pytest.approx(5 / 6)


def test_rouge_lsum_uses_sentence_split():
    # Lsum is a union LCS over sentences: reordering the two sentences costs nothing
    a = rouge("Dogs bark loudly. Cats sleep all day.", "Cats sleep all day. Dogs bark loudly.")
    assert a["rougeLsum"] == pytest.approx(1.0)
    assert a["rouge1"] == pytest.approx(1.0)


def test_fragments_hand_computed():
    article = "the quick brown fox jumps over the lazy dog".split()
    summary = "the lazy dog and the quick brown fox".split()
    assert fragments(article, summary) == [["the", "lazy", "dog"], ["the", "quick", "brown", "fox"]]
    values = extractive_metrics(" ".join(article), " ".join(summary))
    assert values["fragment_coverage"] == pytest.approx(7 / 8)
    assert values["fragment_density"] == pytest.approx((9 + 16) / 8)
    assert values["compression"] == pytest.approx(9 / 8)


def test_claim_metrics_and_faithfulness():
    judgements = [
        Judgement("supported", 0.9),
        Judgement("supported", 0.7),
        Judgement("contradicted", 0.05),
        Judgement("unsupported", 0.2),
        Judgement("artefact", None),
    ]
    values = claim_metrics(judgements)
    assert values["claims"] == 5 and values["scored_claims"] == 4 and values["artefact"] == 1
    assert values["faithfulness"] == pytest.approx(2 / 4)
    assert values["mean_p_support"] == pytest.approx((0.9 + 0.7 + 0.05 + 0.2) / 4)
    assert claim_metrics([Judgement("artefact", None)])["faithfulness"] is None


def test_soft_minimum():
    assert soft_minimum([0.5]) == pytest.approx(0.5)
    values = [0.9, 0.9, 0.1]
    expected = -math.log(sum(math.exp(-10 * v) for v in values) / 3) / 10
    assert soft_minimum(values) == pytest.approx(expected)
    assert min(values) <= soft_minimum(values) < sum(values) / 3
    assert soft_minimum([]) is None


def test_centroid_similarity():
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert centroid_similarity(a, np.array([[1.0, 1.0]]) / math.sqrt(2)) == pytest.approx(1.0)
    assert centroid_similarity(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])) == pytest.approx(0.0)
    assert centroid_similarity(np.zeros((0, 2)), a) is None


def test_mentions_all():
    text = "Venezuela is releasing prisoners, Spain's ministry said five were Spanish."
    assert mentions_all(text, ["releas", "five|5", "Spain|Spanish"])
    assert not mentions_all(text, ["800"])
    assert mentions_all("US officials", ["US"]) and not mentions_all("used cars", ["US"])
    assert mentions_all("Rocío San Miguel", ["Rocio San Miguel"])


def _claim(n, text, artefact=""):
    return Claim(f"c#{n}", "s", "c", "sys", text, 0, len(text), "paragraph", "body", artefact)


def test_key_fact_coverage_requires_terms_and_threshold():
    facts = [
        KeyFact("k1", "Five Spanish nationals were freed.", 2.0, ["five|5"]),
        KeyFact("k2", "Rights groups estimate 800 to 900 prisoners.", 1.0, ["800", "900"]),
        KeyFact("k3", "The weather was cold.", 1.0),
    ]
    claims = [
        _claim(1, "Spain said five nationals were freed."),
        _claim(2, "Groups estimate 800 to 1,000 prisoners."),
        _claim(3, "Five Spanish nationals were freed.", artefact="repeated text"),
    ]
    similarity = np.array([[0.9, 0.2, 1.0], [0.3, 0.95, 0.1], [0.1, 0.1, 0.1]])
    matches = key_fact_coverage(facts, claims, similarity, threshold=0.55, lexical_weight=0.35)
    assert [m.covered for m in matches] == [True, False, False]
    assert matches[0].claim_id == "c#1"  # the artefact twin never counts
    assert matches[1].claim_id == ""  # 900 is not mentioned by any claim
    values = coverage_metrics(facts, matches)
    assert values["coverage"] == pytest.approx(1 / 3) and values["weighted_coverage"] == pytest.approx(2 / 4)


def test_aggregate_systems_means_and_sums():
    rows = [
        {"system": "a", "status": "ok", "faithfulness": 0.5, "claims": 4},
        {"system": "a", "status": "ok", "faithfulness": 1.0, "claims": 6},
        {"system": "b", "status": "ok", "faithfulness": 0.2, "claims": 5},
        {"system": "b", "status": "error", "faithfulness": None, "claims": 0},
    ]
    result = {r["system"]: r for r in aggregate_systems(rows)}
    assert result["a"]["faithfulness"] == pytest.approx(0.75) and result["a"]["claims"] == 10
    assert result["b"]["candidates"] == 1


def _paper_fragments(article: list[str], summary: list[str]) -> list[list[str]]:
    """Grusky et al. 2018, Algorithm 1, as written: a left-to-right scan of the article for each position."""
    result, i = [], 0
    while i < len(summary):
        best, j = [], 0
        while j < len(article):
            if summary[i] == article[j]:
                i2, j2 = i, j
                while i2 < len(summary) and j2 < len(article) and summary[i2] == article[j2]:
                    i2, j2 = i2 + 1, j2 + 1
                if len(best) < i2 - i:
                    best = summary[i:i2]
                j = j2
            else:
                j += 1
        i += max(len(best), 1)
        if best:
            result.append(best)
    return result


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("a b c d".split()), max_size=40),
    st.lists(st.sampled_from("a b c d e".split()), max_size=20),
)
def test_fragments_equal_the_papers_scan(article, summary):
    assert fragments(article, summary) == _paper_fragments(article, summary)
