import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_helpers import write_reports
from test_config import no_hang

import harness.gate.run_files
from harness.cli import main
from harness.config import load_config
from harness.config.gate_settings import GateConfig
from harness.document import InputError
from harness.gate import gate_section
from harness.gate.decision import baseline_deltas, bootstrap_interval, evaluate_gate
from harness.gate.outcome import GateReport
from harness.gate.recorded_settings import gate_settings, recorded_gate_config
from harness.gate.render import console_summary, junit_xml, markdown
from harness.gate.run_files import baseline_document, load_baseline, load_run_document
from harness.gate.schema import BASELINE_FORMAT
from harness.registry import GATED
from harness.run.pipeline import run

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
    config = gate(
        thresholds={"min_faithfulness": 0.5},
        stories={"s1": {"min_faithfulness": 0.7}},
        systems={"lenient": {"min_faithfulness": 0.1}},
    )
    current = doc(
        record("s1", "a", "strict", faithfulness=0.6),
        record("s2", "b", "strict", faithfulness=0.6),
        record("s1", "c", "lenient", faithfulness=0.2),
    )
    report = evaluate_gate(current, None, config)
    assert failed(report) == {("candidate", "s1/a", "threshold")}
    assert "faithfulness 0.6 < min 0.7" in report.failures()[0].message


def test_max_threshold_and_system_mean():
    config = gate(thresholds={"max_contradicted": 1})
    current = doc(record("s", "a", "x", contradicted=0), record("s", "b", "x", contradicted=3))
    assert failed(evaluate_gate(current, None, config)) == {
        ("candidate", "s/b", "threshold"),
        ("system", "x", "threshold"),
    }


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
    bad = {
        "story": "s",
        "id": "broken",
        "system": "",
        "status": "error",
        "error": "broken.txt: empty file",
        "metrics": {},
        "claims": [],
    }
    report = evaluate_gate(doc(record("s", "a", "x"), bad), None, gate())
    assert failed(report) == {("candidate", "s/broken", "error")}


def test_bootstrap_interval():
    deltas = np.array([-0.1, -0.2, -0.15, -0.05])
    low, high = bootstrap_interval(deltas, 2000, seed=1)
    assert low <= deltas.mean() <= high < 0
    assert bootstrap_interval(deltas, 2000, seed=1) == (low, high)


def test_markdown_and_junit():
    report = evaluate_gate(
        doc(record("s", "a", "x", faithfulness=0.1)), None, gate(thresholds={"min_faithfulness": 0.5})
    )
    md = markdown(report)
    assert md.startswith("## Summary gate: ❌ failed") and "| ❌ | candidate | s/a | threshold |" in md
    suite = ET.fromstring(junit_xml(report).split("?>", 1)[1])
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    assert suite.find("testcase/failure").get("message") == "faithfulness 0.1 < min 0.5"


def test_gate_config_errors_name_the_field(tmp_path):
    path = tmp_path / "harness.toml"
    path.write_text("[gate.thresholds]\nmin_faithfulnes = 0.5\n", "utf-8")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.field == "gate.thresholds.min_faithfulnes"
    path.write_text("[gate.system.x]\nmax_contradicted = 'two'\n", "utf-8")
    with pytest.raises(InputError, match="expected a finite number"):
        load_config(path)


def test_repository_config_and_committed_baseline():
    config = load_config(ROOT / "harness.toml").gate
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
    shutil.copy(
        ROOT / "examples/regressed/venezuela-prisoners/rewrite.txt",
        folder / "candidates/venezuela-prisoners/rewrite.txt",
    )
    changed = type(config)(
        **{**config.to_dict(), "candidates": str(folder / "candidates"), "reports": str(folder / "reports")}
    )
    return write_reports(run(changed, quiet=True), folder / "reports", "regressed")


def test_gate_fails_on_the_regressed_example_naming_its_claims(regressed_run):
    gate_config = load_config(ROOT / "harness.toml").gate
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
    gate_config = load_config(ROOT / "harness.toml").gate
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
    assert (
        main(["baseline", "--run", str(regressed_run), "--out", str(out), "--config", str(ROOT / "harness.toml")]) == 0
    )
    document = json.loads(out.read_text())
    assert document["format"] == BASELINE_FORMAT and len(document["candidates"]) == 3
    assert document == baseline_document(load_run_document(regressed_run)) | {}
    report = evaluate_gate(load_run_document(regressed_run), document, GateConfig(), "self")
    assert report.passed  # a run never regresses against itself


def test_python_api_and_fixture(harness_evaluator):
    sources = [ROOT / "gold/venezuela-prisoners/002_2a69d3917cd8dd3d.txt"]
    result = harness_evaluator.evaluate(
        sources, "Rights groups estimate that between 800 and 1,000 political prisoners are held."
    )
    assert [c["verdict"] for c in result.claims] == ["contradicted"]
    assert "800 and 1,000 vs 800 and 900" in result.explain()
    good = harness_evaluator.evaluate(
        sources,
        "Rights groups estimate that between 800 and 900 political prisoners are held.",
        key_facts=["Rights groups estimate 800 to 900 political prisoners."],
    )
    assert good.metrics["faithfulness"] == 1.0 and good.metrics["coverage"] == 1.0 and not good.failing()


def test_pytest_plugin_collects_and_fails_with_claims(pytester, config):
    for name in ("gold", "candidates"):
        shutil.copytree(ROOT / name, pytester.path / name)
    shutil.copy(
        ROOT / "examples/regressed/venezuela-prisoners/rewrite.txt",
        pytester.path / "candidates/venezuela-prisoners/rewrite.txt",
    )
    shutil.copytree(ROOT / "reports/baseline", pytester.path / "reports/baseline")
    toml = (ROOT / "harness.toml").read_text("utf-8").replace('cache = ".cache/harness"', f'cache = "{config.cache}"')
    (pytester.path / "harness.toml").write_text(toml, "utf-8")
    result = pytester.runpytest("harness.toml", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*harness.toml::candidate?venezuela-prisoners/rewrite? FAILED*"])
    text = result.stdout.str()
    assert "summary gate failed for candidate[venezuela-prisoners/rewrite]" in text
    assert "number:800 and 1,200 vs 800 and 900" in text and "Every political prisoner will be home" in text


# ---- bad inputs: an InputError naming the file and the field, never a traceback -----------------------------


def run_doc(*candidates):
    """A minimal run.json (the shape `harness run` writes) with one story."""
    return {"stories": [{"id": "s", "candidates": list(candidates)}], "errors": []}


def run_candidate(cid="a", **changes):
    cand = {
        "id": cid,
        "path": f"candidates/s/{cid}.txt",
        "system": "x",
        "status": "ok",
        "error": "",
        "metrics": {"faithfulness": 0.8, "contradicted": 0},
        "claims": [
            {
                "id": f"{cid}#1",
                "text": "A claim.",
                "verdict": "unsupported",
                "p_support": 0.1,
                "failed_checks": [],
                "evidence": [{"text": "Evidence.", "source": "ref"}],
            }
        ],
    }
    cand.update(changes)
    return cand


def bad_document(tmp_path, content) -> InputError:
    path = tmp_path / "run.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    with pytest.raises(InputError) as err:
        load_run_document(path)
    assert err.value.path == str(path)
    return err.value


@pytest.mark.parametrize(
    "content, field, problem",
    [
        ({"stories": [1]}, "stories/0", "is not of type 'object'"),
        ({"stories": [{"id": "s", "candidates": "x"}]}, "stories/0/candidates", "is not of type 'array'"),
        ({"stories": [{"candidates": []}]}, "stories/0", "'id' is a required property"),
        ({"stories": "all"}, "stories", "is not of type 'array'"),
        (
            run_doc(run_candidate(metrics={"faithfulness": "high"})),
            "stories/0/candidates/0/metrics/faithfulness",
            "is not of type 'number', 'null'",
        ),
        (run_doc(run_candidate(metrics={"faithfulness": True})), "stories/0/candidates/0/metrics/faithfulness", "True"),
        (run_doc(run_candidate(metrics={"key_facts": False})), "stories/0/candidates/0/metrics/key_facts", "False"),
        (
            run_doc(run_candidate(metrics={"faithfulness": 1e300})),
            "stories/0/candidates/0/metrics/faithfulness",
            "greater than the maximum",
        ),
        (run_doc(run_candidate(metrics=[0.5])), "stories/0/candidates/0/metrics", "is not of type 'object'"),
        (run_doc(run_candidate(status="fine")), "stories/0/candidates/0/status", "is not one of ['ok', 'error']"),
        (
            run_doc(run_candidate(claims=[{"id": "c"}])),
            "stories/0/candidates/0/claims/0",
            "'text' is a required property",
        ),
        (
            run_doc(run_candidate(claims=[{**run_candidate()["claims"][0], "evidence": [{"text": 1, "source": "r"}]}])),
            "stories/0/candidates/0/claims/0/evidence/0/text",
            "is not of type 'string'",
        ),
        ({**run_doc(), "errors": [3]}, "errors/0", "is not of type 'string'"),
        ({"format": BASELINE_FORMAT}, "(top level)", "'candidates' is a required property"),
        ({"format": "harness-baseline/9", "candidates": []}, "format", f"'{BASELINE_FORMAT}' was expected"),
        (doc({"story": "s", "id": "a"}), "candidates/0", "'system' is a required property"),
        (
            doc({**record("s", "a", "x"), "claims": [{"id": "c", "verdict": "supported"}]}),
            "candidates/0/claims/0",
            "'text' is a required property",
        ),
    ],
)
def test_structurally_bad_run_or_baseline_names_the_field(tmp_path, content, field, problem):
    error = bad_document(tmp_path, content)
    assert error.field == field and problem in error.problem, str(error)


@pytest.mark.parametrize(
    "content, problem",
    [
        ("[1, 2]", "not a harness run.json"),
        ('{"run_id": "x"}', "not a harness run.json"),
        ('{"stories": [], "x": NaN}', "NaN is not a finite number"),
        ('{"stories": [], "x": -Infinity}', "-Infinity is not a finite number"),
        ('{"stories": [], "x": 1e999}', "1e999 is not a finite number"),
        ('{"stories": [], "x": 1' + "0" * 5000 + "}", "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"stories": [', "invalid JSON at line 1"),
    ],
)
def test_unreadable_run_files(tmp_path, content, problem):
    assert problem in bad_document(tmp_path, content).problem


def test_run_files_are_size_bounded_and_must_be_regular(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run_doc(run_candidate())), "utf-8")
    monkeypatch.setattr(harness.gate.run_files, "MAX_JSON_BYTES", 100)
    with pytest.raises(InputError, match="over the 0.0001 MB limit"):
        load_run_document(path)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for bad in (fifo, tmp_path / "folder-of-nothing"):
        with no_hang(), pytest.raises(InputError) as err:
            load_run_document(bad)
        assert err.value.path == str(bad)
    folder = tmp_path / "with-fifo"
    folder.mkdir()
    os.mkfifo(folder / "run.json")
    with no_hang(), pytest.raises(InputError, match="not a regular file"):
        load_run_document(folder)


@pytest.mark.parametrize(
    "text, field, problem",
    [
        ("[gate]\nbootstrap_samples = 0", "gate.bootstrap_samples", "a whole number in [100, 100000]"),
        ("[gate]\nbootstrap_samples = 10000000", "gate.bootstrap_samples", "a whole number in [100, 100000]"),
        ("[gate]\nbootstrap_samples = 500.0", "gate.bootstrap_samples", "a whole number in [100, 100000]"),
        ("[gate]\nseed = -1", "gate.seed", "a whole number >= 0"),
        ("[gate]\nseed = 'zero'", "gate.seed", "a whole number >= 0"),
        ("[gate]\nfail_on_missing = 'no'", "gate.fail_on_missing", "expected true or false"),
        ("[gate]\nfail_on_missing = 0", "gate.fail_on_missing", "expected true or false"),
        ("[gate]\nbaseline = 5", "gate.baseline", "a non-empty string"),
        ("[gate]\nbaseline = ''", "gate.baseline", "a non-empty string"),
        ("[gate]\nstory = 5", "gate.story", "expected a table"),
        ("[gate]\nsystem = 'digest'", "gate.system", "expected a table"),
        ("[gate]\nthresholds = [1]", "gate.thresholds", "expected a table"),
        ("[gate]\ntolerance = 0.1", "gate.tolerance", "expected a table"),
        ("[gate.story]\ns = 5", "gate.story.s", "expected a table"),
        ("gate = 3", "gate", "expected a table"),
        ("[gate.thresholds]\nmin_faithfulness = nan", "gate.thresholds.min_faithfulness", "a finite number"),
        ("[gate.system.x]\nmax_contradicted = inf", "gate.system.x.max_contradicted", "a finite number"),
        ("[gate.story.s]\nmin_faithfulness = true", "gate.story.s.min_faithfulness", "a finite number"),
        ("[gate.tolerance]\nfaithfulness = nan", "gate.tolerance.faithfulness", "a finite number >= 0"),
        ("[gate.tolerance]\nfaithfulness = -0.1", "gate.tolerance.faithfulness", "a finite number >= 0"),
        ("[gate.tolerance]\nfaithfulness = true", "gate.tolerance.faithfulness", "a finite number >= 0"),
        ("[gate.tolerance]\nfaithfulnes = 0.1", "gate.tolerance.faithfulnes", "unknown metric"),
        ("[gate]\nbaseline_file = 'x'", "gate.baseline_file", "unknown key"),
    ],
)
def test_gate_settings_are_type_and_range_checked(tmp_path, text, field, problem):
    path = tmp_path / "harness.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert (err.value.path, err.value.field) == (str(path), field) and problem in err.value.problem, str(err.value)


def test_gate_settings_keep_their_types(tmp_path):
    path = tmp_path / "harness.toml"
    path.write_text("[gate]\nfail_on_missing = false\nbootstrap_samples = 100\nseed = 7\n", "utf-8")
    gate_config = load_config(path).gate
    assert (gate_config.fail_on_missing, gate_config.bootstrap_samples, gate_config.seed) == (False, 100, 7)


def test_zero_checks_never_pass(tmp_path):
    assert not GateReport([], 0, [], [], None).passed
    report = evaluate_gate({"stories": []}, None, gate())
    assert not report.passed and failed(report) == {("run", "candidates", "error")}
    assert "0 of 1 checks passed" in console_summary(report, "x")
    path = tmp_path / "run.json"
    path.write_text('{"stories": []}', "utf-8")
    config = tmp_path / "harness.toml"
    config.write_text("[gate]\n", "utf-8")
    assert main(["gate", "--run", str(path), "--no-baseline", "--config", str(config)]) == 1


@pytest.mark.parametrize("content", ["{ not json", '{"format": "harness-baseline/1"}', '{"stories": [1]}'])
def test_corrupt_configured_baseline_is_recorded_not_raised(tmp_path, content):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content, "utf-8")
    section = gate_section(doc(record("s", "a", "x")), gate(baseline=str(baseline)))
    assert section["passed"] is False and section["error"].startswith(f"{baseline}: ")
    missing = gate_section(
        doc(record("s", "a", "x")), gate(baseline=str(tmp_path / "none.json"), thresholds={"min_faithfulness": 0.1})
    )
    assert missing["passed"] and "error" not in missing  # no baseline recorded yet: thresholds only
    empty = gate_section(doc(record("s", "a", "x")), gate(baseline=str(tmp_path / "none.json")))
    assert not empty["passed"] and empty["failures"][0]["kind"] == "empty"  # and without thresholds: nothing to check


def test_run_writes_reports_with_a_corrupt_baseline_and_gate_exits_2(run_result, tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"format": "harness-baseline/1", "candidates": [{"story": "s"}]}', "utf-8")
    folder = write_reports(run_result, tmp_path / "reports", "corrupt", gate(baseline=str(baseline)))
    document = json.loads((folder / "run.json").read_text("utf-8"))
    assert document["gate"]["error"] == f"{baseline}: candidates/0: 'id' is a required property"
    html = (folder / "report.html").read_text("utf-8")
    assert "Gate not evaluated." in html and "candidates/0: &#39;id&#39; is a required property" in html
    config = tmp_path / "harness.toml"
    config.write_text(f"[gate]\nbaseline = '{baseline}'\n", "utf-8")
    assert main(["gate", "--run", str(folder), "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {baseline}: candidates/0: 'id' is a required property"


def test_cli_gate_refuses_fifos_and_bad_shapes_with_exit_2(tmp_path, capsys):
    config = tmp_path / "harness.toml"
    config.write_text("[gate]\n", "utf-8")
    good = tmp_path / "run.json"
    good.write_text(json.dumps(run_doc(run_candidate())), "utf-8")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    bad = tmp_path / "bad.json"
    bad.write_text('{"stories": [{"id": "s", "candidates": [{"candidates": "x"}]}]}', "utf-8")
    for args, name in [
        (["--run", str(fifo)], fifo),
        (["--run", str(good), "--baseline", str(fifo)], fifo),
        (["--run", str(bad)], bad),
        (["--run", str(good), "--baseline", str(bad)], bad),
    ]:
        with no_hang():
            assert main(["gate", *args, "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {name}: ") and err.count("\n") == 1, err
    assert main(["gate", "--run", str(good), "--baseline", str(good), "--config", str(config)]) == 0


# ---- property: any JSON written as a run or a baseline is gated or is an InputError ------------------------

json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
name = st.sampled_from(["a", "b", "c", ""])
metric_value = st.none() | st.floats(0, 1) | st.integers(0, 4)
metrics = st.dictionaries(st.sampled_from(sorted(GATED)), metric_value, max_size=5)
claim_fields = {
    "id": name,
    "text": st.sampled_from(["One.", "Two."]),
    "p_support": st.none() | st.floats(0, 1),
    "verdict": st.sampled_from(["supported", "contradicted", "unsupported", "artefact"]),
    "failed_checks": st.lists(st.text(max_size=4), max_size=2),
}
record_fields = {
    "id": name,
    "system": name,
    "status": st.sampled_from(["ok", "ok", "error"]),
    "error": st.none() | name,
    "metrics": metrics,
}
run_candidates = st.fixed_dictionaries(
    {
        **record_fields,
        "path": name,
        "claims": st.lists(
            st.fixed_dictionaries(
                {
                    **claim_fields,
                    "evidence": st.lists(st.fixed_dictionaries({"text": name, "source": name}), max_size=2),
                }
            ),
            max_size=3,
        ),
    }
)
valid_run = st.fixed_dictionaries(
    {
        "stories": st.lists(
            st.fixed_dictionaries({"id": name, "candidates": st.lists(run_candidates, max_size=4)}), max_size=2
        ),
        "errors": st.lists(name, max_size=2),
    }
)
valid_baseline = st.fixed_dictionaries(
    {
        "format": st.just(BASELINE_FORMAT),
        "candidates": st.lists(
            st.fixed_dictionaries(
                {**record_fields, "story": name, "claims": st.lists(st.fixed_dictionaries(claim_fields), max_size=3)}
            ),
            max_size=6,
        ),
    }
)


def _slots(value):
    """Every (container, key) in a JSON value, so one of them can be broken."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in list(items):
        yield value, key
        yield from _slots(child)


@st.composite
def broken(draw, documents):
    """A valid document with one value replaced by arbitrary JSON, or one key removed."""
    document = draw(documents)
    slots = list(_slots(document))
    container, key = draw(st.sampled_from(slots))
    if isinstance(container, dict) and draw(st.booleans()):
        del container[key]
    else:
        container[key] = draw(json_value)
    return document


documents = st.one_of(valid_run, valid_baseline, broken(valid_run), broken(valid_baseline), json_value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(current=documents, baseline=st.just(()) | documents.map(lambda d: (d,)))  # () for no baseline
def test_any_json_is_gated_or_is_an_input_error(current, baseline):
    config = gate(
        bootstrap_samples=100,
        thresholds={"min_faithfulness": 0.5, "max_contradicted": 1},
        tolerance={"faithfulness": 0.05, "contradicted": 0},
    )
    loaded = []
    with tempfile.TemporaryDirectory() as folder:
        for label, value in [("run", current)] + [("baseline", b) for b in baseline]:
            path = Path(folder) / f"{label}.json"
            path.write_text(json.dumps(value), "utf-8")
            try:
                loaded.append(load_run_document(path))
            except InputError as error:
                assert error.path == str(path) and error.problem
                return
    loaded.append(None)
    report = evaluate_gate(loaded[0], loaded[1], config, "baseline" if loaded[1] else None)
    console_summary(report, "x"), markdown(report), junit_xml(report)
    if loaded[1] is not None:
        baseline_deltas(loaded[0], loaded[1])
    assert report.checks and report.passed == all(c.passed for c in report.checks)


# ---- issue 13: metrics not applicable, one baseline loader, valid JUnit, one-screen console output ------------


def unkeyed(story, cid, system, **metrics):
    """A candidate of a story without key facts: coverage is not applicable, not missing."""
    return record(
        story, cid, system, key_facts=0, key_facts_covered=None, coverage=None, weighted_coverage=None, **metrics
    )


def test_coverage_without_key_facts_neither_passes_nor_fails():
    config = gate(thresholds={"min_weighted_coverage": 0.4, "min_faithfulness": 0.5})
    report = evaluate_gate(doc(unkeyed("free", "a", "x"), unkeyed("free", "b", "y", faithfulness=0.1)), None, config)
    assert failed(report) == {("candidate", "free/b", "threshold"), ("system", "y", "threshold")}
    messages = {c.name: c.message for c in report.checks}
    assert messages["free/a"] == "meets thresholds (min_weighted_coverage not applied: the story has no key facts)"
    assert messages["free/b"].startswith("faithfulness 0.1 < min 0.5 (min_weighted_coverage not applied")
    assert messages["x"] == "meets thresholds (min_weighted_coverage not applied: none of its stories has key facts)"
    [warning] = report.warnings()
    assert warning == (
        "1 story has no key facts (free): coverage, weighted_coverage, key_facts_covered are not "
        "applicable to their candidates; min_weighted_coverage neither passes nor fails them"
    )
    assert f"warning: {warning}" in console_summary(report, "x") and f"**warning:** {warning}" in markdown(report)
    suite = ET.fromstring(junit_xml(report).split("?>", 1)[1])
    assert suite.find("properties/property").get("value") == warning
    section = gate_section(doc(unkeyed("free", "a", "x")), config)
    assert (
        section["passed"] and section["warnings"] == [warning] and section["not_applied"] == ["min_weighted_coverage"]
    )


def test_a_metric_missing_for_another_reason_still_fails():
    config = gate(thresholds={"min_weighted_coverage": 0.4})
    keyed_but_missing = record("s", "a", "x", key_facts=3, weighted_coverage=None)
    error = {**record("s", "b", "x"), "status": "error", "error": "b.txt: empty file", "metrics": {}}
    mixed = [unkeyed("free", "c", "x"), record("s", "d", "x", key_facts=2, weighted_coverage=0.5)]
    report = evaluate_gate(doc(keyed_but_missing, error, *mixed), None, config)
    assert failed(report) == {("candidate", "s/a", "threshold"), ("candidate", "s/b", "error")}
    assert "weighted_coverage is not available" in next(c.message for c in report.failures() if c.name == "s/a")
    system = next(c for c in report.checks if c.scope == "system")  # one story has key facts: the system is held to it
    assert system.passed and system.message == "meets thresholds"


def test_junit_is_valid_xml_with_control_characters_in_claims():
    bad = "The \x00minister\x1b said \x0bno\ufffe."
    current = doc(
        {
            **record("s", "a\x07", "x", faithfulness=0.1),
            "claims": [
                {
                    "id": "a#1",
                    "text": bad,
                    "verdict": "contradicted",
                    "p_support": 0.1,
                    "failed_checks": [f"quote:{bad}"],
                }
            ],
        }
    )
    report = evaluate_gate(current, None, gate(thresholds={"min_faithfulness": 0.5}))
    text = junit_xml(report)
    suite = ET.fromstring(text.split("?>", 1)[1])  # would raise on an XML-illegal character
    failure = next(case.find("failure") for case in suite.findall("testcase") if case.find("failure") is not None)
    assert "The minister said no." in failure.text and "\x00" not in text and "\x1b" not in text
    assert suite.find("testcase").get("name") == "s/a [threshold]"


def test_load_baseline_is_the_one_loader(tmp_path):
    assert load_baseline(None) is None and load_baseline("") is None
    assert load_baseline(tmp_path / "none.json") is None  # configured but never recorded: thresholds only
    with pytest.raises(InputError, match="baseline not found"):
        load_baseline(tmp_path / "none.json", required=True)
    corrupt = tmp_path / "baseline.json"
    corrupt.write_text("{ not json", "utf-8")
    with pytest.raises(InputError) as err:
        load_baseline(corrupt)
    assert err.value.path == str(corrupt)
    corrupt.write_text(json.dumps(doc(record("s", "a", "x"))), "utf-8")
    assert load_baseline(corrupt)["candidates"][0]["id"] == "a"
    sources = [*(ROOT / "harness/cli").glob("*.py"), *(ROOT / "harness/gate").glob("*.py")]
    for path in [*sources, ROOT / "harness/pytest_plugin.py"]:  # nobody else decides whether a baseline exists
        assert "load_run_document(Path(gate.baseline))" not in path.read_text("utf-8"), path


def test_console_summary_fits_a_screen_and_shows_small_runs_whole():
    small = evaluate_gate(
        doc(record("s", "a", "x", faithfulness=0.1), record("s", "b", "x")),
        None,
        gate(thresholds={"min_faithfulness": 0.5}),
    )
    lines = console_summary(small, "gate.md").splitlines()
    assert [line[:4] for line in lines[:3]] == ["FAIL", "FAIL", "PASS"]  # every check, failures first
    assert lines[3:] == [
        "failing checks: 2 threshold",
        "every check and its failing claims: gate.md",
        "gate FAILED: 1 of 3 checks passed; no baseline",
    ]
    big = evaluate_gate(
        doc(*[record(f"s{i}", f"c{j}", f"x{j}", faithfulness=0.1) for i in range(40) for j in range(5)]),
        None,
        gate(thresholds={"min_faithfulness": 0.5}),
    )
    text = console_summary(big, "gate.md")
    assert len(text.splitlines()) == 25 and "... and 184 more failing checks" in text  # 21 shown: the screen is used
    assert "failing checks: 205 threshold" in text and "PASS" not in text


def test_gate_settings_round_trip_through_run_json(tmp_path):
    config = tmp_path / "harness.toml"
    config.write_text(
        "[gate]\nbaseline = 'b/baseline.json'\nfail_on_missing = false\nseed = 3\n"
        "[gate.thresholds]\nmin_faithfulness = 0.4\n[gate.system.x]\nmax_artefact = 2\n",
        "utf-8",
    )
    original = load_config(config).gate
    settings = json.loads(json.dumps(gate_settings(original)))
    assert settings["baseline"] == str(tmp_path / "b/baseline.json")  # absolute, whatever folder reads it
    again = recorded_gate_config({"gate": {"settings": settings}}, tmp_path / "run.json")
    assert again == original
    assert recorded_gate_config({"stories": []}, tmp_path / "run.json") is None
    settings["thresholds"]["min_faithfulness"] = "high"
    with pytest.raises(InputError) as err:
        recorded_gate_config({"gate": {"settings": settings}}, tmp_path / "run.json")
    assert err.value.field == "gate.settings.thresholds.min_faithfulness"


def test_error_rows_are_named(tmp_path):
    from types import SimpleNamespace

    from harness.report.tables import _without_secrets, names

    config = SimpleNamespace(gold=str(tmp_path / "gold"), candidates=str(tmp_path / "cands"))
    (tmp_path / "gold" / "s").mkdir(parents=True)
    (tmp_path / "cands" / "orphan").mkdir(parents=True)

    def row(story, path):
        return names(SimpleNamespace(story=story, document=None, path=str(path)), config)

    assert row("s", tmp_path / "cands/s/bad.json") == ("s", "bad", "bad")
    assert row("s", tmp_path / "cands/s") == ("s", "", "")  # no candidate files: the story's row
    assert row("", tmp_path / "gold/s/story.yaml") == ("s", "", "")
    assert row("", tmp_path / "cands/orphan") == ("orphan", "", "")
    assert row("", tmp_path / "cands") == ("", "", "")
    assert _without_secrets({"judge_options": {"api_key": "k", "chunks": "all"}, "gold": "g"}) == {
        "judge_options": {"api_key": "(not recorded)", "chunks": "all"},
        "gold": "g",
    }


def test_pytest_plugin_names_a_corrupt_baseline(pytester, config):
    for name in ("gold", "candidates"):
        shutil.copytree(ROOT / name, pytester.path / name)
    (pytester.path / "reports/baseline").mkdir(parents=True)
    (pytester.path / "reports/baseline/baseline.json").write_text('{"format": "harness-baseline/1"', "utf-8")
    toml = (ROOT / "harness.toml").read_text("utf-8").replace('cache = ".cache/harness"', f'cache = "{config.cache}"')
    (pytester.path / "harness.toml").write_text(toml, "utf-8")
    result = pytester.runpytest("harness.toml", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)  # the candidates and systems are still held to their thresholds
    text = result.stdout.str()
    assert "INTERNALERROR" not in text and "harness.toml::baseline FAILED" in text
    assert f"the baseline cannot be read: {pytester.path / 'reports/baseline/baseline.json'}: invalid JSON" in text


def test_gate_and_baseline_read_the_latest_run_of_the_configured_reports_folder(
    run_result, tmp_path, monkeypatch, capsys
):
    """Without --run, `harness baseline` and `harness gate` read <reports>/latest of the settings, never a
    hard-coded reports/latest."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "harness.toml").write_text('[paths]\nreports = "out"\n', "utf-8")
    write_reports(run_result, tmp_path / "out", "first")
    assert main(["baseline"]) == 0
    assert "-> out/baseline/baseline.json" in capsys.readouterr().out
    assert not (tmp_path / "reports").exists()
    assert main(["gate"]) == 0
    assert "baseline out/baseline/baseline.json: 3 matched" in capsys.readouterr().out
    assert main(["gate", "--config", str(tmp_path / "harness.toml")]) == 0  # a named config's folder, absolute
    assert f"baseline {tmp_path / 'out/baseline/baseline.json'}: 3 matched" in capsys.readouterr().out


def test_gaining_an_artefact_fails_by_default():
    """The built-in regression check the help and the README state: an artefact more than the baseline (a
    chatbot leftover, a field dump) fails with no [gate.tolerance] setting at all."""
    baseline = doc(record("s", "a", "x", artefact=0), record("s", "b", "x", artefact=1))
    current = doc(record("s", "a", "x", artefact=1), record("s", "b", "x", artefact=1))
    report = evaluate_gate(current, baseline, gate(), "base")
    assert ("candidate", "s/a", "regression") in failed(report)
    assert ("candidate", "s/b", "regression") not in failed(report)
    assert "artefact 0 -> 1" in next(c.message for c in report.failures() if c.name == "s/a")
