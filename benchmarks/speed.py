"""Claims judged per second on this machine, embedding model and spaCy loaded once.

    .venv/bin/python benchmarks/speed.py [--bench ../shared/bench] [--repeats 5]

Every cache (embeddings, and the cross-encoder's pairs for `--judge crossencoder`) is cold or warm together.
Measures the claim path: claim splitting, evidence retrieval (reference and claim embeddings, lexical
support), every fact check and the judge; and, for the example story, the whole candidate evaluation too
(adding key-fact coverage, ROUGE against every reference, similarity and extractive fragments). Two cache states: `cold` (a new, empty embedding cache each repetition, so
every claim and passage is embedded) and `warm` (the cache already holds them). Reports the median of
the repetitions and writes the table to benchmarks/results/speed.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import publish, summedits  # benchmarks/common.py: a script's folder is on sys.path

from harness.checks import forget_memory
from harness.checks.names import nlp
from harness.config import Config
from harness.evaluation import metrics
from harness.evaluation.evaluator import StoryEvaluator
from harness.ingest import load_stories
from harness.judges import make_judge
from harness.measure.scorer import ConsistencyScorer, text_document
from harness.reading.claims import split_claims
from harness.runtime.embeddings import Embedder
from harness.text import forget_splits

ROOT = Path(__file__).resolve().parents[1]


def forget_process_memory() -> None:
    """A cold repetition starts with nothing remembered: entities and sentence splits are kept per process."""
    forget_memory()
    forget_splits()
    metrics.forget_memory()


def load_model(judge) -> None:
    """Load a judge's own model now (the cross-encoder loads it lazily), so that loading is not timed."""
    if hasattr(judge, "encoder"):
        judge.encoder.load()


def loaded_judge(judge_name: str, cache: Path):
    """The judge with its caches in `cache` (cold or warm like the embeddings) and its model loaded."""
    judge = make_judge(judge_name, Config(judge=judge_name, cache=str(cache)))
    load_model(judge)
    return judge


def story_pass(embedder: Embedder, judge, full: bool = False) -> tuple[int, float]:
    """The claim path (split, embed the references and the claims, retrieve evidence, run every check,
    judge), or with `full` the whole candidate evaluation (adding coverage, ROUGE, similarity, fragments)."""
    stories, _ = load_stories(ROOT / "gold", ROOT / "candidates")
    started = time.perf_counter()
    claims = 0
    for story in stories:
        evaluator = StoryEvaluator(story, embedder, judge, Config(judge=judge.name))
        for doc in story.candidates:
            if full:
                claims += len(evaluator.evaluate(doc).claims)
                continue
            found = split_claims(doc, story.story_id)
            scored = [c for c in found if not c.is_artefact]
            evaluator.judge.judge(scored, evaluator.index.search(scored), evaluator.sources)
            claims += len(found)
    return claims, time.perf_counter() - started


def summedits_pass(scorer: ConsistencyScorer, rows: list[dict]) -> tuple[int, float]:
    claims = sum(len(split_claims(text_document("s", row["summary"]))) for row in rows)
    started = time.perf_counter()
    for row in rows:
        scorer.score_one(row["document"], row["summary"])
    return claims, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, help="folder with summedits_all.jsonl (optional)")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--judge", default=Config().judge)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/speed.md")
    args = parser.parse_args()
    loaded = Embedder()
    loaded.model  # load once, outside the timings
    nlp()
    results = []
    for full, cache in ((False, "cold"), (False, "warm"), (True, "cold"), (True, "warm")):
        rates, counts = [], 0
        with tempfile.TemporaryDirectory() as warm_dir:
            for _ in range(args.repeats):
                folder = tempfile.mkdtemp() if cache == "cold" else warm_dir
                embedder = Embedder(cache_dir=Path(folder), loaded=loaded.model)
                if cache == "cold":
                    forget_process_memory()
                judge = loaded_judge(args.judge, Path(folder))
                if cache == "warm" and not rates:
                    story_pass(embedder, judge, full)  # fill the cache
                counts, seconds = story_pass(embedder, judge, full)
                rates.append(counts / seconds)
        workload = "example story, whole evaluation incl. ROUGE and coverage" if full else "example story, claim path"
        results.append((workload, cache, counts, statistics.median(rates), min(rates), max(rates)))
    if args.bench:
        rows = sorted((r for r in summedits(args.bench) if r["cut"] == "test"), key=lambda r: r["id"])[: args.rows]
        for cache in ("cold", "warm"):
            rates = []
            with tempfile.TemporaryDirectory() as warm_dir:
                for _ in range(args.repeats):
                    scorer = ConsistencyScorer(
                        Config(judge=args.judge, cache=tempfile.mkdtemp() if cache == "cold" else warm_dir)
                    )
                    scorer.embedder = Embedder(
                        scorer.config.embedding_model, Path(scorer.config.cache) / "embeddings", loaded=loaded.model
                    )
                    if cache == "cold":
                        forget_process_memory()
                    load_model(scorer.judge)
                    if cache == "warm" and not rates:
                        summedits_pass(scorer, rows)
                    counts, seconds = summedits_pass(scorer, rows)
                    rates.append(counts / seconds)
            results.append(
                (f"SummEdits test, {len(rows)} rows", cache, counts, statistics.median(rates), min(rates), max(rates))
            )
    lines = [
        "# Speed: claims judged per second",
        "",
        f"Command: `.venv/bin/python benchmarks/speed.py --bench ../shared/bench --repeats {args.repeats}`; judge "
        f"`{args.judge}`; 2-core CPU; model and spaCy loaded once; median (min-max) of {args.repeats} repetitions. "
        "Claims per pass counts every claim, artefacts included. The SummEdits rows go through "
        "`harness score-pairs`' scorer (claim path plus the summary score).",
        "",
        "| workload | embedding cache | claims per pass | claims/s median | min | max |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {w} | {c} | {n} | {m:.1f} | {lo:.1f} | {hi:.1f} |" for w, c, n, m, lo, hi in results]
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
