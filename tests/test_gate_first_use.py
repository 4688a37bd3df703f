"""The gate as a new user meets it: a fresh folder with the example story and no harness.toml.

`harness run`, `harness gate` (nothing to check: exit 2), `harness baseline`, then a corrupted candidate
and `harness gate` again, which must fail naming the candidate and its claims, with defaults only. Also
`harness init`, and ROUGE against a declared reference summary."""

from __future__ import annotations

import json
import re
import shutil

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
