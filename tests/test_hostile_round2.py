"""Hostile input, round 2 (paths, outputs, numbers, text): each case ends in a clear error naming the file and
field, or a clean run that says what it did; nothing outside gold/ is read, nothing the command did not
write is overwritten. The LLM judge's transport cases are in test_llm_transport.py."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import CANDIDATES, GOLD

from harness.cli import main
from harness.cli.console import terminal_safe
from harness.document import Block, Document
from harness.ingest import load_stories, load_story
from harness.reading.claims import MAX_CLAIM_WORDS, split_claims


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copytree(GOLD, tmp_path / "gold" / "venezuela-prisoners")
    shutil.copytree(CANDIDATES, tmp_path / "candidates" / "venezuela-prisoners")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _spec(project: Path) -> Path:
    return project / "gold" / "venezuela-prisoners" / "story.yaml"


def _validate(capsys) -> tuple[int, str]:
    code = main(["validate"])
    return code, capsys.readouterr().err


def test_story_folder_linked_outside_gold_is_refused(project, tmp_path_factory, capsys):
    outside = tmp_path_factory.mktemp("outside") / "secret"
    shutil.copytree(GOLD, outside)
    (project / "gold" / "linked").symlink_to(outside, target_is_directory=True)
    code, err = _validate(capsys)
    assert code == 2 and "gold/linked" in err and "leads outside gold" in err


def test_story_file_linked_to_a_system_file_is_refused(project, capsys):
    second = project / "gold" / "second"
    second.mkdir()
    for ref in GOLD.glob("*.txt"):
        shutil.copy(ref, second)
    (second / "story.yaml").symlink_to("/etc/hostname")
    code, err = _validate(capsys)
    assert code == 2 and "second/story.yaml" in err and "leads outside gold" in err
    stories, _ = load_stories(project / "gold", project / "candidates")
    assert [s.story_id for s in stories] == ["venezuela-prisoners"]  # the rest still read


@pytest.mark.parametrize(
    "edit, field, expected",
    [
        (("    weight: 3", "    weight: .inf"), "key_facts/0/weight", "maximum of 1000"),
        (("    weight: 3", "    weight: .nan"), "key_facts/0/weight", "expected a finite number"),
        (("id: venezuela-prisoners\n", "id: venezuela-prisoners\nid: again\n"), None, "duplicate key 'id'"),
        (('date: "2026-01-09"', "date: 2026-02-30"), None, "invalid date '2026-02-30'"),
    ],
)
def test_bad_numbers_duplicate_keys_and_dates_name_the_file(project, capsys, edit, field, expected):
    spec = _spec(project)
    spec.write_text(spec.read_text("utf-8").replace(*edit, 1), "utf-8")
    code, err = _validate(capsys)
    assert code == 2 and "story.yaml" in err and expected in err and "please report" not in err
    if field:
        assert field in err


def test_front_matter_date_and_duplicate_key_errors_name_the_candidate(project, capsys):
    folder = project / "candidates" / "venezuela-prisoners"
    (folder / "dated.md").write_text("---\ndate: 2026-13-01\n---\nVenezuela released prisoners.\n", "utf-8")
    (folder / "twice.md").write_text("---\nsystem: a\nsystem: b\n---\nVenezuela released prisoners.\n", "utf-8")
    code, err = _validate(capsys)
    assert code == 2
    assert "dated.md" in err and "invalid date" in err
    assert "twice.md" in err and "duplicate key 'system'" in err


def test_many_key_facts_are_checked_in_linear_time(tmp_path):
    story = tmp_path / "big"
    shutil.copytree(GOLD, story)
    head = (story / "story.yaml").read_text("utf-8").split("key_facts:")[0]
    facts = "".join(f"  - id: f{i}\n    fact: Fact number {i} happened.\n" for i in range(20_000))
    (story / "story.yaml").write_text(head + "key_facts:\n" + facts + "  - id: f7\n    fact: again\n", "utf-8")
    started = time.perf_counter()
    with pytest.raises(Exception, match="duplicate key fact ids: f7"):
        load_story(story)
    assert time.perf_counter() - started < 60  # quadratic took minutes at 68,000 facts


def test_outputs_never_overwrite_what_the_command_did_not_write(project, capsys):
    reports = project / "reports" / "r1"
    reports.mkdir(parents=True)
    run_json = reports / "run.json"
    run_json.write_text('{"stories": []}', "utf-8")
    reference = next((project / "gold" / "venezuela-prisoners").glob("*.txt"))
    before = reference.read_bytes()
    assert main(["gate", "--run", str(reports), "--markdown", str(run_json)]) == 2
    assert "not a file --markdown writes" in capsys.readouterr().err
    assert main(["gate", "--run", str(reports), "--junit", str(reference)]) == 2
    assert main(["baseline", "--run", str(reports), "--out", str(run_json)]) == 2
    assert reference.read_bytes() == before and run_json.read_text("utf-8") == '{"stories": []}'
    assert main(["run", "--out", "gold"]) == 2
    assert "would mix with the gold folder" in capsys.readouterr().err
    assert not any(p.name.startswith("20") for p in (project / "gold").iterdir())


def test_control_characters_are_shown_escaped():
    assert terminal_safe("a\x1b[2J\x07b\u202ec\nd\te") == "a\\x1b[2J\\x07b\\u202ec\nd\te"


def test_terminal_escapes_in_file_names_never_reach_the_terminal(project, capsys):
    folder = project / "candidates" / "venezuela-prisoners"
    (folder / "evil\x1b[31m.exe").write_text("x", "utf-8")
    code, err = _validate(capsys)
    assert code == 2 and "\x1b" not in err and "\\x1b[31m" in err


def test_run_on_text_is_an_artefact_not_a_claim():
    jumble = " ".join(f"prisoners{i} released Venezuela government" for i in range(2_000))  # 8,000 words, no break
    doc = Document("j", "j.txt", "plain", jumble, [Block("paragraph", jumble, 0, len(jumble))])
    claims = split_claims(doc, "s")
    assert claims and all(c.is_artefact for c in claims)
    assert all(c.artefact.startswith(f"run-on text (over {MAX_CLAIM_WORDS} words") for c in claims)
    short = "Venezuela released prisoners."
    assert not split_claims(Document("s", "s.txt", "plain", short, [Block("paragraph", short, 0, len(short))]))[
        0
    ].is_artefact


def test_a_threshold_outside_the_metric_range_is_refused(project, capsys):
    (project / "harness.toml").write_text("[gate.thresholds]\nmin_faithfulness = 5\n", "utf-8")
    assert main(["validate", "--config", "harness.toml"]) == 2
    err = capsys.readouterr().err
    assert "gate.thresholds.min_faithfulness" in err and "[0, 1]" in err


def test_a_run_killed_with_sigkill_leaves_nothing_the_next_run_keeps(tmp_path):
    import subprocess
    import sys

    from harness.report.run_folders import remove_abandoned, reserve_run_folder

    reports = tmp_path / "reports"
    folder = reserve_run_folder(reports, "killed")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (reports / ".killed.pid").write_text(dead.stdout.strip(), "utf-8")  # as if that process had reserved it
    (reports / ".tmp-killed-abc").mkdir()  # and died while writing
    live = reserve_run_folder(reports, "running")  # this process: alive, never touched
    remove_abandoned(reports)
    assert not folder.exists() and not (reports / ".tmp-killed-abc").exists() and not (reports / ".killed.pid").exists()
    assert live.exists() and (reports / ".running.pid").exists()


def test_a_full_disk_is_one_line_and_leaves_no_run_folder(project, capsys, monkeypatch):
    import errno

    import harness.report

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(harness.report, "_write_files", full)
    assert main(["run", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    reports = project / "reports"
    assert [p.name for p in reports.iterdir()] == []  # no half-written run, no reserved folder, no owner file


def test_probe_never_overwrites_files_it_did_not_write(tmp_path, capsys):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "probe.csv").write_text("important data\n", "utf-8")
    assert main(["probe", "--max-sentences", "1", "--out", str(foreign)]) == 2
    assert "not a file --out writes" in capsys.readouterr().err
    assert (foreign / "probe.csv").read_text("utf-8") == "important data\n"


def test_gate_warns_of_story_and_system_tables_that_match_nothing_and_one_file_for_two_outputs(project, capsys):
    from harness.config.gate_settings import GateConfig
    from harness.gate.decision import evaluate_gate

    record = {"story": "s", "id": "a", "system": "x", "status": "ok", "error": None, "claims": []}
    record["metrics"] = {"faithfulness": 1.0, "scored_claims": 1, "key_facts": 0}
    gate = GateConfig(thresholds={"min_faithfulness": 0.5}, stories={"typo": {"min_faithfulness": 0.9}})
    gate.systems = {"digets": {"max_contradicted": 0}}
    report = evaluate_gate(
        {"stories": [{"id": "s", "candidates": [{**record, "path": "a.txt", "id": "a"}]}]}, None, gate
    )
    assert any("[gate.story.typo], [gate.system.digets] name no story or system" in w for w in report.warnings())
    reports = project / "reports" / "r"
    reports.mkdir(parents=True)
    (reports / "run.json").write_text('{"stories": []}', "utf-8")
    assert main(["gate", "--run", str(reports), "--markdown", "same.out", "--junit", "same.out"]) == 2
    assert "name the same file" in capsys.readouterr().err


def test_a_quoted_impossible_date_is_refused(project, capsys):
    spec = _spec(project)
    spec.write_text(spec.read_text("utf-8").replace('date: "2026-01-09"', 'date: "2026-02-30"'), "utf-8")
    code, err = _validate(capsys)
    assert code == 2 and "invalid date '2026-02-30'" in err and "story.yaml: date" in err
