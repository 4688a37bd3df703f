"""Proof that a change left the harness's output unchanged: candidates.csv and claims.csv, byte for byte.

    # the files of the code under test (the harness the Python path finds first) into a folder
    .venv/bin/python benchmarks/same_output.py --summeval ../shared/bench/summeval_all.jsonl --out /tmp/after
    # the same with an older commit, checked out beside the repository and put first on the Python path
    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before .venv/bin/python benchmarks/same_output.py --summeval ... --out /tmp/before-out
    # every difference as file, row (the Nth record after the header) and column; exit 1 when there is one
    .venv/bin/python benchmarks/same_output.py --compare /tmp/before-out /tmp/after

Two runs, each `python -m harness.cli run` in a fresh process with an empty cache, so no cached result can
hide a change:
- example/: the repository's gold/, candidates/ and harness.toml (its settings as they are);
- summeval/: the first 50 summaries of a SummEval JSONL (the first three articles' 16 systems and two of the
  fourth's), laid out by benchmarks/summeval.py's `lay_out`, with the default settings and the highlights as
  reference summaries.
The inputs always come from this script's repository and the SummEval file, and both runs happen in one fixed
work folder (--workdir, emptied first), so the `path` column names the same files whichever tree is measured.
Only the harness package changes: `source.txt` in the output folder records which one ran (its location and
git commit), the Python version and the CPU. The work folder is shared: run one at a time.

Float outputs differ slightly from one CPU to another (the models' arithmetic), so byte identity is promised
only between two folders written on the same machine; --compare warns when the CPUs differ. For the example
story across machines, tests/test_recorded_outputs.py compares numbers within a tolerance.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import read_jsonl  # benchmarks/common.py: a script's folder is on sys.path
from summeval import lay_out  # the SummEval layout benchmarks/summeval.py measures

REPO = Path(__file__).resolve().parents[1]
RUNS = ("example", "summeval")
FILES = ("candidates.csv", "claims.csv")
SUMMARIES = 50
RUN_ID = "same-output"
SOURCE = "source.txt"  # which harness wrote the folder; not compared
KEY_COLUMNS = ("story", "candidate", "claim_id")  # name a row in a difference report


def lay_out_example(folder: Path) -> None:
    """The repository's example as a user has it: gold/, candidates/ and harness.toml side by side, so the
    toml's relative paths (and its cache folder) resolve inside `folder`."""
    for name in ("gold", "candidates"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copy2(REPO / "harness.toml", folder / "harness.toml")


def lay_out_summeval(folder: Path, jsonl: Path) -> None:
    """The first SUMMARIES rows of the file as gold/ + candidates/, and a harness.toml of paths only."""
    lay_out(read_jsonl(jsonl)[:SUMMARIES], folder, with_reference=True)
    toml = '[paths]\ngold = "gold"\ncandidates = "candidates"\nreports = "reports"\ncache = ".cache/harness"\n'
    (folder / "harness.toml").write_text(toml, "utf-8")


def child_env(folder: Path) -> dict[str, str]:
    """This process's environment (PYTHONPATH picks the tree), offline, any default cache inside `folder`."""
    return {
        **os.environ,
        "HARNESS_CACHE": str(folder / ".cache" / "default"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def measured_harness(folder: Path) -> Path:
    """The harness package a child process started like the runs imports (cwd and environment matter)."""
    probe = [sys.executable, "-c", "import harness; print(harness.__file__)"]
    found = subprocess.run(probe, capture_output=True, text=True, cwd=folder, env=child_env(folder), check=True)
    return Path(found.stdout.strip()).parent


def run_harness(folder: Path, out: Path) -> float:
    """`harness run` in `folder`; copy its candidates.csv and claims.csv to `out`; return the seconds taken."""
    command = [sys.executable, "-m", "harness.cli", "run", "--config", "harness.toml", "--quiet", "--run-id", RUN_ID]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder, env=child_env(folder))
    seconds = time.perf_counter() - started
    written = folder / "reports" / RUN_ID
    if done.returncode not in (0, 2) or not all((written / name).exists() for name in FILES):
        raise SystemExit(f"error: harness run in {folder} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(written / name, out / name)
    return seconds


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text("utf-8").splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


def git_state(tree: Path) -> str:
    """The commit of the tree holding the package, and whether it had uncommitted changes (read-only git)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "unknown"

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "HEAD") + (" with uncommitted changes" if dirty and dirty != "unknown" else "")


def write(out: Path, summeval: Path, workdir: Path) -> None:
    """Both runs into `out`/example and `out`/summeval, and source.txt."""
    layouts = {"example": lay_out_example, "summeval": lambda folder: lay_out_summeval(folder, summeval)}
    package = None
    for name in RUNS:
        folder = workdir / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        layouts[name](folder)
        package = measured_harness(folder)
        print(f"{name}: harness from {package}", flush=True)
        print(f"{name}: {run_harness(folder, out / name):.0f} s -> {out / name}", flush=True)
    source = f"harness: {package}\ncommit: {git_state(package.parent)}\n"
    source += f"python: {platform.python_version()}\ncpu: {cpu_model()}\n"
    (out / SOURCE).write_text(source, "utf-8")


def row_key(header: list[str], row: list[str]) -> str:
    return "/".join(row[header.index(c)] for c in KEY_COLUMNS if c in header and header.index(c) < len(row))


def cell_differences(before: bytes, after: bytes, limit: int) -> list[str]:
    """Where two CSV files differ: header, row count, then (row, column) cells, at most `limit` cells."""
    old = list(csv.reader(io.StringIO(before.decode("utf-8"), newline="")))
    new = list(csv.reader(io.StringIO(after.decode("utf-8"), newline="")))
    if not old or not new or old[0] != new[0]:
        return [f"header: {old[0] if old else []} -> {new[0] if new else []}"]
    header, lines = old[0], []
    if len(old) != len(new):
        lines.append(f"rows: {len(old) - 1} -> {len(new) - 1}")
    cells = [
        (number, header[column] if column < len(header) else str(column), row_key(header, mine), a, b)
        for number, (mine, theirs) in enumerate(zip(old[1:], new[1:]), start=1)
        for column in range(max(len(mine), len(theirs)))
        if (a := mine[column] if column < len(mine) else None)
        != (b := theirs[column] if column < len(theirs) else None)
    ]
    lines += [f"row {n} ({key}), column {c}: {a!r} -> {b!r}" for n, c, key, a, b in cells[:limit]]
    if len(cells) > limit:
        lines.append(f"... and {len(cells) - limit} more differing cells")
    if not lines:
        lines.append("same cells, different bytes (line endings or quoting)")
    return lines


def source_line(folder: Path, field: str) -> str:
    path = folder / SOURCE
    lines = path.read_text("utf-8").splitlines() if path.exists() else []
    return next((line.split(": ", 1)[1] for line in lines if line.startswith(f"{field}: ")), "unknown")


def compare(before: Path, after: Path, limit: int) -> int:
    """Print, per file, `byte-identical` or where it differs; 0 when all are identical, else 1."""
    if source_line(before, "cpu") != source_line(after, "cpu"):
        print("warning: written on different CPUs; float digits may differ without any code change")
    same = True
    for name in RUNS:
        for file in FILES:
            relative = f"{name}/{file}"
            paths = (before / relative, after / relative)
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                print(f"{relative}: MISSING {', '.join(missing)}")
                same = False
                continue
            old, new = (p.read_bytes() for p in paths)
            if old == new:
                print(f"{relative}: byte-identical ({len(old)} bytes)")
                continue
            same = False
            print(f"{relative}: DIFFERS")
            print("\n".join(f"  {relative} {line}" for line in cell_differences(old, new, limit)))
    return 0 if same else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summeval", type=Path, help="SummEval JSONL (e.g. ../shared/bench/summeval_all.jsonl)")
    parser.add_argument("--out", type=Path, help="folder for example/ and summeval/ (each candidates.csv, claims.csv)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-same-output"), help="emptied first")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"), help="two --out folders")
    parser.add_argument("--limit", type=int, default=20, help="differing cells printed per file (default 20)")
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare, args.limit))
    if not args.summeval or not args.out:
        parser.error("--summeval and --out are needed to write a folder (or --compare BEFORE AFTER)")
    write(args.out, args.summeval, args.workdir)


if __name__ == "__main__":
    main()
