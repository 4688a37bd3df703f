"""SummEval as a user would run it: lay the JSONL out as gold/ + candidates/, run the harness, correlate.

    .venv/bin/python benchmarks/summeval.py --bench ../shared/bench [--articles 100] [--workdir /tmp/harness-summeval]

Each article becomes a story (`gold/<article>/article.txt`), each system's summary a candidate
(`candidates/<article>/<system>.txt`), exactly as the benchmark ships them: lower-cased and tokenised. The
script runs `harness validate` and `harness run` in fresh processes, then prints, for every numeric column of
`candidates.csv`, the Spearman correlation with the experts' consistency (`score`) and relevance ratings over
all summaries (summary level), the mean of per-article Spearman, and Kendall's tau over the 16 systems' means
(system level); plus the verdict counts and what the `contradicted` verdicts' failed checks were. Writes the
table to benchmarks/results/summeval.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
from common import publish, read_jsonl  # benchmarks/common.py: a script's folder is on sys.path
from rouge_score.rouge_scorer import RougeScorer
from scipy.stats import kendalltau, spearmanr

from harness.registry import METRICS, lower_is_better

HUMAN = ("score", "relevance")  # expert consistency and relevance, 1-5
COLUMNS = (
    "consistency",
    "faithfulness",
    "mean_p_support",
    "contradicted",
    "unsupported",
    "weighted_coverage",
    "coverage",
    "rouge1_vs_reference",
    "rouge1_max",
    "rouge2_max",
    "rougeLsum_max",
    "semantic_similarity",
    "fragment_coverage",
    "fragment_density",
)


def article_id(row_id: str) -> str:
    """`summeval-dm-test-<hash>-M11` (or `-S2`) -> `dm-test-<hash>`."""
    return re.sub(r"^summeval-|-[A-Z]+\d+$", "", row_id)


def lay_out(rows: list[dict], root: Path, with_reference: bool) -> None:
    """gold/<article>/{story.yaml, article.txt[, reference.txt]} and candidates/<article>/<system>.txt. With
    `with_reference` the article's highlights are the story's reference summary (its key facts); without,
    the harness derives key facts from the article."""
    for row in rows:
        story = article_id(row["id"])
        gold, candidates = root / "gold" / story, root / "candidates" / story
        if not gold.exists():
            gold.mkdir(parents=True)
            (gold / "article.txt").write_text(row["document"] + "\n", "utf-8")
            spec = f"title: {story}\nreferences: [{{file: article.txt}}]\n"
            if with_reference:
                (gold / "reference.txt").write_text(row["reference"] + "\n", "utf-8")
                spec += "summaries: [{file: reference.txt}]\n"
            (gold / "story.yaml").write_text(spec, "utf-8")
        candidates.mkdir(parents=True, exist_ok=True)
        (candidates / f"{row['system']}.txt").write_text(row["summary"] + "\n", "utf-8")


def harness(root: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "harness.cli", *args, "--config", str(root / "harness.toml")]
    return subprocess.run(command, capture_output=True, text=True, cwd=root)


def correlations(frame: pd.DataFrame) -> list[tuple[str, str, float, float, float]]:
    """(column, human, summary-level Spearman, mean per-article Spearman, system-level Kendall)."""
    out = []
    for column in COLUMNS:
        if column not in frame or frame[column].isna().all():
            continue
        sign = -1 if column in METRICS and lower_is_better(column) else 1  # rouge1_vs_reference: higher
        values = frame.assign(metric=sign * frame[column].astype(float))
        for human in HUMAN:
            overall = spearmanr(values["metric"], values[human], nan_policy="omit").statistic
            per_article = values.groupby("story").apply(
                lambda g: spearmanr(g["metric"], g[human], nan_policy="omit").statistic, include_groups=False
            )
            systems = values.groupby("system")[["metric", human]].mean()
            out.append(
                (column, human, overall, per_article.mean(), kendalltau(systems["metric"], systems[human]).statistic)
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True, help="folder holding summeval_all.jsonl")
    parser.add_argument("--articles", type=int, default=100, help="first N articles (default all 100)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-summeval"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--key-facts",
        choices=["reference", "derived"],
        default="reference",
        help="reference: the highlights are reference summaries; derived: no reference at all",
    )
    parser.add_argument("--judge", default="evidence", help="[judge] name for the run (its coverage is judged too)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "summeval.md")
    args = parser.parse_args()
    path = args.bench / "summeval_all.jsonl" if args.bench.is_dir() else args.bench
    rows = read_jsonl(path)
    keep = list(dict.fromkeys(article_id(r["id"]) for r in rows))[: args.articles]
    rows = [r for r in rows if article_id(r["id"]) in set(keep)]
    root = args.workdir
    shutil.rmtree(root / "gold", ignore_errors=True)
    shutil.rmtree(root / "candidates", ignore_errors=True)
    lay_out(rows, root, args.key_facts == "reference")
    (root / "harness.toml").write_text(
        '[paths]\ngold = "gold"\ncandidates = "candidates"\nreports = "reports"\ncache = "cache"\n'
        f'[judge]\nname = "{args.judge}"\n',
        "utf-8",
    )
    validate = harness(root, "validate")
    problems = [line for line in validate.stderr.splitlines() if line.startswith("error: ")]
    started = time.perf_counter()
    run = harness(root, "run", "--quiet", "--workers", str(args.workers))
    seconds = time.perf_counter() - started
    if run.returncode not in (0, 2) or not (root / "reports/latest/candidates.csv").exists():
        raise SystemExit(f"harness run failed ({run.returncode}):\n{run.stderr[-3000:]}")
    results = pd.read_csv(root / "reports/latest/candidates.csv")
    rouge = RougeScorer(["rouge1"], use_stemmer=True)
    human = pd.DataFrame(
        [
            {
                "story": article_id(r["id"]),
                "candidate": r["system"],
                **{h: r[h] for h in HUMAN},
                "rouge1_vs_reference": rouge.score(r["reference"], r["summary"])["rouge1"].fmeasure,
            }
            for r in rows
        ]
    )
    frame = human.merge(results, on=["story", "candidate"], how="left")
    claims = pd.read_csv(root / "reports/latest/claims.csv")
    contradicted = claims[claims["verdict"] == "contradicted"]
    failed = Counter(
        part.split(":")[0] for checks in contradicted["checks"].fillna("") for part in checks.split(";") if part
    )
    unscored = int(frame["consistency"].isna().sum())
    lines = [
        f"# SummEval laid out as gold/ + candidates/ ({len(keep)} articles, {len(rows)} summaries, "
        f"key facts: {args.key_facts})",
        "",
        f"Command: `.venv/bin/python benchmarks/summeval.py --bench {args.bench} --articles {args.articles} "
        f"--key-facts {args.key_facts}" + (f" --judge {args.judge}" if args.judge != "evidence" else "") + "`; "
        f"`harness run` took {seconds:.0f} s (cold or warm caches as found in {root}).",
        "",
        f"- `harness validate`: {len(problems)} problems" + (f" (first: {problems[0]})" if problems else ""),
        f"- candidates with an error row: {int((results['status'] == 'error').sum())}; "
        f"with no numeric consistency score: {unscored}",
        f"- claims: {len(claims)}; verdicts: "
        + ", ".join(f"{v} {n}" for v, n in claims["verdict"].value_counts().items()),
        "- failed checks behind `contradicted`: " + (", ".join(f"{k} {n}" for k, n in failed.most_common()) or "none"),
        "",
        "| metric | human rating | Spearman (all summaries) | mean Spearman per article | Kendall (16 systems) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {c} | {h} | {s:.3f} | {a:.3f} | {k:.3f} |" for c, h, s, a, k in correlations(frame)]
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
