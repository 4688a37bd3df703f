"""The gate and the command line at the size users run them (issue 13: 100 stories x 16 systems printed
4,025 gate lines, overwrote the committed baseline and failed every candidate of a story without key facts)."""

import copy
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from report_helpers import write_reports

from harness.cli import main
from harness.cli.run_commands import run_summary
from harness.config import load_config
from harness.gate.recorded_settings import gate_settings
from harness.gate.run_files import baseline_document
from harness.gate.schema import BASELINE_FORMAT

MAX_LINES = 30  # what the tests allow a console summary (the code aims at 25)


@pytest.fixture(scope="module")
def real_run(run_result, tmp_path_factory) -> dict:
    """run.json of the example story, as `harness run` writes it: the structure the synthetic runs copy."""
    folder = write_reports(run_result, tmp_path_factory.mktemp("real"), "real")
    return json.loads((folder / "run.json").read_text("utf-8"))


def synthetic_run(real: dict, stories: int = 100, systems: int = 16, prefix: str = "story") -> dict:
    """`stories` x `systems` candidates, each a copy of the real rewrite (its failing claims, evidence and
    checks) with its own id, system and faithfulness: ((story + system) % 10) / 10, so half of them fail
    min_faithfulness = 0.5. Even stories have no key facts, as in the user's run."""
    template = next(c for c in real["stories"][0]["candidates"] if c["id"] == "rewrite")
    template = {**template, "claims": [c for c in template["claims"] if c["verdict"] != "supported"][:3]}
    story_list = []
    for i in range(stories):
        keyed = i % 2 == 1
        candidates = []
        for j in range(systems):
            metrics = {**template["metrics"], "faithfulness": ((i + j) % 10) / 10, "contradicted": 0}
            if not keyed:
                metrics.update(key_facts=0, key_facts_covered=None, coverage=None, weighted_coverage=None)
            candidates.append(
                {
                    **copy.deepcopy(template),
                    "id": f"sys{j:02d}",
                    "system": f"sys{j:02d}",
                    "path": f"candidates/{prefix}{i:03d}/sys{j:02d}.txt",
                    "metrics": metrics,
                }
            )
        story_list.append(
            {
                **real["stories"][0],
                "id": f"{prefix}{i:03d}",
                "key_facts": real["stories"][0]["key_facts"] if keyed else [],
                "candidates": candidates,
            }
        )
    document = {k: v for k, v in real.items() if k != "gate"}
    return {**document, "run_id": f"synthetic-{prefix}", "stories": story_list, "errors": []}


def write_json(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document), "utf-8")
    return path


def expected_failures(document: dict) -> set[str]:
    return {
        f"{s['id']}/{c['id']}"
        for s in document["stories"]
        for c in s["candidates"]
        if c["metrics"]["faithfulness"] < 0.5
    }


def test_gate_of_1600_candidates_prints_one_screen_and_files_hold_every_failure(real_run, tmp_path, capsys):
    current = synthetic_run(real_run)
    baseline = copy.deepcopy(baseline_document(current))  # it shares the run's metric dicts
    for record in baseline["candidates"][:40]:  # these were better: 40 regressions
        record["metrics"]["faithfulness"] += 0.2
    config = tmp_path / "harness.toml"
    config.write_text("[gate.thresholds]\nmin_faithfulness = 0.5\nmin_weighted_coverage = 0.4\n", "utf-8")
    md, junit = tmp_path / "gate.md", tmp_path / "gate.xml"
    args = [
        "gate",
        "--run",
        str(write_json(tmp_path / "run.json", current)),
        "--config",
        str(config),
        "--baseline",
        str(write_json(tmp_path / "baseline.json", baseline)),
        "--markdown",
        str(md),
        "--junit",
        str(junit),
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    assert len(lines) <= MAX_LINES, "\n".join(lines)
    text = "\n".join(lines)
    assert lines[-1].startswith("gate FAILED: ") and "1,600 matched, 0 new, 0 missing" in lines[-1]
    assert lines[0] == f"gate settings: {config}"
    fails = [line.split()[1:4] for line in lines if line.startswith("FAIL")]
    assert fails[0] == ["candidate", "story000/sys00", "regression"]  # regressions first, then the other kinds
    assert [kind for _, _, kind in fails] == ["regression"] * 5 + ["threshold"] * 5
    assert f"failing checks: 40 regression, {len(expected_failures(current)) + 16:,} threshold" in text  # + 16 systems
    assert f"every check and its failing claims: {md}, {junit}" in text
    assert (
        "warning: 50 stories have no key facts (story000, story002, story004, story006, story008 and 45 more)" in text
    )
    assert "min_weighted_coverage neither passes nor fails them" in text
    markdown = md.read_text("utf-8")
    for name in expected_failures(current):
        assert f"| ❌ | candidate | {name} | threshold |" in markdown
    assert "weighted_coverage is not available" not in markdown  # not applicable is not a failure
    assert len(markdown.encode("utf-8")) <= 1_000_000 and "more checks are in the JUnit file" in markdown
    suite = ET.fromstring(junit.read_text("utf-8").split("?>", 1)[1])
    assert int(suite.get("tests")) == len(suite.findall("testcase")) and int(suite.get("failures")) > 800


def test_run_quiet_prints_one_screen_names_error_rows_and_totals(tmp_path, config):
    """12 stories x 3 tiny candidates through the real pipeline, with a bad file and an orphan story."""
    gold, cands = tmp_path / "gold", tmp_path / "candidates"
    for i in range(12):
        story = f"s{i:02d}"
        (gold / story).mkdir(parents=True)
        (cands / story).mkdir(parents=True)
        # odd stories have no key facts: none written, and no reference sentence long enough to derive one from
        reference = (
            f"Town {i} opened {i + 3} parks."
            if i % 2
            else f"The council of town {i} approved {i + 3} new parks on Monday."
        )
        (gold / story / "ref.txt").write_text(reference + "\n", "utf-8")
        facts = "" if i % 2 else f"key_facts:\n  - {{id: kf1, fact: The council approved {i + 3} new parks.}}\n"
        (gold / story / "story.yaml").write_text(f"title: Town {i}\nreferences: [{{file: ref.txt}}]\n{facts}", "utf-8")
        for name, n in (("alpha", i + 3), ("beta", i + 30), ("gamma", i + 3)):
            (cands / story / f"{name}.txt").write_text(f"Town {i} opened {n} parks.\n", "utf-8")
    (cands / "s00" / "broken.txt").write_text("", "utf-8")
    (cands / "orphan").mkdir()
    (cands / "orphan" / "x.txt").write_text("Nothing to compare with.\n", "utf-8")
    toml = tmp_path / "harness.toml"
    toml.write_text(
        f'[paths]\ncache = "{config.cache}"\n[gate.thresholds]\nmin_faithfulness = 0.5\nmin_weighted_coverage = 0.5\n',
        "utf-8",
    )
    out = tmp_path / "reports"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "run",
            "--quiet",
            "--config",
            str(toml),
            "--gold",
            str(gold),
            "--candidates",
            str(cands),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    lines = (run.stdout + run.stderr).splitlines()
    assert run.returncode == 2 and len(lines) <= MAX_LINES, run.stdout + run.stderr
    assert "Loading" not in run.stderr and "it/s" not in run.stderr  # --quiet: no progress bars of any library
    assert run.stdout.startswith("36 candidates evaluated, 36 claims, 2 errors in ")
    assert "worst 5 of 36 candidates by faithfulness" in run.stdout
    assert "warning: 6 stories have no key facts (s01, s03, s05, s07, s09 and 1 more)" in run.stdout
    assert "gate FAILED: " in run.stdout and "FAIL candidate" in run.stdout
    assert run.stdout.splitlines()[-1] == f"reports: {out / (out / 'latest').readlink()}"

    latest = out / "latest"
    rows = pd.read_csv(latest / "candidates.csv", keep_default_na=False)
    broken = rows[rows["path"].str.endswith("broken.txt")].iloc[0]
    assert (broken["story"], broken["candidate"], broken["system"], broken["status"]) == (
        "s00",
        "broken",
        "broken",
        "error",
    )
    orphan = rows[rows["error"].str.contains("have no references")].iloc[0]
    assert (orphan["story"], orphan["candidate"]) == ("orphan", "")
    assert (rows["status"] == "ok").sum() == 36

    systems = pd.read_csv(latest / "systems.csv").set_index("system")
    ok = rows[rows["status"] == "ok"].astype({"supported": float, "faithfulness": float})
    assert {"candidates", "supported_total", "contradicted_total", "claims_total", "faithfulness_mean"} <= set(
        systems.columns
    )
    assert not {"supported", "faithfulness"} & set(systems.columns)
    for system, members in ok.groupby("system"):
        assert systems.loc[system, "supported_total"] == members["supported"].sum()
        assert systems.loc[system, "faithfulness_mean"] == pytest.approx(members["faithfulness"].mean(), abs=1e-4)

    document = json.loads((latest / "run.json").read_text("utf-8"))
    assert document["config"]["gold"] == str(gold) and document["config"]["source"] == str(toml)
    assert document["gate"]["settings"]["thresholds"] == {"min_faithfulness": 0.5, "min_weighted_coverage": 0.5}
    assert document["warnings"] == [
        "6 stories have no key facts (s01, s03, s05, s07, s09, s11): coverage, "
        "weighted_coverage, key_facts_covered are not applicable to their candidates"
    ]
    assert "min_weighted_coverage neither passes nor fails them" in document["gate"]["warnings"][0]
    unkeyed = [f["message"] for f in document["gate"]["failures"] if f["name"].startswith(("s01/", "s03/", "s05/"))]
    assert unkeyed and all(
        m.endswith("(min_weighted_coverage not applied: the story has no key facts)")
        and "weighted_coverage" not in m.split(" (")[0]
        for m in unkeyed
    )


def test_gate_applies_the_config_it_reads_and_the_recorded_settings_only_when_asked(
    real_run, tmp_path, monkeypatch, capsys
):
    """An edited [gate] applies at once (issue 34); the settings the run recorded apply with
    --recorded-settings, and a difference between the two is said."""
    ours, other = synthetic_run(real_run, 3, 2), synthetic_run(real_run, 3, 2, prefix="other")
    ours_baseline = write_json(tmp_path / "ours.json", baseline_document(ours))
    write_json(tmp_path / "other.json", baseline_document(other))
    ours["gate"] = {"settings": gate_settings(load_config(None).gate) | {"baseline": str(ours_baseline)}}
    run = write_json(tmp_path / "run.json", ours)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "harness.toml").write_text("[gate]\nbaseline = '../other.json'\n", "utf-8")
    monkeypatch.chdir(folder)
    assert main(["gate", "--run", str(run), "--recorded-settings"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"gate settings: as recorded by the run ({run})")
    assert f"baseline {ours_baseline}: 6 matched, 0 new, 0 missing" in out
    assert main(["gate", "--run", str(run)]) == 1  # ./harness.toml: the [gate] read now
    out = capsys.readouterr().out
    assert "gate settings: harness.toml; the run recorded other [gate] settings (--recorded-settings" in out
    assert (
        "0 matched, 6 new, 6 missing" in out and "no candidate matches the baseline: it holds stories other000" in out
    )
    assert "--no-baseline" in out and len(out.splitlines()) <= MAX_LINES
    with pytest.raises(SystemExit):
        main(["gate", "--help"])
    assert "--recorded-settings applies the ones the run recorded" in " ".join(capsys.readouterr().out.split())


def test_baseline_refuses_other_stories_unless_forced(real_run, tmp_path, capsys):
    ours, other = synthetic_run(real_run, 2, 2), synthetic_run(real_run, 2, 2, prefix="other")
    runs = {name: write_json(tmp_path / f"{name}.json", doc) for name, doc in (("ours", ours), ("other", other))}
    out = tmp_path / "baseline.json"
    record = ["baseline", "--out", str(out), "--config", str(tmp_path / "none.toml")]
    (tmp_path / "none.toml").write_text("", "utf-8")
    assert main(record + ["--run", str(runs["ours"])]) == 0
    assert main(record + ["--run", str(runs["ours"])]) == 0  # the same stories: re-recorded
    recorded = out.read_text("utf-8")
    capsys.readouterr()
    assert main(record + ["--run", str(runs["other"])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        f"error: {out}: holds the baseline of 2 other stories (story000, story001)"
    )
    assert "--force" in err and out.read_text("utf-8") == recorded
    assert main(record + ["--run", str(runs["other"]), "--force"]) == 0
    assert {c["story"] for c in json.loads(out.read_text("utf-8"))["candidates"]} == {"other000", "other001"}
    out.write_text("{ not json", "utf-8")
    assert main(record + ["--run", str(runs["ours"])]) == 2
    assert "is not a baseline the harness can read" in capsys.readouterr().err
    assert main(record + ["--run", str(runs["ours"]), "--force"]) == 0
    assert json.loads(out.read_text("utf-8"))["format"] == BASELINE_FORMAT


def test_example_story_output_still_lists_every_candidate(real_run, tmp_path):
    """Three candidates fit the screen: each gets its line, as before."""
    out, err = run_summary(real_run, tmp_path)
    assert [line.split()[0] for line in out[1:4]] == [
        f"venezuela-prisoners/{c}" for c in ("digest", "rewrite", "takeaways")
    ]
    assert not err and out[-1] == f"reports: {tmp_path}"


def test_baseline_never_replaces_a_run_json_unasked(real_run, tmp_path, capsys):
    run = write_json(tmp_path / "run.json", synthetic_run(real_run, 2, 2))
    (tmp_path / "none.toml").write_text("", "utf-8")
    before = run.read_text("utf-8")
    assert main(["baseline", "--run", str(run), "--out", str(run), "--config", str(tmp_path / "none.toml")]) == 2
    assert "is not a baseline the harness can read (it is a run.json)" in capsys.readouterr().err
    assert run.read_text("utf-8") == before
