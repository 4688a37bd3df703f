import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.document import KeyFact
from harness.evaluation.coverage import CoverageReader, coverage_metrics, mentions_all
from harness.evaluation.metrics import (
    aggregate_systems,
    centroid_similarity,
    claim_metrics,
    extractive_metrics,
    fragments,
    rouge,
)
from harness.judges.contract import Judgement, soft_minimum
from harness.reading.claims import Claim
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import NLI_SHIPPED


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


def test_key_fact_coverage_requires_terms_entailment_and_no_refuted_claim(tmp_path):
    """The shipped NLI model reads each fact against the candidate's sentences and pairs of them."""
    facts = [
        KeyFact("k1", "Five Spanish nationals were freed.", 2.0, ["five|5"]),
        KeyFact("k2", "Rights groups estimate 800 to 900 prisoners.", 1.0, ["800", "900"]),
        KeyFact("k3", "The weather in Caracas was cold.", 1.0),
        KeyFact("k4", "Fishermen supported the plan.", 1.0),
    ]
    claims = [
        _claim(1, "Spain said five of its nationals were freed."),
        _claim(2, "Groups estimate 800 to 1,000 prisoners."),
        _claim(3, "Five Spanish nationals were freed.", artefact="repeated text"),
        _claim(4, "Fishermen supported the plan."),
    ]
    reader = CoverageReader(CrossEncoder(NLI_SHIPPED, tmp_path, nli="entailment"), threshold=0.5)
    matches = reader.read(facts, claims, refuted={3})
    assert [m.covered for m in matches] == [True, False, False, False]
    assert matches[0].claim_id == "c#1" and matches[0].premise.startswith("Spain said five")  # never the artefact
    assert matches[1].claim_id == "" and matches[1].score == 0.0  # no claim mentions 900: nothing read
    assert matches[3].claim_id != "c#4"  # the refuted claim is no premise
    assert 0 < matches[1].lexical < 1 and matches[2].score < 0.5
    assert matches[1].reason == "not read: no candidate sentence holds its must_mention terms"
    assert matches[2].reason.startswith("not read: the candidate uses 0% of its content words")
    assert matches[0].reason == "" and matches[3].reason.startswith("not read: the candidate uses 0%")
    for m in matches:  # credit: the mean of p(entailment) and the share of the fact's words the candidate uses
        assert m.credit == pytest.approx((m.score + m.lexical) / 2, abs=1e-3)
    values = coverage_metrics(facts, matches)
    assert values["coverage"] == pytest.approx(1 / 4) and values["key_facts_covered"] == 1
    weighted = sum(f.weight * m.credit for f, m in zip(facts, matches)) / 5
    assert values["weighted_coverage"] == pytest.approx(weighted)


def test_a_fact_the_candidate_states_with_another_number_earns_almost_nothing(tmp_path):
    fact = KeyFact("k", "Rights groups estimate that 800 political prisoners are held.", 1.0)
    reader = CoverageReader(CrossEncoder(NLI_SHIPPED, tmp_path, nli="entailment"), threshold=0.5)
    [same] = reader.read([fact], [_claim(1, "Rights groups estimate that 800 political prisoners are held.")])
    [other] = reader.read([fact], [_claim(1, "Rights groups estimate that 900 political prisoners are held.")])
    assert same.covered and same.credit > 0.8
    assert not other.covered and other.credit < 0.1 and other.lexical > 0.8
    assert other.reason == "the candidate states it otherwise (number)"


def test_a_fact_in_another_script_is_read_by_the_model_and_a_fact_read_but_not_entailed_says_so(tmp_path):
    reader = CoverageReader(CrossEncoder(NLI_SHIPPED, tmp_path, nli="entailment"), threshold=0.5)
    fact = KeyFact("k", "Правительство Венесуэлы начало освобождать политических заключённых.", 1.0)
    [same] = reader.read([fact], [_claim(1, fact.text)])
    assert same.lexical is None and same.premise == fact.text and same.credit == same.score  # read, not skipped
    assert "script" in same.reason or "under the threshold" in same.reason
    unsure = KeyFact("u", "Spain said its nationals were freed in Caracas.", 1.0)
    [match] = reader.read([unsure], [_claim(1, "Spain said the talks in Caracas went on.")])
    assert not match.covered and match.reason.startswith("read: best p(entailment) 0.")


def test_a_fact_stated_across_two_sentences_is_read_against_both(tmp_path):
    fact = KeyFact("k", "The security analyst Rocío San Miguel was freed by the government on Thursday.", 1.0)
    claims = [_claim(1, "The government freed Rocío San Miguel."), _claim(2, "Her release came on Thursday.")]
    reader = CoverageReader(CrossEncoder(NLI_SHIPPED, tmp_path, nli="entailment"), threshold=0.5)
    [match] = reader.read([fact], claims)
    assert match.premise == "The government freed Rocío San Miguel. Her release came on Thursday."
    assert match.covered and match.claim_id == "c#1"
    alone = reader.encoder.predict_pairs([(c.text, fact.text) for c in claims])
    assert max(alone) < 0.5  # neither sentence alone states it


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


def test_with_nearness_a_fact_is_read_only_against_its_nearest_claims_and_their_windows(tmp_path):
    from harness.evaluation.coverage import NEAREST

    texts = [f"Filler sentence number {n} says nothing at all." for n in range(8)]
    texts[5] = "Spain said five of its nationals were freed."
    claims = [_claim(n, t) for n, t in enumerate(texts)]
    fact = KeyFact("k", "Five Spanish nationals were freed.", 1.0)
    nearness = np.zeros((1, len(claims)))
    nearness[0, [5, 0, 1, 2]] = [0.9, 0.5, 0.4, 0.3]  # claim 3, next to claim 2, is a window's second half
    encoder = CrossEncoder(NLI_SHIPPED, tmp_path, nli="entailment")
    asked = []
    predict = encoder.predict_pairs
    encoder.predict_pairs = lambda pairs: asked.extend(pairs) or predict(pairs)
    [match] = CoverageReader(encoder, threshold=1.0).read([fact], claims, nearness=nearness)  # windows read too
    assert match.claim_id in ("c#4", "c#5") and "Spain said five" in match.premise
    nearest = [5, 0, 1, 2][:NEAREST]  # by nearness
    singles = [p for p, _ in asked if p in texts]
    assert sorted(singles) == sorted(texts[i] for i in nearest)
    windows = {p for p, _ in asked if p not in texts}
    assert windows == {f"{texts[a]} {texts[a + 1]}" for i in nearest for a in (i - 1, i) if 0 <= a < 7}
    asked.clear()
    [entailed] = CoverageReader(encoder, threshold=0.5).read([fact], claims, nearness=nearness)
    assert entailed.covered and entailed.claim_id == "c#5" and len(asked) == NEAREST  # one sentence states it
    asked.clear()
    everything = CoverageReader(encoder, threshold=1.0).read([fact], claims)  # without nearness: all 8 and 7 windows
    assert len(asked) == 8 + 7 and "Spain said five" in everything[0].premise
