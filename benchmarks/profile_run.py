"""Profile: where a cold run's time goes, stage by stage, on the scale benchmark's generated stories.

    .venv/bin/python benchmarks/profile_run.py [--stories 10] [--workdir /tmp/harness-profile]

Runs the pipeline in this process (one worker, so every stage is seen) under cProfile, twice on the same
stories: `cold` with empty caches, `embeddings cached` after deleting only the result and key-fact caches, so
the second run does all the work except computing embeddings. Prints a table of the stages' cumulative
times (a stage's time includes what it calls; stages overlap where one calls another) and writes it to
benchmarks/results/profile.md. cProfile slows pure-Python code more than model calls, so read the shares,
not the seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import time
from pathlib import Path

from common import publish  # benchmarks/common.py: a script's folder is on sys.path
from scale import generate, subset
from speed import forget_process_memory

from harness.config import Config
from harness.run.pipeline import run

# (label, file suffix, function name): the stages of harness/run/pipeline.py's data path and what they call
STAGES = [
    ("whole run", "harness/run/pipeline.py", "run"),
    ("model and pipeline loads (embedder, spaCy, rouge tokenizer)", "harness/runtime/embeddings.py", "model"),
    ("  spaCy load", "harness/checks/names.py", "nlp"),
    ("ingest", "harness/ingest/__init__.py", "load_stories"),
    ("derived key facts", "harness/evaluation/keyfacts.py", "derive_key_facts"),
    ("sentence embeddings (all calls)", "harness/runtime/embeddings.py", "encode"),
    ("  story set-up: source index", "harness/evaluation/evaluator.py", "__init__"),
    ("batch prefetch: split, embed, NER", "harness/evaluation/evaluator.py", "prefetch"),
    ("  NER (spaCy nlp.pipe)", "harness/checks/names.py", "prefetch_entities"),
    ("sentence splitting (pysbd)", "harness/text.py", "sentence_spans"),
    ("claim splitting", "harness/reading/claims.py", "split_claims"),
    ("evidence search", "harness/reading/retrieval.py", "search"),
    ("judge incl. checks", "harness/judges/contract.py", "judge"),
    ("  checks (all)", "harness/checks/__init__.py", "run_checks"),
    ("    meaning checks", "harness/checks/meaning.py", "check"),
    ("    quotation check", "harness/checks/quotes.py", "check"),
    ("    number check", "harness/checks/numbers.py", "check"),
    ("    date check", "harness/checks/dates.py", "check"),
    ("key-fact coverage (judged)", "harness/evaluation/coverage.py", "judged_coverage"),
    ("ROUGE against every reference", "harness/evaluation/metrics.py", "rouge"),
    ("  ROUGE-Lsum LCS", "harness/lcs.py", "summary_level_lcs"),
    ("extractive fragments", "harness/evaluation/metrics.py", "extractive_metrics"),
]


def stage_times(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each stage's function (summed over same-named functions of that file)."""
    totals = dict.fromkeys((label for label, _, _ in STAGES), 0.0)
    for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():
        for label, suffix, function in STAGES:
            if name == function and filename.endswith(suffix):
                totals[label] += cumulative
    return totals


def profiled_run(config: Config) -> tuple[dict[str, float], float]:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    run(config, quiet=True, workers=1)
    profile.disable()
    return stage_times(pstats.Stats(profile)), time.perf_counter() - started


def table(cold: dict[str, float], warm: dict[str, float], stories: int, candidates: int) -> str:
    whole_cold, whole_warm = cold["whole run"], warm["whole run"]
    lines = [
        "# Profile of a cold run",
        "",
        f"Command: `.venv/bin/python benchmarks/profile_run.py --stories {stories}` ({stories} generated stories, "
        f"{candidates} candidates, one process, cProfile; cumulative seconds, so nested stages are counted in their "
        "parents too). `embeddings cached`: the same run again with only the result and key-fact caches deleted.",
        "",
        "| stage | cold s | share of cold | embeddings cached s | share |",
        "|---|---|---|---|---|",
    ]
    for label, _, _ in STAGES:
        lines.append(
            f"| {label} | {cold[label]:.1f} | {cold[label] / whole_cold:.0%} | {warm[label]:.1f} | "
            f"{warm[label] / whole_warm:.0%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=10)
    parser.add_argument("--per-story", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-profile"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/profile.md")
    args = parser.parse_args()
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    generate(args.workdir / "all", args.stories, args.per_story)
    data = args.workdir / "data"
    subset(args.workdir / "all", data, args.stories)
    cache = args.workdir / "cache"
    config = Config(
        gold=str(data / "gold"),
        candidates=str(data / "candidates"),
        reports=str(args.workdir / "reports"),
        cache=str(cache),
    )
    cold, _ = profiled_run(config)
    for kind in ("results", "keyfacts"):
        shutil.rmtree(cache / kind, ignore_errors=True)
    forget_process_memory()  # what the process remembers of texts (entities, splits, tokens) is forgotten too
    warm, _ = profiled_run(config)
    candidates = sum(1 for _ in (data / "candidates").rglob("*.txt"))
    publish(table(cold, warm, args.stories, candidates), args.out)


if __name__ == "__main__":
    main()
