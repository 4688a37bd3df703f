"""The gate as a new user meets it: a fresh folder with the example story and no harness.toml.

`harness run`, `harness gate` (nothing to check: exit 2), `harness baseline`, then a corrupted candidate
and `harness gate` again, which must fail naming the candidate and its claims, with defaults only. Also
`harness init`, and ROUGE against a declared reference summary."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import CANDIDATES, GOLD

from harness.cli import main

REFERENCE_SUMMARY = (
    "Venezuela's government has begun releasing political prisoners after the United States captured Maduro.\n"
    "Rocío San Miguel was among the first prisoners released.\n"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh project folder holding the example story, a reference summary, and a candidate copying it."""
    story = tmp_path / "gold" / "venezuela-prisoners"
    shutil.copytree(GOLD, story)
    (story / "highlights.txt").write_text(REFERENCE_SUMMARY, "utf-8")
    with open(story / "story.yaml", "a", encoding="utf-8") as spec:
        spec.write("summaries:\n  - file: highlights.txt\n")
    shutil.copytree(CANDIDATES, tmp_path / "candidates" / "venezuela-prisoners")
    (tmp_path / "candidates" / "venezuela-prisoners" / "copy.txt").write_text(REFERENCE_SUMMARY, "utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(capsys) -> dict:
    assert main(["run", "--quiet"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return json.loads(open("reports/latest/run.json", encoding="utf-8").read())


def test_first_use_path_with_defaults_only(project, capsys):
    run = _run(capsys)
    assert main(["gate"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nothing to check" in err and "harness baseline" in err
    assert run["gate"]["passed"] is False and "nothing to check" in run["gate"]["failures"][0]["message"]
    assert main(["gate", "--no-baseline"]) == 0  # asked for explicitly: the built-in checks alone
    capsys.readouterr()

    assert main(["baseline"]) == 0
    assert "reports/baseline/baseline.json" in capsys.readouterr().out
    assert main(["gate"]) == 0
    assert "baseline reports/baseline/baseline.json: 4 matched" in capsys.readouterr().out

    takeaways = project / "candidates" / "venezuela-prisoners" / "takeaways.txt"
    takeaways.write_text(re.sub(r"\d+", lambda m: str(int(m.group()) * 3 + 1), takeaways.read_text("utf-8")), "utf-8")
    _run(capsys)
    assert main(["gate", "--markdown", "gate.md"]) == 1
    out = capsys.readouterr().out
    assert "FAIL candidate venezuela-prisoners/takeaways regression" in out
    assert "[unsupported" in out or "[contradicted" in out  # the claims that regressed, with their verdicts
    assert "venezuela-prisoners/digest" not in [line.split()[2] for line in out.splitlines() if line.startswith("FAIL")]


def test_reference_summary_rouge_is_reported_and_gateable(project, capsys):
    run = _run(capsys)
    by_id = {c["id"]: c["metrics"] for s in run["stories"] for c in s["candidates"]}
    assert by_id["copy"]["rouge1_summary"] == pytest.approx(1.0)
    assert by_id["copy"]["rougeLsum_summary"] == pytest.approx(1.0)
    assert by_id["copy"]["rouge1_max"] < 0.9  # against the articles it is a short summary
    assert all(0 < m["rouge2_summary"] < 1 for k, m in by_id.items() if k != "copy")
    header = open("reports/latest/candidates.csv", encoding="utf-8").readline().split(",")
    assert {"rouge1_summary", "rouge2_summary", "rougeLsum_summary"} <= set(header)
    assert "ROUGE-1 vs reference summary" in open("reports/latest/report.html", encoding="utf-8").read()
    (project / "harness.toml").write_text("[gate.thresholds]\nmin_rouge1_summary = 0.99\n", "utf-8")
    _run(capsys)
    assert main(["gate", "--config", "harness.toml"]) == 1
    failing = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL candidate")]
    assert failing and not any("/copy " in line for line in failing)


def test_reference_summary_rouge_is_absent_without_one(run_result):
    for result in run_result.results:
        assert result.metrics["reference_summaries"] == 0
        assert result.metrics["rouge1_summary"] is None  # absent, not zero


def test_init_writes_starter_files_once(tmp_path, capsys):
    assert main(["init", str(tmp_path)]) == 2  # no way to know how CI installs the harness: said, not guessed
    assert "--pip-spec" in capsys.readouterr().err and not (tmp_path / "harness.toml").exists()
    assert main(["init", str(tmp_path), "--pip-spec", "git+https://example.org/h.git $(id)"]) == 0
    config = (tmp_path / "harness.toml").read_text("utf-8")
    workflow = (tmp_path / ".github/workflows/summary-gate.yml").read_text("utf-8")
    assert "# min_faithfulness" in config and "# unsupported = 0" in config and "[gate.tolerance]" in config
    assert "harness gate" in workflow and "harness run" in workflow
    assert "pip install git+https://example.org/h.git '$(id)'" in workflow  # quoted for the shell
    assert main(["validate", "--config", str(tmp_path / "harness.toml")]) in (0, 2)  # parses: errors are folders
    assert "unknown key" not in capsys.readouterr().err
    before = (tmp_path / "harness.toml").read_text("utf-8")
    assert main(["init", str(tmp_path), "--pip-spec", "x"]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (tmp_path / "harness.toml").read_text("utf-8") == before
    (tmp_path / ".github/workflows/summary-gate.yml").unlink()
    assert main(["init", str(tmp_path), "--pip-spec", "x"]) == 0  # the missing workflow alone is written
    assert (tmp_path / "harness.toml").read_text("utf-8") == before
    other = tmp_path / "other"
    other.mkdir()
    assert main(["init", str(other), "--pip-spec", "x\n  - run: echo pwned"]) == 2
    assert main(["init", str(other), "--pip-spec", "x", "--gold", 'g"\nbaseline = "x']) == 2
    assert "control characters" in capsys.readouterr().err and not (other / "harness.toml").exists()


def test_init_makes_a_project_whose_printed_commands_and_workflow_steps_succeed(tmp_path, monkeypatch, capsys):
    """`harness init` in an empty folder, then every command it prints, then the CI workflow's harness steps,
    each exit 0; the gate then fails where it should (a candidate made worse than the baseline)."""
    import shlex

    import yaml

    monkeypatch.chdir(tmp_path)
    assert main(["init", "--pip-spec", "harness-wheel.whl"]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "gold/venezuela-releases/story.yaml").is_file()
    assert "summaries:" in (tmp_path / "gold/venezuela-releases/story.yaml").read_text("utf-8")
    ignore = (tmp_path / ".gitignore").read_text("utf-8").splitlines()
    assert "reports/*" in ignore and "!reports/baseline/" in ignore  # run folders out, the baseline in
    config = (tmp_path / "harness.toml").read_text("utf-8")
    assert '# name = "nli"' in config and "[gate.probe]" in config and "# min_catch_negation" in config
    commands = re.search(r"next: (.+)", printed).group(1).split("&&")
    assert [c.split()[:2] for c in commands] == [["harness", "run"], ["harness", "baseline"], ["harness", "gate"]]
    for command in commands:
        assert main(shlex.split(command)[1:]) == 0, (command, capsys.readouterr())
    out = capsys.readouterr().out
    assert "FAILED" not in out.split("gate PASSED")[0] or "nothing to check yet" in out
    workflow = yaml.safe_load((tmp_path / ".github/workflows/summary-gate.yml").read_text("utf-8"))
    steps = [s["run"] for s in workflow["jobs"]["gate"]["steps"] if str(s.get("run", "")).startswith("harness ")]
    summary = tmp_path / "step-summary.md"
    for step in steps:
        argv = shlex.split(step.replace('"$GITHUB_STEP_SUMMARY"', str(summary)))
        assert main(argv[1:]) == 0, (step, capsys.readouterr())
    assert summary.is_file() and (tmp_path / "reports/gate.xml").is_file()
    careful = tmp_path / "candidates/venezuela-releases/careful.txt"
    careful.write_text(careful.read_text("utf-8").replace("five Spanish", "fifty Spanish"), "utf-8")
    assert main(["run", "--quiet"]) == 0 and main(["gate"]) == 1  # worse than the baseline: the gate fails


def test_init_bare_and_a_project_with_data_get_no_example(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--bare", "--pip-spec", "x"]) == 0
    assert not (tmp_path / "gold").exists() and (tmp_path / ".gitignore").is_file()
    assert "put stories in gold/" in capsys.readouterr().out  # not a `harness run` that cannot succeed
    assert main(["init", str(tmp_path / "new" / "project"), "--pip-spec", "x"]) == 0  # created
    assert (tmp_path / "new/project/gold/venezuela-releases/story.yaml").is_file()
    for bad in (["--gold", "reports"], ["--gold", "."], ["--gold", "../outside"], ["--gold", "g", "--candidates", "g"]):
        assert main(["init", str(tmp_path / "bad"), "--pip-spec", "x", *bad]) == 2, bad
    assert main(["init", str(tmp_path / "bad"), "--pip-spec", "harness"]) == 2  # PyPI's harness is another project
    assert not (tmp_path / "bad").exists()
    other = tmp_path / "other"
    (other / "gold").mkdir(parents=True)
    assert main(["init", str(other), "--pip-spec", "x"]) == 0
    assert not (other / "candidates").exists() and "no example story" in capsys.readouterr().out


def test_a_gate_table_naming_no_story_or_system_is_an_error_with_a_suggestion(project, capsys):
    _run(capsys)
    assert main(["baseline"]) == 0
    Path("harness.toml").write_text("[gate.story.venezuela-prisoner]\nmax_unsupported = 3\n", "utf-8")
    assert main(["gate"]) == 2
    err = capsys.readouterr().err
    assert "[gate.story.venezuela-prisoner] (did you mean 'venezuela-prisoners'?)" in err
    Path("harness.toml").write_text("[gate.system.digests]\nmax_unsupported = 3\n", "utf-8")
    assert main(["gate"]) == 2 and "(did you mean 'digest'?)" in capsys.readouterr().err
    Path("harness.toml").write_text("[gate.system.digest]\nmax_unsupported = 30\n", "utf-8")
    assert main(["gate"]) == 0  # the edited [gate] applies without another run
    Path("harness.toml").write_text("[gate.system.digests]\nmax_unsupported = 3\n", "utf-8")
    assert main(["run", "--quiet"]) == 2  # the run writes its reports, then says the settings are wrong
    assert "(did you mean 'digest'?)" in capsys.readouterr().err


def test_old_run_folders_are_pruned_past_keep_runs_never_latest_or_the_baseline(project, capsys):
    Path("harness.toml").write_text("[paths]\nkeep_runs = 2\n", "utf-8")
    for _ in range(3):
        assert main(["run", "--quiet"]) == 0
    assert main(["baseline"]) == 0
    runs = sorted(p.name for p in Path("reports").iterdir() if (p / "run.json").is_file() and not p.is_symlink())
    assert len(runs) == 2 and Path("reports/latest").resolve().name in runs  # the oldest went
    assert Path("reports/baseline/baseline.json").is_file()
    (Path("reports") / "not-a-run").mkdir()  # no run.json: not the harness's, never removed
    capsys.readouterr()
    assert main(["clean", "--keep", "1"]) == 0
    assert "removed 1 run folder" in capsys.readouterr().out
    left = [p.name for p in Path("reports").iterdir() if not p.is_symlink()]
    assert sorted(left) == sorted(["baseline", "not-a-run", Path("reports/latest").resolve().name])
    assert main(["gate"]) == 0  # the baseline and latest still gate
    assert main(["clean", "--keep", "0"]) == 2
    kept_run = Path("reports/latest").resolve()
    assert main(["baseline", "--out", str(kept_run / "mybase.json"), "--force"]) == 0
    Path("harness.toml").write_text(
        f"[paths]\nkeep_runs = 1\n[gate]\nbaseline = '{kept_run / 'mybase.json'}'\n", "utf-8"
    )
    assert main(["run", "--quiet"]) == 0 and kept_run.is_dir()  # holds the configured baseline: never pruned
