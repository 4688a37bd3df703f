"""benchmarks/same_output.py --compare: byte-identical folders pass, and a difference is named by file, row and
column, so a refactor's proof of unchanged output says where it failed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEADER = "story,candidate,claim_id,claim,verdict\n"
ROWS = 's,digest,digest#1,"Two lines,\nwith a comma",supported\ns,digest,digest#2,Plain.,contradicted\n'


@pytest.fixture(scope="module")
def same_output():
    """The script as a module: it imports its neighbours (common, summeval) as running it would."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT / "benchmarks"))
        spec = importlib.util.spec_from_file_location("same_output", ROOT / "benchmarks" / "same_output.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _folder(root: Path, claims: str) -> Path:
    for run in ("example", "summeval"):
        (root / run).mkdir(parents=True)
        (root / run / "candidates.csv").write_text("story,candidate,faithfulness\ns,digest,0.5\n", "utf-8")
        (root / run / "claims.csv").write_text(HEADER + claims, "utf-8")
    return root


def test_identical_folders_pass(same_output, tmp_path, capsys):
    before, after = _folder(tmp_path / "a", ROWS), _folder(tmp_path / "b", ROWS)
    assert same_output.compare(before, after, limit=20) == 0
    assert capsys.readouterr().out.count("byte-identical") == 4


def test_a_changed_cell_is_named_by_file_row_and_column(same_output, tmp_path, capsys):
    before = _folder(tmp_path / "a", ROWS)
    after = _folder(tmp_path / "b", ROWS.replace("contradicted", "unsupported"))
    assert same_output.compare(before, after, limit=20) == 1
    out = capsys.readouterr().out
    line = "claims.csv row 2 (s/digest/digest#2), column verdict: 'contradicted' -> 'unsupported'"
    assert f"example/{line}" in out and f"summeval/{line}" in out
    assert "candidates.csv: byte-identical" in out


def test_missing_rows_and_line_endings_are_differences(same_output, tmp_path, capsys):
    before = _folder(tmp_path / "a", ROWS)
    after = _folder(tmp_path / "b", ROWS.split("s,digest,digest#2")[0])
    (after / "summeval" / "candidates.csv").write_bytes(b"story,candidate,faithfulness\r\ns,digest,0.5\r\n")
    assert same_output.compare(before, after, limit=20) == 1
    out = capsys.readouterr().out
    assert "claims.csv rows: 2 -> 1" in out
    assert "summeval/candidates.csv same cells, different bytes" in out
