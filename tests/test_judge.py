import json
import math
from importlib import resources

import pytest

from harness.checks.declaration import CONFLICT, FAIL, MISSING, PASS, CheckResult, SourceFacts
from harness.config import Config
from harness.judges import make_judge
from harness.judges.calibrated import FEATURES, CalibratedJudge, claim_features
from harness.judges.contract import Assessment, decide
from harness.judges.crossencoder import CrossEncoderJudge
from harness.judges.evidence import EvidenceJudge
from harness.reading.claims import Claim


def test_calibration_file_loads_and_reproduces_recorded_scores():
    params = json.loads(resources.files("harness").joinpath("judge_params.json").read_text("utf-8"))
    assert set(params["features"]) == set(FEATURES)  # every check's feature group is fitted, and nothing else
    assert CalibratedJudge().features == tuple(params["features"])  # summed in the order they were fitted
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
    assert decide(Assessment(0.9, ""), [conflict], 0.5).verdict == "contradicted"
    assert decide(Assessment(0.9, ""), [conflict], 0.5).p_support == pytest.approx(0.09)
    assert decide(Assessment(0.9, ""), [missing], 0.5).verdict == "unsupported"
    assert decide(Assessment(0.9, ""), [advisory, CheckResult("date", PASS)], 0.5).verdict == "supported"
    assert decide(Assessment(0.4, ""), [], 0.5).verdict == "unsupported"


def test_judges_by_name():
    assert isinstance(make_judge("evidence"), EvidenceJudge)
    assert isinstance(make_judge("calibrated"), CalibratedJudge)
    with pytest.raises(ValueError, match="unknown judge 'mnli'"):
        make_judge("mnli")


def test_crossencoder_judge_takes_the_configured_model_and_cache(tmp_path):
    judge = make_judge("crossencoder", Config(cache=str(tmp_path)))
    assert isinstance(judge, CrossEncoderJudge) and judge.encoder.backend == "onnx"
    assert judge.encoder.cache.db is not None and (tmp_path / "crossencoder" / "pairs.sqlite").exists()
    assert 0 < judge.threshold < 1
    with pytest.raises(ValueError, match="chunks = 'some'"):
        make_judge("crossencoder", Config(cache=str(tmp_path)), chunks="some")


def _claim(text: str) -> Claim:
    return Claim("c1", "story", "candidate", "system", text, 0, len(text), "sentence", "")


def test_a_check_the_model_was_not_fitted_on_is_no_feature_of_it():
    """A new check (here one named 'unit') never raises a KeyError: the fitted model simply does not see it."""
    judge = CalibratedJudge()
    claim = _claim("Five nationals were freed.")
    checks = [CheckResult("number", PASS), CheckResult("unit", FAIL, "kg vs lb", CONFLICT)]
    features = claim_features(claim, [], checks, SourceFacts(["Five nationals were freed."]))
    assert "unit_fail" not in features and features["number_fail"] == 0.0
    assert 0.0 < judge.probability(features) < 1.0


def test_the_meaning_checks_count_as_one_feature():
    claim = _claim("The ministry denied it.")
    sources = SourceFacts(["The ministry said it."])
    for name in ("antonym", "reporting", "modality", "substitution", "swap", "attribution"):
        features = claim_features(claim, [], [CheckResult(name, FAIL, "x", CONFLICT)], sources)
        assert features["meaning_fail"] == 1.0 and features["novel_fail"] == 0.0, name


def test_parameters_weighing_a_feature_no_check_gives_are_refused(tmp_path):
    params = json.loads(resources.files("harness").joinpath("judge_params.json").read_text("utf-8"))
    params["features"].append("colour_fail")
    params["coefficients"]["colour_fail"] = 1.0
    path = tmp_path / "params.json"
    path.write_text(json.dumps(params), "utf-8")
    with pytest.raises(ValueError, match="colour_fail"):
        CalibratedJudge(str(path))
