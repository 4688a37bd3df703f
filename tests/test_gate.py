import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main
from harness.document import InputError
from harness.gate import (BASELINE_FORMAT, GateConfig, baseline_document, bootstrap_interval, evaluate_gate, junit_xml,
                          load_gate_config, load_run_document, markdown)
from harness.pipeline import run
from harness.report import write_reports

from conftest import ROOT

pytest_plugins = ["pytester"]


def record(story, cid, system, **metrics):
    base = {"faithfulness": 0.8, "contradicted": 0, "weighted_coverage": 0.6, "consistency": 0.5}
    base.update(metrics)
    return {"story": story, "id": cid, "system": system, "status": "ok", "error": "", "metrics": base, "claims": []}


def doc(*records):
    return {"format": BASELINE_FORMAT, "candidates": list(records)}


def gate(**kwargs):
    return GateConfig(**{"bootstrap_samples": 500, **kwargs})


def failed(report):
    return {(c.scope, c.name, c.kind) for c in report.failures()}


def test_thresholds_most_specific_wins():
    config = gate(thresholds={"min_faithfulness": 0.5}, stories={"s1": {"min_faithfulness": 0.7}},
                  systems={"lenient": {"min_faithfulness": 0.1}})
    current = doc(record("s1", "a", "strict", faithfulness=0.6), record("s2", "b", "strict", faithfulness=0.6),
                  record("s1", "c", "lenient", faithfulness=0.2))
    report = evaluate_gate(current, None, config)
    assert failed(report) == {("candidate", "s1/a", "threshold")}
    assert "faithfulness 0.6 < min 0.7" in report.failures()[0].message


def test_max_threshold_and_system_mean():
    config = gate(thresholds={"max_contradicted": 1})
    current = doc(record("s", "a", "x", contradicted=0), record("s", "b", "x", contradicted=3))
    assert failed(evaluate_gate(current, None, config)) == {("candidate", "s/b", "threshold"), ("system", "x", "threshold")}


def test_candidate_regression_respects_tolerance():
    baseline = doc(record("s", "a", "x", faithfulness=0.80), record("s", "b", "x", faithfulness=0.80))
    current = doc(record("s", "a", "x", faithfulness=0.77), record("s", "b", "x", faithfulness=0.70))
    report = evaluate_gate(current, baseline, gate(tolerance={"faithfulness": 0.05}), "base")
    assert ("candidate", "s/b", "regression") in failed(report)
    assert ("candidate", "s/a", "regression") not in failed(report)
    assert "faithfulness 0.8 -> 0.7" in next(c.message for c in report.failures() if c.name == "s/b")


def test_system_regression_needs_significance():
    tolerance = {"faithfulness": 0.05}
    baseline = doc(*[record("s", f"c{i}", "x", faithfulness=0.5) for i in range(8)])
    # mean drop 0.075 > tolerance, but noisy: two large drops, others up -> interval straddles zero
    noisy = [0.2, 0.2, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55]
    current = doc(*[record("s", f"c{i}", "x", faithfulness=v) for i, v in enumerate(noisy)])
    report = evaluate_gate(current, baseline, gate(tolerance=tolerance), "base")
    assert ("system", "x", "regression") not in failed(report)
    assert ("candidate", "s/c0", "regression") in failed(report)  # the candidates themselves still fail
    steady = doc(*[record("s", f"c{i}", "x", faithfulness=0.4) for i in range(8)])
    report = evaluate_gate(steady, baseline, gate(tolerance=tolerance), "base")
    system = next(c for c in report.failures() if c.scope == "system")
    assert "95% CI -0.1 to -0.1" in system.message and "n=8" in system.message


def test_new_missing_and_zero_matched():
    baseline = doc(record("s", "a", "x"), record("s", "gone", "x"))
    current = doc(record("s", "a", "x"), record("s", "fresh", "x"))
    report = evaluate_gate(current, baseline, gate(), "base")
    assert report.new == ["s/fresh"] and report.missing == ["s/gone"] and report.matched == 1
    assert failed(report) == {("candidate", "s/gone", "missing")}
    assert evaluate_gate(current, baseline, gate(fail_on_missing=False), "base").passed
    nothing = evaluate_gate(doc(record("t", "z", "x")), baseline, gate(fail_on_missing=False), "base")
    assert not nothing.passed and ("run", "baseline", "regression") in failed(nothing)


def test_error_rows_fail_the_gate():
    bad = {"story": "s", "id": "broken", "system": "", "status": "error", "error": "broken.txt: empty file",
           "metrics": {}, "claims": []}
    report = evaluate_gate(doc(record("s", "a", "x"), bad), None, gate())
    assert failed(report) == {("candidate", "s/broken", "error")}


def test_bootstrap_interval():
    deltas = np.array([-0.1, -0.2, -0.15, -0.05])
    low, high = bootstrap_interval(deltas, 2000, seed=1)
    assert low <= deltas.mean() <= high < 0
    assert bootstrap_interval(deltas, 2000, seed=1) == (low, high)


def test_markdown_and_junit():
    report = evaluate_gate(doc(record("s", "a", "x", faithfulness=0.1)), None, gate(thresholds={"min_faithfulness": 0.5}))
    md = markdown(report)
    assert md.startswith("## Summary gate: ❌ failed") and "| ❌ | candidate | s/a | threshold |" in md
    suite = ET.fromstring(junit_xml(report).split("?>", 1)[1])
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    assert suite.find("testcase/failure").get("message") == "faithfulness 0.1 < min 0.5"


def test_gate_config_errors_name_the_field(tmp_path):
    path = tmp_path / "harness.toml"
    path.write_text("[gate.thresholds]\nmin_faithfulnes = 0.5\n", "utf-8")
    with pytest.raises(InputError) as err:
        load_gate_config(path)
    assert err.value.field == "gate.thresholds.min_faithfulnes"
    path.write_text("[gate.system.x]\nmax_contradicted = 'two'\n", "utf-8")
    with pytest.raises(InputError, match="expected a number"):
        load_gate_config(path)


def test_repository_config_and_committed_baseline():
    config = load_gate_config(ROOT / "harness.toml")
    assert config.thresholds["min_faithfulness"] == 0.30 and config.systems["digest"]["max_artefact"] == 4
    baseline = load_run_document(Path(config.baseline))
    assert baseline["format"] == BASELINE_FORMAT
    assert sorted(c["id"] for c in baseline["candidates"]) == ["digest", "rewrite", "takeaways"]
    assert Path(config.baseline).stat().st_size < 100_000  # a small committed file, not the report folder


@pytest.fixture(scope="module")
def regressed_run(config, tmp_path_factory):
    """The example story with the regressed rewrite swapped in for the original."""
    folder = tmp_path_factory.mktemp("regressed")
    shutil.copytree(ROOT / "candidates", folder / "candidates")
    shutil.copy(ROOT / "examples/regressed/venezuela-prisoners/rewrite.txt", folder / "candidates/venezuela-prisoners/rewrite.txt")
    changed = type(config)(**{**config.to_dict(), "candidates": str(folder / "candidates"), "reports": str(folder / "reports")})
    return write_reports(run(changed, quiet=True), folder / "reports", "regressed")


def test_gate_fails_on_the_regressed_example_naming_its_claims(regressed_run):
    gate_config = load_gate_config(ROOT / "harness.toml")
    baseline = load_run_document(Path(gate_config.baseline))
    report = evaluate_gate(load_run_document(regressed_run), baseline, gate_config, "baseline")
    regression = next(c for c in report.failures() if c.kind == "regression" and c.scope == "candidate")
    assert regression.name == "venezuela-prisoners/rewrite"
    assert "contradicted 2 -> 3" in regression.message
    details = "\n".join(regression.details)
    assert "between 800 and 1,200 political prisoners" in details and "number:800 and 1,200 vs 800 and 900" in details
    assert "Every political prisoner will be home" in details and "quote:" in details
    assert len(regression.details) == 2  # only the claims the change introduced
    assert {c.name for c in report.failures()} == {"venezuela-prisoners/rewrite", "rewrite"}


def test_gate_passes_on_the_baseline_candidates(run_result, tmp_path):
    folder = write_reports(run_result, tmp_path, "current")
    gate_config = load_gate_config(ROOT / "harness.toml")
    report = evaluate_gate(load_run_document(folder), load_run_document(Path(gate_config.baseline)), gate_config, "b")
    assert report.passed, [c.message for c in report.failures()]
    assert report.matched == 3 and not report.new and not report.missing


def test_cli_gate_exit_codes_and_outputs(regressed_run, tmp_path, capsys):
    config = ["--config", str(ROOT / "harness.toml")]
    md, junit = tmp_path / "gate.md", tmp_path / "gate.xml"
    assert main(["gate", "--run", str(regressed_run), "--markdown", str(md), "--junit", str(junit)] + config) == 1
    out = capsys.readouterr().out
    assert "FAIL candidate venezuela-prisoners/rewrite" in out and "gate FAILED" in out
    assert "800 and 1,200" in md.read_text() and 'failures="4"' in junit.read_text()
    assert main(["gate", "--run", str(tmp_path / "nowhere")] + config) == 2
    assert main(["gate", "--run", str(regressed_run), "--baseline", str(tmp_path / "none.json")] + config) == 2
    assert "baseline not found" in capsys.readouterr().err


def test_cli_baseline_records_a_small_file(regressed_run, tmp_path):
    out = tmp_path / "b" / "baseline.json"
    assert main(["baseline", "--run", str(regressed_run), "--out", str(out), "--config", str(ROOT / "harness.toml")]) == 0
    document = json.loads(out.read_text())
    assert document["format"] == BASELINE_FORMAT and len(document["candidates"]) == 3
    assert document == baseline_document(load_run_document(regressed_run)) | {}
    report = evaluate_gate(load_run_document(regressed_run), document, GateConfig(), "self")
    assert report.passed  # a run never regresses against itself


def test_python_api_and_fixture(harness_evaluator):
    sources = [ROOT / "gold/venezuela-prisoners/002_2a69d3917cd8dd3d.txt"]
    result = harness_evaluator.evaluate(sources, "Rights groups estimate that between 800 and 1,000 political prisoners are held.")
    assert [c["verdict"] for c in result.claims] == ["contradicted"]
    assert "800 and 1,000 vs 800 and 900" in result.explain()
    good = harness_evaluator.evaluate(sources, "Rights groups estimate that between 800 and 900 political prisoners are held.",
                                      key_facts=["Rights groups estimate 800 to 900 political prisoners."])
    assert good.metrics["faithfulness"] == 1.0 and good.metrics["coverage"] == 1.0 and not good.failing()


def test_pytest_plugin_collects_and_fails_with_claims(pytester, config):
    for name in ("gold", "candidates"):
        shutil.copytree(ROOT / name, pytester.path / name)
    shutil.copy(ROOT / "examples/regressed/venezuela-prisoners/rewrite.txt", pytester.path / "candidates/venezuela-prisoners/rewrite.txt")
    shutil.copytree(ROOT / "reports/baseline", pytester.path / "reports/baseline")
    toml = (ROOT / "harness.toml").read_text("utf-8").replace('cache = ".cache/harness"', f'cache = "{config.cache}"')
    (pytester.path / "harness.toml").write_text(toml, "utf-8")
    result = pytester.runpytest("harness.toml", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*harness.toml::candidate?venezuela-prisoners/rewrite? FAILED*"])
    text = result.stdout.str()
    assert "summary gate failed for candidate[venezuela-prisoners/rewrite]" in text
    assert "number:800 and 1,200 vs 800 and 900" in text and "Every political prisoner will be home" in text
