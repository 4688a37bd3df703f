import json
import math
from importlib import resources

import pytest

from harness.checks import CONFLICT, FAIL, MISSING, PASS, CheckResult
from harness.config import Config
from harness.judge import FEATURES, CalibratedJudge, CrossEncoderJudge, EvidenceJudge, decide, make_judge


def test_calibration_file_loads_and_reproduces_recorded_scores():
    params = json.loads(resources.files("harness").joinpath("judge_params.json").read_text("utf-8"))
    assert params["features"] == list(FEATURES)
    assert params["fitted_on"]["cut"] == "val" and params["fitted_on"]["rows"] > 0
    assert 0 < params["threshold"] < 1 and 0.5 <= params["val_metrics"]["roc_auc"] <= 1
    judge = CalibratedJudge()
    assert len(params["recorded"]) >= 5
    for sample in params["recorded"]:
        assert judge.probability(sample["features"]) == pytest.approx(sample["p"], abs=1e-6)


def test_calibrated_probability_is_a_logistic_of_the_features():
    judge = CalibratedJudge()
    zero = {f: 0.0 for f in FEATURES}
    assert judge.probability(zero) == pytest.approx(1 / (1 + math.exp(-judge.intercept)))
    failing = dict(zero, number_fail=1.0)
    assert judge.probability(failing) < judge.probability(zero)  # a failed number check never helps


def test_decisive_checks_override_and_advisory_ones_do_not():
    conflict = CheckResult("number", FAIL, "800 and 1,000 vs 800 and 900", CONFLICT)
    missing = CheckResult("quote", FAIL, '"x" not found in sources', MISSING)
    advisory = CheckResult("name", FAIL, "Marco Rubio (PERSON) not in sources", MISSING)
    assert decide(0.9, [conflict], 0.5, "").verdict == "contradicted"
    assert decide(0.9, [conflict], 0.5, "").p_support == pytest.approx(0.09)
    assert decide(0.9, [missing], 0.5, "").verdict == "unsupported"
    assert decide(0.9, [advisory, CheckResult("date", PASS)], 0.5, "").verdict == "supported"
    assert decide(0.4, [], 0.5, "").verdict == "unsupported"


def test_judges_by_name():
    assert isinstance(make_judge("evidence"), EvidenceJudge)
    assert isinstance(make_judge("calibrated"), CalibratedJudge)
    with pytest.raises(ValueError, match="unknown judge 'nli'"):
        make_judge("nli")


def test_crossencoder_judge_takes_the_configured_model_and_cache(tmp_path):
    judge = make_judge("crossencoder", Config(cache=str(tmp_path)))
    assert isinstance(judge, CrossEncoderJudge) and judge.encoder.backend == "onnx"
    assert judge.encoder.cache.db is not None and (tmp_path / "crossencoder" / "pairs.sqlite").exists()
    assert 0 < judge.threshold < 1
    with pytest.raises(ValueError, match="chunks = 'some'"):
        make_judge("crossencoder", Config(cache=str(tmp_path)), chunks="some")
