"""What a judge costs on a whole run: `harness run` over the 1,600 SummEval candidates with each judge, side by
side, cold (empty caches) and warm, in one run of this script.

    .venv/bin/python benchmarks/judge_cost.py --bench ../shared/bench [--judge evidence --judge nli] [--articles 100]

The stories are benchmarks/summeval.py's layout (each article a story, its highlights the reference summary).
For each judge, in a fresh process each: `cold` is `harness run` with a new, empty cache folder (the embedding
model's one-time ONNX export is made first, outside the timing, as on every run after a user's first); `warm`
reruns it on the caches the cold run filled, then `pairs` reruns it with only the result cache emptied, so
every candidate is judged again and the NLI judge's (premise, claim) pairs must all come from the pair cache
(the `crossencoder` folder's pairs.sqlite does not grow). Prints a table of seconds and each judge's ratio to
the first judge's, and writes it to benchmarks/results/judge_cost.md.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cold_run import fresh_cache
from common import publish, read_jsonl  # benchmarks/common.py: a script's folder is on sys.path
from summeval import article_id, lay_out


def run(root: Path, cache: Path, judge: str) -> float:
    (root / "harness.toml").write_text(
        f'[paths]\ngold = "gold"\ncandidates = "candidates"\nreports = "reports"\ncache = "{cache}"\n'
        f'[judge]\nname = "{judge}"\n',
        "utf-8",
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--quiet", "--config", str(root / "harness.toml")],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1, 2) or "Traceback" in done.stderr:
        raise SystemExit(f"harness run ({judge}) failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def pairs_stored(cache: Path) -> int:
    path = cache / "crossencoder" / "pairs.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        # a model with a contradiction class stores two values per pair, the second under key + ":c"
        return db.execute("SELECT count(*) FROM pairs WHERE key NOT LIKE '%:c'").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True, help="folder holding summeval_all.jsonl")
    parser.add_argument("--judge", action="append", help="judges to compare (repeat; default evidence and nli)")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-judge-cost"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "judge_cost.md")
    args = parser.parse_args()
    judges = args.judge or ["evidence", "nli"]
    rows = read_jsonl(args.bench / "summeval_all.jsonl")
    keep = set(list(dict.fromkeys(article_id(r["id"]) for r in rows))[: args.articles])
    rows = [r for r in rows if article_id(r["id"]) in keep]
    root = args.workdir
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    lay_out(rows, root, with_reference=True)
    measured = []
    for judge in judges:
        cache = root / f"cache-{judge}"
        fresh_cache(cache, root / "exported")  # empty but for the embedding model's one-time ONNX export
        cold = run(root, cache, judge)
        warm = run(root, cache, judge)
        stored = pairs_stored(cache)
        shutil.rmtree(cache / "results", ignore_errors=True)
        rejudged = run(root, cache, judge)
        measured.append((judge, cold, warm, rejudged, stored, pairs_stored(cache)))
        print(measured[-1], file=sys.stderr)
    base = measured[0][1]
    lines = [
        "# Judge cost on a whole run",
        "",
        f"Command: `benchmarks/judge_cost.py --bench ../shared/bench {' '.join('--judge ' + j for j in judges)}`",
        "",
        f"`harness run` over {len(rows):,} SummEval candidates ({len(keep)} stories), one fresh process each, "
        "this machine. cold: empty caches; warm: again on them; re-judged: only the result cache emptied, so "
        "every claim is judged again from the pair cache (pairs stored before and after: no new pair computed).",
        "",
        f"| judge | cold s | cold ratio to {judges[0]} | warm s | re-judged s | pairs stored after cold / re-judged |",
        "|---|---|---|---|---|---|",
    ]
    for judge, cold, warm, rejudged, before, after in measured:
        lines.append(
            f"| {judge} | {cold:.0f} | {cold / base:.2f}x | {warm:.1f} | {rejudged:.0f} | {before:,} / {after:,} |"
        )
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
