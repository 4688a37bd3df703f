"""Interruptions and property-based tests: nothing lost, offsets always exact, checks never crash."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.checks import dates, numbers, quotes, roles
from harness.checks.declaration import SourceFacts
from harness.ingest.blocks import lines_to_blocks
from harness.measure.scorer import text_document
from harness.reading.claims import split_claims

# text made of the things summaries really contain: words, numbers, bullets, quotes, separators, non-ASCII
PIECES = st.sampled_from(
    [
        "Venezuela",
        "freed",
        "800",
        "and",
        "1,000",
        "prisoners",
        ".",
        "!",
        "?",
        "\n",
        "\n\n",
        "• ",
        " ||| ",
        "“",
        "”",
        "'",
        '"',
        "Advertisement",
        "X",
        "Summary",
        "Key Points",
        ";",
        "Entities: A, BTone: neutralSentiment: positiveIntent: inform",
        "Rocío",
        "東京",
        "—",
        "If you want, I can shorten it.",
        "January 28",
        "Thursday",
        "nearly",
        "hundreds of",
        "Dr.",
        "5",
        "%",
        " ",
        "\t",
        "Image Prompt:",
        "Credit: AP",
        "between",
    ]
)
TEXT = st.lists(PIECES, max_size=60).map(" ".join) | st.text(max_size=300)
SOURCES = SourceFacts(
    [
        "Rights groups estimate that between 800 and 900 political prisoners are held.",
        "Alfredo Romero, director of Foro Penal, spoke on Thursday, January 8, 2026.",
        '"Let us hope," said Romero.',
    ],
    story_date="2026-01-09",
)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_blocks_map_back_to_the_text(text):
    for block in lines_to_blocks(text):
        assert text[block.start : block.end] == block.text
        assert block.text == block.text.strip() and block.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_claims_map_back_and_lose_nothing(text):
    doc = text_document("c", text)
    claims = split_claims(doc)
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text
    # every letter and digit of every paragraph or bullet is inside a claim: what is left out is whitespace, clause
    # separators and punctuation-only fragments ("!!!!", "'"), which are not claims
    covered = set()
    for claim in claims:
        covered.update(range(claim.start, claim.end))
    for block in doc.blocks:
        if block.kind in ("paragraph", "bullet", "artefact"):
            lost = [text[i] for i in range(block.start, block.end) if i not in covered]
            assert not any(ch.isalnum() for ch in lost), (block.text, lost)
    assert [c.start for c in claims] == sorted(c.start for c in claims)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_checks_never_crash(text):
    for check in (numbers.check, dates.check, quotes.check, roles.check):
        result = check(text, SOURCES)
        assert result.status in ("pass", "fail", "n/a")
        assert (result.status == "fail") == bool(result.kind)


def _candidates(folder: Path, numbers: range, verb: str) -> None:
    for i in numbers:
        (folder / f"c{i:03d}.txt").write_text(
            "\n".join(f"Candidate {i} {verb} plan {j} was approved by vote {i * j}." for j in range(8))
        )


def _rows(db_path: Path, table: str = "emb") -> int:
    try:
        with sqlite3.connect(db_path) as db:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigterm_keeps_latest_and_cache_and_resumes(tmp_path):
    gold, cands = tmp_path / "gold" / "s", tmp_path / "cands" / "s"
    gold.mkdir(parents=True)
    cands.mkdir(parents=True)
    (gold / "ref.txt").write_text(
        "\n".join(f"Sentence {i} says the council approved plan {i} on Monday." for i in range(40))
    )
    _candidates(cands, range(3), "claims")
    out, cache = tmp_path / "reports", tmp_path / ".cache"
    db_path = cache / "embeddings" / "embeddings.sqlite3"
    (tmp_path / "harness.toml").write_text(f'[paths]\ncache = "{cache}"\n')
    base = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--quiet",
        "--config",
        str(tmp_path / "harness.toml"),
        "--gold",
        str(gold.parent),
        "--candidates",
        str(cands.parent),
        "--out",
        str(out),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    first = subprocess.run(base + ["--run-id", "first"], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    before = _rows(db_path)
    results_path = cache / "results" / "results.sqlite3"
    # a longer run over many new candidates, stopped by SIGTERM once it has cached some of its embeddings
    # and finished some candidates (they are evaluated in batches of PREFETCH_CANDIDATES)
    _candidates(cands, range(3, 80), "states")
    proc = subprocess.Popen(
        base + ["--run-id", "second"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if _rows(db_path) >= before + 40 and _rows(results_path, "results") > 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "latest run is unchanged" in err, err  # 128 + SIGTERM
    assert "Traceback" not in err
    assert (out / "latest").resolve().name == "first"
    assert not (out / "second").exists() and not [p for p in out.iterdir() if p.name.startswith(".")]
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = _rows(db_path)
    assert stored >= before + 40
    # running again resumes: what the interrupted run embedded comes from the cache
    again = subprocess.run(base + ["--run-id", "third"], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    # the 3 unchanged candidates and those the interrupted run finished are not evaluated again
    finished = int(again.stdout.split(" from cache, ")[1].split(" candidates from cache")[0])
    assert finished > 3
    computed = int(again.stdout.split(" embeddings computed")[0].split("(")[-1])
    assert computed < 8 * 77  # fewer than all the new claims: the rest came from the cache
    assert (out / "latest").resolve().name == "third"


def test_ctrl_c_with_workers_stops_at_once_and_leaves_no_process(tmp_path):
    """Ctrl-C (twice, as an impatient user does) reaches every process of the terminal's group: the run
    stops within seconds, exits 130 and no worker outlives it."""
    for story in ("a", "b"):
        gold, cands = tmp_path / "gold" / story, tmp_path / "cands" / story
        gold.mkdir(parents=True)
        cands.mkdir(parents=True)
        (gold / "ref.txt").write_text("\n".join(f"Sentence {i} says plan {i} passed on Monday." for i in range(30)))
        _candidates(cands, range(200), "claims")
    cache = tmp_path / ".cache"
    (tmp_path / "harness.toml").write_text(f'[paths]\ncache = "{cache}"\n')
    command = [sys.executable, "-m", "harness.cli", "run", "--quiet", "--workers", "2"]
    command += ["--config", str(tmp_path / "harness.toml"), "--gold", str(tmp_path / "gold")]
    command += ["--candidates", str(tmp_path / "cands"), "--out", str(tmp_path / "reports")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        # as a terminal's foreground job gets it: a test suite started in the background (`... &` in a script)
        # passes Ctrl-C on as ignored, and the run would then rightly ignore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    db_path = cache / "embeddings" / "embeddings.sqlite3"
    deadline = time.time() + 120
    while time.time() < deadline and _rows(db_path) == 0 and proc.poll() is None:
        time.sleep(0.05)  # the workers are evaluating once they store embeddings
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "latest run is unchanged" in err, err
    assert "Traceback" not in err and "leaked" not in err, err
    time.sleep(1)
    # nothing of the run's process group is left running (an exited child may wait as a zombie for its reaper)
    states = subprocess.run(["ps", "-o", "stat=", "-g", str(proc.pid)], capture_output=True, text=True).stdout
    assert all(state.startswith("Z") for state in states.split()), states
