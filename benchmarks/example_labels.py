"""The example story's hand-labelled verdicts (tests/test_end_to_end.py's LABELS) under each judge.

    .venv/bin/python benchmarks/example_labels.py [--judge evidence --judge nli]

Runs `harness run` on the repository's gold/ and candidates/ with each judge (in a fresh process, its own cache
folder under --workdir) and counts the labelled claims whose verdict is one the label allows; prints each miss.
The test holds the default judge to all of them; this is how another judge compares.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the labels live with the test that holds the default judge to them

from test_end_to_end import LABELS  # noqa: E402


def verdicts(judge: str, workdir: Path) -> pd.DataFrame:
    folder = workdir / judge
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = folder / "harness.toml"
    config.write_text(
        f'[paths]\ngold = "{ROOT / "gold"}"\ncandidates = "{ROOT / "candidates"}"\nreports = "reports"\n'
        f'cache = "cache"\n[judge]\nname = "{judge}"\n',
        "utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--quiet", "--config", str(config)], capture_output=True, text=True
    )
    if not (folder / "reports" / "latest" / "claims.csv").exists():
        raise SystemExit(f"harness run ({judge}) failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return pd.read_csv(folder / "reports" / "latest" / "claims.csv", keep_default_na=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", action="append", help="judge to count (repeat; default evidence and nli)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-example-labels"))
    args = parser.parse_args()
    for judge in args.judge or ["evidence", "nli"]:
        claims = verdicts(judge, args.workdir)
        right = 0
        for system, fragment, allowed, why in LABELS:
            rows = claims[(claims["system"] == system) & claims["claim"].str.contains(fragment, regex=False)]
            found = set(rows["verdict"])
            if found and found <= allowed:
                right += 1
            else:
                print(
                    f"  {judge}: {system} '{fragment}': {sorted(found) or 'no claim'}, expected {sorted(allowed)} ({why})"
                )
        print(f"{judge}: {right} of {len(LABELS)} hand-labelled verdicts")


if __name__ == "__main__":
    main()
