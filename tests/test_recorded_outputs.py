"""The example story's claims.csv and candidates.csv against a recorded copy, so a refactor that should not
change any output is checked to change none.

Text columns (claims, verdicts, checks, evidence, reasons) must match exactly. Numbers come from float model
outputs, which differ slightly from one CPU to another, so they match within NUMBER_TOLERANCE; on the machine
that recorded the copy the files are byte-identical (`python tests/test_recorded_outputs.py --compare`).
After a deliberate change of output, re-record with `python tests/test_recorded_outputs.py --record`
and say why in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

RECORDED = Path(__file__).parent / "data" / "recorded_example"
FILES = ("claims.csv", "candidates.csv")
NUMBER_TOLERANCE = 0.03  # float outputs on another CPU; a changed verdict or check shows in the text columns
PATH_COLUMNS = ("path",)  # absolute paths of the clone that ran: compared from the candidates folder down


def _from_candidates(paths: pd.Series) -> list[str]:
    return [p[p.rindex("/candidates/") :] if "/candidates/" in p else p for p in paths]


def _write(run_result, folder: Path) -> Path:
    from report_helpers import write_reports

    return write_reports(run_result, folder, "recorded")


@pytest.mark.parametrize("name", FILES)
def test_outputs_match_the_recorded_copy(run_result, tmp_path, name):
    produced = pd.read_csv(_write(run_result, tmp_path) / name, keep_default_na=False)
    recorded = pd.read_csv(RECORDED / name, keep_default_na=False)
    assert list(produced.columns) == list(recorded.columns)
    assert len(produced) == len(recorded)
    for column in recorded.columns:
        mine, theirs = produced[column], recorded[column]
        if column in PATH_COLUMNS:
            assert _from_candidates(mine) == _from_candidates(theirs), column
            continue
        numeric = pd.to_numeric(theirs, errors="coerce")
        if numeric.notna().sum() == (theirs != "").sum() and numeric.notna().any():
            values = pd.to_numeric(mine, errors="coerce")
            assert ((values - numeric).abs().fillna(0) <= NUMBER_TOLERANCE).all(), column
            assert (values.isna() == numeric.isna()).all(), column
        else:
            assert mine.tolist() == theirs.tolist(), column


def _fresh_files(folder: Path) -> Path:
    """The two files from a run with the test suite's settings (tests/conftest.py), into `folder`."""
    from harness.config import Config
    from harness.run.pipeline import run

    root = Path(__file__).resolve().parents[1]
    config = Config(
        gold=str(root / "gold"),
        candidates=str(root / "candidates"),
        reports=str(folder),
        cache=str(folder / "cache"),
    )
    return _write(run(config, quiet=True), folder / "reports")


if __name__ == "__main__":
    import filecmp
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        written = _fresh_files(Path(tmp))
        if "--record" in sys.argv:
            RECORDED.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                (RECORDED / name).write_bytes((written / name).read_bytes())
            print(f"recorded {', '.join(FILES)} in {RECORDED}")
        else:
            same = {name: filecmp.cmp(written / name, RECORDED / name, shallow=False) for name in FILES}
            print("\n".join(f"{name}: {'byte-identical' if ok else 'DIFFERS'}" for name, ok in same.items()))
            sys.exit(0 if all(same.values()) else 1)
