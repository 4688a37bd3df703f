"""A whole `harness run`, cold and warm, against the embedding floor, measured side by side in one run.

    .venv/bin/python benchmarks/cold_run.py [--repeats 3] [--sizes 100,1000] [--workdir /tmp/harness-cold]

The workload is benchmarks/scale.py's (stories of three ~800-word references, 20 candidates each, no
hand-written key facts, so every story's facts are derived). For each size and repetition, in a fresh
process each, in this order:
- cold: `harness run` with empty caches (models loaded, key facts derived, every claim checked and judged,
  every report written), the embedding model's one-time ONNX export excluded (it is made beforehand);
- floor: what any run must do at least, in two fresh processes, one per model: one loads the run's embedding
  model as the run does (the ONNX export) and embeds every distinct text the run embeds, once, in one call, past
  any cache; the other loads the shipped NLI model as the run does and reads every distinct (premise, claim)
  pair the run asked it for (key-fact coverage, and the judge's if it reads pairs), once, batched, past any
  cache. The pairs are recorded by a third run, in one process, on the cold run's caches less its result
  cache (so it asks for every pair again, and answers from the pair cache);
- warm: the same run again on the caches the cold run filled.
The table gives the median of the repetitions of each (machines like this one are noisy), the ratio of the
medians, the machine, and the peak resident memory of the run's own process and of its largest worker. Writes
benchmarks/results/cold_run.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import machine, publish  # benchmarks/common.py: a script's folder is on sys.path
from scale import generate, measure, subset, workload_texts

FLOOR = (
    "import sys; from pathlib import Path; from harness.config import Config; from harness.runtime.embeddings import Embedder; "
    "texts = sys.stdin.read().split('\\x00'); model = Embedder(Config().embedding_model, Path(sys.argv[1]) / 'embeddings').model; "
    "model.encode(texts, batch_size=64, normalize_embeddings=True)"
)


def fresh_process_seconds(code: str, argument: str, stdin: str) -> float:
    """Wall seconds of a fresh Python process running `code` with one argument and `stdin`."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, argument], input=stdin, text=True, check=True)
    return time.perf_counter() - started


def embedding_floor(texts: list[str], cache: Path) -> float:
    """Wall seconds of a fresh process that loads the embedding model as a run does (the ONNX export the
    cold run left in `cache`) and embeds `texts` once, past the embedding cache."""
    return fresh_process_seconds(FLOOR, str(cache), "\x00".join(texts))


RECORD = """
import json, sys
from harness.runtime.cross_encoders import CrossEncoder
asked, read = {}, CrossEncoder.predict_detail
def recording(self, pairs, progress=False):
    asked.setdefault(self.name, {}).update(dict.fromkeys(map(tuple, pairs)))
    return read(self, pairs, progress)
CrossEncoder.predict_detail = recording
from harness.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({name: [list(pair) for pair in pairs] for name, pairs in asked.items()}, out)
sys.exit(code)
"""
NLI_FLOOR = (
    "import json, sys; from harness.runtime.cross_encoders import CrossEncoder; "
    "pairs = [tuple(p) for p in json.load(sys.stdin)]; "
    "CrossEncoder(sys.argv[1], None, batch_size=32).predict_detail(pairs)"
)


def recorded_pairs(data: Path, cache: Path, workdir: Path) -> dict[str, list[list[str]]]:
    """Every distinct (premise, claim) pair a run asks each cross-encoder for, by model: a run in one process
    with the cross-encoder's `predict_detail` wrapped, on a copy of the cold run's caches without its result
    cache (every candidate is evaluated again; the pairs' scores come from the pair cache)."""
    copy = workdir / "recording-cache"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(cache, copy, ignore=shutil.ignore_patterns("results.sqlite3*"))
    config = workdir / "recording.toml"
    config.write_text(f'[paths]\ncache = "{copy}"\n', "utf-8")
    found = workdir / "pairs.json"
    command = [sys.executable, "-c", RECORD, str(found), "run", "--quiet", "--workers", "1", "--config", str(config)]
    command += ["--gold", str(data / "gold"), "--candidates", str(data / "candidates"), "--out", str(workdir / "rec")]
    subprocess.run(command, check=True, capture_output=True)
    shutil.rmtree(copy, ignore_errors=True)
    return json.loads(found.read_text("utf-8"))


def nli_floor(pairs: dict[str, list[list[str]]]) -> float:
    """Wall seconds of one fresh process per cross-encoder the run used, each loading it as the run does and
    reading the run's distinct pairs once, batched, with no cache."""
    return sum(fresh_process_seconds(NLI_FLOOR, model, json.dumps(asked)) for model, asked in pairs.items())


EXPORT = (
    "import sys; from pathlib import Path; from harness.config import Config; from harness.runtime.embeddings import Embedder; "
    "Embedder(Config().embedding_model, Path(sys.argv[1]) / 'embeddings').encode(['export'])"
)
EXPORTS = Path("embeddings") / "onnx"  # where an Embedder with a cache folder keeps the model's export


def fresh_cache(cache: Path, exported: Path) -> None:
    """An empty cache folder holding only the embedding model's ONNX export, made once per benchmark (the
    export is a one-time cost of a machine, not of a run)."""
    shutil.rmtree(cache, ignore_errors=True)
    if not (exported / EXPORTS).is_dir():
        subprocess.run([sys.executable, "-c", EXPORT, str(exported)], check=True)
    shutil.copytree(exported / EXPORTS, cache / EXPORTS)


def _children(pid: int) -> list[int]:
    """Every process descended from `pid` (the fork server and its workers included), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _peak_kb(pid: int) -> int:
    """A process's peak resident memory so far (VmHWM), 0 once it is gone."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM"))
    except (OSError, StopIteration):
        return 0
    return int(line.split()[1])


def run_measured(data: Path, cache: Path, out: Path) -> dict:
    """`harness run` as scale.measure runs it, its memory sampled from /proc every 0.2 s: the run's own
    process, and each process under it (workers are forked by a fork server, so getrusage misses them)."""
    peaks: dict[int, int] = {}
    started: list[int] = []  # the run's own process id
    done = threading.Event()

    def sample(pid: int) -> None:
        while not done.wait(0.2):
            for each in [pid, *_children(pid)]:
                peaks[each] = max(peaks.get(each, 0), _peak_kb(each))

    real_run = subprocess.run

    def run_and_watch(command, **options):
        options.pop("capture_output", None)
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
            started.append(process.pid)
            watcher = threading.Thread(target=sample, args=(process.pid,))
            watcher.start()
            stdout, stderr = process.communicate()
            done.set()
            watcher.join()
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    subprocess.run = run_and_watch  # the call scale.measure makes
    try:
        result = measure(data, cache, out, None)
    finally:
        subprocess.run = real_run
    main = peaks.get(started[0], 0)
    others = sorted((kb for pid, kb in peaks.items() if pid != started[0]), reverse=True)
    result.update(
        main_mb=main / 1024, worker_mb=(others[0] if others else 0) / 1024, total_mb=(main + sum(others)) / 1024
    )
    return result


def one_size(workdir: Path, size: int, per_story: int, repeats: int) -> dict:
    """Floor, cold and warm `repeats` times for the first `size` candidates of the generated workload."""
    data = workdir / f"n{size}"
    subset(workdir / "data", data, max(1, size // per_story))
    texts = workload_texts(data)
    floors, colds, warms, nli = [], [], [], []
    pairs = 0
    for repeat in range(repeats):
        cache = workdir / f"cache{size}-{repeat}"
        fresh_cache(cache, workdir / "exported")
        colds.append(run_measured(data, cache, workdir / f"reports{size}"))
        warms.append(measure(data, cache, workdir / f"reports{size}", None))
        asked = recorded_pairs(data, cache, workdir)
        pairs = sum(len(p) for p in asked.values())
        nli.append(nli_floor(asked))
        floors.append(embedding_floor(texts, cache) + nli[-1])
        print(
            f"{size} candidates, repetition {repeat + 1}: floor {floors[-1]:.1f} s (NLI {nli[-1]:.1f} s, {pairs} pairs), "
            f"cold {colds[-1]['wall']:.1f} s, warm {warms[-1]['wall']:.1f} s",
            file=sys.stderr,
        )
    return {
        "size": size,
        "claims": colds[0]["claims"],
        "texts": len(texts),
        "pairs": pairs,
        "floor": statistics.median(floors),
        "nli": statistics.median(nli),
        "cold": statistics.median(c["wall"] for c in colds),
        "warm": statistics.median(w["wall"] for w in warms),
        "main_mb": max(c["main_mb"] for c in colds),
        "worker_mb": max(c["worker_mb"] for c in colds),
        "total_mb": max(c["total_mb"] for c in colds),
        "repeats": repeats,
    }


def table(rows: list[dict], per_story: int) -> str:
    lines = [
        "# Cold run against the embedding floor",
        "",
        f"Command: `.venv/bin/python benchmarks/cold_run.py` ({machine()}; {per_story} candidates per "
        "story; default settings and judge; workers: the default, one per core). Each time is the median of the "
        "repetitions, each repetition a fresh process; the floor is two fresh processes, one loading the embedding "
        "model and embedding every distinct text of the run once, one loading the NLI model and reading every "
        "distinct (premise, claim) pair the run asked it for once, batched (its share in brackets). Peak memory (VmHWM, sampled every 0.2 s from /proc) is the largest over the cold "
        "repetitions: the run's own process, its largest worker, and the sum over all its processes (the fork "
        "server and each worker included; a sum of peaks, so an upper bound).",
        "",
        "| candidates | claims | texts embedded | NLI pairs | repetitions | floor s (NLI) | cold s | cold / floor "
        "| warm s | cold / warm | peak MB: main, largest worker, all processes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['claims']} | {r['texts']} | {r['pairs']} | {r['repeats']} | {r['floor']:.1f} "
            f"({r['nli']:.1f}) | {r['cold']:.1f} | "
            f"{r['cold'] / r['floor']:.2f}x | {r['warm']:.2f} | {r['cold'] / r['warm']:.1f}x | "
            f"{r['main_mb']:.0f}, {r['worker_mb']:.0f}, {r['total_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000", help="candidate counts (default 100,1000)")
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of the first size (others: 1)")
    parser.add_argument("--per-story", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-cold"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/cold_run.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shutil.rmtree(args.workdir, ignore_errors=True)
    generate(args.workdir / "data", max(sizes) // args.per_story, args.per_story)
    rows = [one_size(args.workdir, size, args.per_story, args.repeats if i == 0 else 1) for i, size in enumerate(sizes)]
    publish(table(rows, args.per_story), args.out)


if __name__ == "__main__":
    main()
