"""The broken-input corpus (tests/data/bad): specific errors, error rows, the rest of the run completes."""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT

EXPECTED = {
    "candidates/ok/empty.txt": "empty file (no text)",
    "candidates/ok/whitespace.txt": "empty file (no text)",
    "candidates/ok/binary.txt": "binary data (NUL bytes, first at byte 8), expected UTF-8 text",
    "candidates/ok/latin1.txt": "invalid UTF-8 at byte 7",
    "candidates/ok/mixed.txt": "invalid UTF-8 at byte 30",
    "candidates/ok/schema.json": "unknown key 'extra' (expected one of id, system, story, title, summary",
    "candidates/ok/broken.json": "invalid JSON at line 2 column 1",
    "candidates/ok/notes.docx": "unknown format '.docx'",
    "candidates/ok/dup-b.json": "id: duplicate candidate id 'dup'",
    "candidates/orphan": "candidates for story 'orphan' have no references",
    "gold/missing-ref/story.yaml": "references/1/file: reference file 'gone.txt' does not exist",
    "gold/bad-story-file/story.yaml": "key_facts/0/weight: 'zero' is not of type 'number'",
    "gold/huge/ref.txt": "file is 5.0 MB, over the 2 MB limit for one input",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, config):
    root = tmp_path_factory.mktemp("bad")
    shutil.copytree(ROOT / "tests/data/bad", root, dirs_exist_ok=True)
    huge = root / "gold/huge"
    huge.mkdir()
    (huge / "ref.txt").write_text(("The council met again and approved a plan. " * 120_000)[:5_000_000], "utf-8")
    (root / "candidates/huge").mkdir()
    (root / "candidates/huge/c.txt").write_text("The council approved a plan.\n", "utf-8")
    (root / "harness.toml").write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    return root


def _harness(corpus, *args):
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
    return subprocess.run(
        command, capture_output=True, text=True, cwd=corpus, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )


def test_validate_names_every_problem(corpus):
    result = _harness(corpus, "validate")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in result.stderr
    for name, problem in EXPECTED.items():
        matching = [line for line in lines if str(corpus / name) in line]
        assert len(matching) == 1 and problem in matching[0], (name, matching)
    assert len(lines) == len(EXPECTED)


def test_run_keeps_going_and_writes_error_rows(corpus):
    result = _harness(corpus, "run", "--quiet", "--out", str(corpus / "reports"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "2 candidates evaluated" in result.stdout  # the good one, and the first of the two "dup" files
    rows = pd.read_csv(corpus / "reports/latest/candidates.csv")
    assert sorted(rows.loc[rows["status"] == "ok", "candidate"]) == ["dup", "good"]
    assert rows.loc[rows["candidate"] == "dup", "path"].str.endswith("dup-a.json").all()
    errors = " ".join(rows.loc[rows["status"] == "error", "error"])
    for name, problem in EXPECTED.items():
        assert problem in errors, name
    claims = pd.read_csv(corpus / "reports/latest/claims.csv")
    assert set(claims["candidate"]) == {"dup", "good"}
