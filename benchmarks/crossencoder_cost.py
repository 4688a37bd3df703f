"""What the shipped cross-encoder costs: file size, load time, peak memory, claim-passage pairs per second.

    .venv/bin/python benchmarks/crossencoder_cost.py [--repeats 5] [--threads 2]

Pairs are real ones: each claim of the example story's candidates against the chunks of the story's
references that hold its evidence (what the `crossencoder` judge reads), with the pair cache off. Load
time and memory are measured in a fresh process; throughput is the median of `--repeats` passes over the
same pairs, at several batch sizes. Prints a Markdown table and writes benchmarks/results/crossencoder_cost.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import publish  # benchmarks/common.py: a script's folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]

LOAD_PROBE = """
import json, resource, time
start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
from harness.runtime.cross_encoders import CrossEncoder
model = CrossEncoder()
model.load()
loaded = time.perf_counter() - t
model.predict_pairs([("The council met on Monday.", "The council met.")] * 32)
print(json.dumps({"load_s": loaded, "rss_before_mb": start_rss / 1024,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def story_pairs() -> list[tuple[str, str]]:
    from harness.config import Config
    from harness.evaluation.evaluator import StoryEvaluator
    from harness.ingest import load_stories
    from harness.judges import make_judge
    from harness.reading.claims import split_claims
    from harness.runtime.embeddings import Embedder

    config = Config(judge="crossencoder", cache=str(ROOT / ".cache/harness"))
    stories, _ = load_stories(ROOT / "gold", ROOT / "candidates")
    embedder = Embedder(config.embedding_model, Path(config.cache) / "embeddings")
    judge = make_judge("crossencoder", config)
    pairs = []
    for story in stories:
        evaluator = StoryEvaluator(story, embedder, judge, config)
        for doc in story.candidates:
            claims = [c for c in split_claims(doc, story.story_id) if not c.is_artefact]
            for claim, evidence in zip(claims, evaluator.index.search(claims)):
                pairs += [(chunk.text, claim.text) for chunk in judge.claim_chunks(claim, evidence, evaluator.sources)]
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/crossencoder_cost.md")
    args = parser.parse_args()
    from harness.runtime.cross_encoders import CrossEncoder
    from harness.runtime.model_files import shipped_model_path

    probe = json.loads(
        subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
        .stdout.strip()
        .splitlines()[-1]
    )
    pairs = story_pairs()
    counter = CrossEncoder()
    pieces = [counter.count(p) + counter.count(c) + 3 for p, c in pairs[:200]]
    rows = []
    for batch_size in (1, 8, 32):
        model = CrossEncoder(batch_size=batch_size, threads=args.threads)  # no cache folder: every pair is computed
        model.predict_pairs(pairs[:16])  # load and warm up
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            model.predict_pairs(pairs)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        rows.append(f"| {batch_size} | {len(pairs)} | {median:.2f} | {len(pairs) / median:.1f} |")
    size_mb = (shipped_model_path() / "model.onnx").stat().st_size / 2**20
    table = "\n".join(
        [
            "# Cross-encoder cost",
            "",
            "Command: `.venv/bin/python benchmarks/crossencoder_cost.py`",
            "",
            f"- model file: {size_mb:.1f} MB int8 ONNX (harness/models/consistency-minilm/model.onnx)",
            f"- load (fresh process, import + session): {probe['load_s']:.2f} s; peak RSS of that process after scoring 32 pairs: "
            f"{probe['peak_rss_mb']:.0f} MB (Python and imports alone: {probe['rss_before_mb']:.0f} MB)",
            f"- pairs: every (chunk, claim) the `crossencoder` judge reads for the example story's candidates; "
            f"median length {statistics.median(pieces):.0f} word pieces",
            f"- onnxruntime threads: {args.threads}",
            "",
            f"| batch size | pairs | median seconds (of {args.repeats}) | pairs per second |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    publish(table, args.out)


if __name__ == "__main__":
    main()
