"""The `nli` judge: the sentence-level reader (which premises, which one decided), the fitted combiner, the
verdict rules, the pair cache, and any model read the same way (tiny models the tests build)."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from harness.checks.declaration import FAIL, PASS, CheckResult, SourceFacts
from harness.config import Config, load_config
from harness.evaluation.result_cache import named_file_digests
from harness.judges import check_judge, make_judge
from harness.judges.contract import Assessment
from harness.judges.nli import COMBINER_FILE, NLI_FEATURES, Combiner, NLIJudge
from harness.judges.reader import WINDOW_BELOW, NLIReader, Premises, sentence_windows
from harness.measure.scorer import ConsistencyScorer
from harness.reading.retrieval import Evidence, Passage
from harness.registry import CONTRADICTED, SUPPORTED, UNSUPPORTED
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import NLI_SHIPPED

SOURCE = (
    "Venezuela released 80 political prisoners on Friday. "
    "The releases followed talks with the United States. "
    "Officials said more would follow in the coming weeks. "
    "The opposition called the move a first step."
)


def evidence_at(*indices: int) -> list[Evidence]:
    return [Evidence(Passage("a", f"s{i}", 0, 1, i), 0.9, 0.9, 0.9) for i in indices]


def test_windows_are_each_sentence_then_its_neighbours_never_across_documents():
    runs = [(0, 3), (3, 5)]  # document a: sentences 0-2, document b: 3-4
    assert sentence_windows([1], runs) == [(1, 1), (0, 1), (1, 2)]
    assert sentence_windows([2], runs) == [(2, 2), (1, 2)]  # sentence 3 is another document's
    assert sentence_windows([3, 2], runs) == [(3, 3), (3, 4), (2, 2), (1, 2)]
    assert sentence_windows([0, 0], runs) == [(0, 0), (0, 1)]  # no repeats


def test_the_reader_reads_the_evidence_sentences_and_windows_and_keeps_the_premise_that_decided(tmp_path):
    sentences = [
        "Venezuela released 80 political prisoners on Friday.",
        "The releases followed talks with the United States.",
        "Officials said more would follow in the coming weeks.",
    ]
    sources = SourceFacts(sentences, documents=["a"] * 3)
    reader = NLIReader(CrossEncoder(NLI_SHIPPED, tmp_path), premises=1)
    premises = reader.premise_texts("Venezuela freed 80 prisoners.", evidence_at(0, 2), sources)
    assert premises == Premises([sentences[0]], [" ".join(sentences[:2])])  # premises=1: the best evidence only
    stated = reader.read(["Venezuela released 80 political prisoners on Friday."], [premises])[0]
    assert stated.premise == sentences[0] and stated.premises_read == 1  # entailed: no window is read
    assert stated.p_entailment > 0.8 and stated.p_contradiction is not None and stated.p_contradiction < 0.2
    assert stated.p_sentence == stated.p_entailment and stated.p_window is None
    across = "Venezuela released 80 political prisoners after talks with the United States."
    joined = reader.read([across], [premises])[0]
    if joined.p_sentence < WINDOW_BELOW:  # no single sentence states it: the window of two is read as well
        assert joined.premises_read == 2 and joined.p_window is not None
        assert joined.p_entailment == max(joined.p_sentence, joined.p_window)
    negated = reader.read(["Venezuela did not release any political prisoners."], [premises])[0]
    assert negated.p_entailment < 0.5 < negated.p_contradiction and negated.premises_read == 2
    assert reader.read(["Anything."], [Premises([], [])])[0].p_entailment == 0.0  # no evidence: nothing entails it


def test_reading_regimes_and_premises_are_checked(tmp_path):
    encoder = CrossEncoder(NLI_SHIPPED, tmp_path)
    with pytest.raises(ValueError, match="reading = 'words': expected one of sentences, chunks"):
        NLIReader(encoder, "words")
    with pytest.raises(ValueError, match="premises = 0"):
        NLIReader(encoder, premises=0)
    with pytest.raises(ValueError, match="takes no option 'premise'"):
        make_judge("nli", premise=2)


def test_the_chunks_regime_reads_runs_of_sentences_holding_the_evidence(tmp_path):
    sentences = [f"Sentence number {i} says something about the budget of the town." for i in range(40)]
    sources = SourceFacts(sentences, documents=["a"] * 40)
    reader = NLIReader(CrossEncoder(NLI_SHIPPED, tmp_path), "chunks", premises=1)
    premises = reader.premise_texts("The town has a budget.", evidence_at(25), sources)
    assert premises.first and all(sentences[25] in p for p in premises.first) and not premises.windows
    assert all(len(p.split()) > 40 for p in premises.first)  # several sentences per premise, not one
    assert max(reader.encoder.count(p) for p in premises.first) <= 400


def scorer(tmp_path, **options) -> ConsistencyScorer:
    return ConsistencyScorer(Config(judge="nli", judge_options=options, cache=str(tmp_path / "cache")))


def test_the_shipped_judge_supports_a_stated_fact_and_catches_a_negation(tmp_path):
    judge_scorer = scorer(tmp_path)
    original = judge_scorer.judge.judge(
        *judge_scorer.prepare(SOURCE, "The releases followed talks with the United States.")
    )
    negated = judge_scorer.judge.judge(
        *judge_scorer.prepare(SOURCE, "The releases did not follow talks with the United States.")
    )
    assert original[0].verdict == SUPPORTED and original[0].premise.startswith("The releases followed")
    assert negated[0].verdict in (CONTRADICTED, UNSUPPORTED)
    assert negated[0].p_support < original[0].p_support
    assert negated[0].p_contradiction is not None and negated[0].p_contradiction > original[0].p_contradiction


def test_a_warm_run_computes_no_pair(tmp_path):
    first = scorer(tmp_path)
    score = first.score_one(SOURCE, "Officials said more would follow.")
    again = scorer(tmp_path)
    again.judge.encoder._run = None  # any pair not in the cache would now fail
    assert again.score_one(SOURCE, "Officials said more would follow.") == pytest.approx(score)


def flagged(check: str) -> list[CheckResult]:
    return [CheckResult(check, FAIL, "", "flagged"), CheckResult("number", PASS)]


def test_an_advisory_flag_the_model_confirms_is_never_supported(tmp_path):
    judge = NLIJudge(cache_dir=tmp_path)
    refuting = judge.refute_threshold
    confirmed = judge.verdict(Assessment(0.9, "r", p_refuted=refuting, p_entailment=0.2), flagged("negation"))
    assert confirmed.verdict == CONTRADICTED and confirmed.p_support < judge.threshold
    assert "negation check's flag, confirmed by the model" in confirmed.reason
    weak = judge.verdict(Assessment(0.9, "r", p_refuted=refuting - 0.01, p_entailment=0.2), flagged("name"))
    assert weak.verdict == UNSUPPORTED
    entailed = judge.verdict(Assessment(0.9, "r", p_refuted=0.1, p_entailment=0.9), flagged("negation"))
    assert entailed.verdict == SUPPORTED  # the model reads the claim as stated: the flag was a false alarm
    assert judge.verdict(Assessment(0.9, "r", p_entailment=0.1), []).verdict == SUPPORTED  # no flag raised


def test_the_shipped_combiner_is_fitted_for_the_shipped_model_and_weighs_the_reader():
    combiner = Combiner.load()
    assert combiner.model == NLI_SHIPPED
    assert set(NLI_FEATURES) <= set(combiner.features)
    assert combiner.params["coefficients"]["nli_entailment"] > 0  # more entailment, more support
    fitted = json.dumps(combiner.params["fitted_on"])
    assert "val" in fitted and "test" not in fitted.replace("docnli_fever_test", "")  # never a benchmark's test
    low = dict.fromkeys(combiner.features, 0.0)
    high = {**low, "nli_entailment": 1.0, "nli_margin": 1.0, "best_score": 1.0, "best_cosine": 1.0}
    assert combiner.probability(high) > combiner.probability(low)


def test_a_bad_combiner_file_is_one_clear_error(tmp_path):
    broken = tmp_path / "c.json"
    broken.write_text(json.dumps({"features": ["x"]}))
    with pytest.raises(ValueError, match="not a combiner file"):
        NLIJudge(combiner=str(broken), cache_dir=tmp_path)
    with pytest.raises(ValueError, match="combiner .*missing.json"):
        NLIJudge(combiner=str(tmp_path / "missing.json"), cache_dir=tmp_path)
    unknown = json.loads(json.dumps(Combiner.load().params))
    unknown["features"].append("gone")
    unknown["coefficients"]["gone"] = 1.0
    (tmp_path / "u.json").write_text(json.dumps(unknown))
    with pytest.raises(ValueError, match="weighs gone"):
        NLIJudge(combiner=str(tmp_path / "u.json"), cache_dir=tmp_path)


def test_any_nli_model_is_read_sentence_by_sentence_without_the_shipped_combiner(tmp_path):
    pytest.importorskip("transformers")
    import transformers
    from test_nli_models import save, tiny_model

    from harness.runtime.model_files import base_model_path

    tokenizer = tmp_path / "tok"
    transformers.AutoTokenizer.from_pretrained(str(base_model_path())).save_pretrained(tokenizer)
    folder = save(tiny_model("bert", ["entailment", "neutral", "contradiction"]), tmp_path / "m", tokenizer)
    judge_scorer = scorer(tmp_path, model=str(folder))
    assert judge_scorer.judge.combiner is None and judge_scorer.judge.threshold == 0.5
    judgements = judge_scorer.judge.judge(*judge_scorer.prepare(SOURCE, "Officials said more would follow."))
    direct = judge_scorer.judge.encoder.predict_detail([(judgements[0].premise, "Officials said more would follow.")])
    assert judgements[0].p_entailment == pytest.approx(float(direct[0][0]), abs=1e-4)
    assert judgements[0].p_support == pytest.approx(judgements[0].p_entailment, abs=1e-4)  # read as it is
    chunked = scorer(tmp_path, model=str(folder), reading="chunks")
    assert chunked.judge.judge(*chunked.prepare(SOURCE, "Officials said more would follow."))[0].premise


def test_the_combiner_ships_in_the_package():
    from importlib import resources

    assert resources.files("harness").joinpath(COMBINER_FILE).is_file()
    assert resources.files("harness").joinpath("models/nli-combiner/MODEL_CARD.md").is_file()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"premises": 0}, "premises = 0: expected a whole number"),
        ({"premises": "2"}, "premises = '2'"),
        ({"premises": True}, "premises = True"),
        ({"reading": "words"}, "reading = 'words': expected one of sentences, chunks"),
        ({"threshold": "high"}, "threshold = 'high': expected a probability between 0 and 1"),
        ({"threshold": 1.5}, "threshold = 1.5"),
        ({"refute_threshold": float("nan")}, "refute_threshold = nan"),
        ({"combiner": "/nonexistent/c.json"}, "combiner /nonexistent/c.json: No such file"),
    ],
)
def test_bad_option_values_are_found_before_any_model_loads(options, message):
    """What `harness validate` and `harness run` check first (harness.judges.check_judge): one line naming the
    option, never a TypeError per candidate after the models have loaded."""
    with pytest.raises(ValueError, match=r"\[judge\] options: judge 'nli': " + re.escape(message)):
        check_judge("nli", options)


def test_an_unreadable_combiner_names_its_file(tmp_path):
    for text, message in (("{not json", "not a JSON file"), ("[1, 2]", "expected a JSON object, got list")):
        path = tmp_path / "c.json"
        path.write_text(text)
        with pytest.raises(ValueError, match=f"combiner {re.escape(str(path))}: {message}"):
            check_judge("nli", {"combiner": str(path)})


def test_the_shipped_combiner_applies_only_to_the_reading_it_was_fitted_for(tmp_path):
    assert NLIJudge(cache_dir=tmp_path).combiner is not None
    assert NLIJudge(reading="chunks", cache_dir=tmp_path).combiner is None  # read as it is
    assert NLIJudge(premises=3, cache_dir=tmp_path).combiner is None
    named = NLIJudge(
        reading="chunks", combiner=str(resources.files("harness").joinpath(COMBINER_FILE)), cache_dir=tmp_path
    )
    assert named.combiner is not None  # a combiner the user names is theirs to apply


def test_a_combiner_refitted_in_place_is_a_result_cache_miss(tmp_path):
    combiner = tmp_path / "combiner.json"
    params = json.loads(resources.files("harness").joinpath(COMBINER_FILE).read_text("utf-8"))
    combiner.write_text(json.dumps(params))
    config = Config(judge="nli", judge_options={"combiner": str(combiner)})
    before = named_file_digests(config)
    params["threshold"] = 0.99
    combiner.write_text(json.dumps(params))
    assert named_file_digests(config) != before and str(combiner) in before


def test_file_options_are_resolved_against_the_config_file(tmp_path):
    (tmp_path / "project").mkdir()
    toml = tmp_path / "project" / "harness.toml"
    toml.write_text('[judge]\nname = "nli"\noptions = { combiner = "c.json", model = "./m", label = "x" }\n')
    config = load_config(toml)
    assert config.judge_options == {
        "combiner": str(tmp_path / "project" / "c.json"),
        "model": str(tmp_path / "project" / "m"),
        "label": "x",
    }


def test_score_pairs_takes_the_nli_judge_by_name(tmp_path, capsys):
    from harness.cli import main

    rows = tmp_path / "pairs.jsonl"
    original = "The releases followed talks with the United States."
    negated = "The releases did not follow talks with the United States."
    rows.write_text(
        "\n".join(json.dumps({"id": i, "document": SOURCE, "summary": s}) for i, s in enumerate((original, negated)))
    )
    (tmp_path / "harness.toml").write_text(f'[paths]\ncache = "{tmp_path / "cache"}"\n')
    out = tmp_path / "scores.jsonl"
    code = main(
        ["score-pairs", str(rows), "--out", str(out), "--judge", "nli", "--config", str(tmp_path / "harness.toml")]
    )
    assert code == 0
    scores = [json.loads(line)["score"] for line in out.read_text().splitlines()]
    assert scores[0] > 0.68 > scores[1]  # the shipped combiner's threshold between them
