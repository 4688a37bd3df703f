"""What each part of coverage adds, from a SummEval run's coverage.csv: Spearman with the experts' relevance.

    .venv/bin/python benchmarks/summeval.py --bench ../shared/bench --key-facts reference
    .venv/bin/python benchmarks/coverage_ablation.py --bench ../shared/bench [--workdir /tmp/harness-summeval]

Reads `reports/latest/coverage.csv` of the run `benchmarks/summeval.py --key-facts reference` made (one row per
summary and key fact: the highlights' sentences and the facts derived from the article) and recomputes coverage
from its columns in each variant: the NLI model's p(entailment) alone, the fact's word share alone, their mean
(the harness's credit), with every highlight sentence weight 1 or weighted by its content words (the harness),
highlights alone or with the derived facts beside them, each kind counting half (the harness's
`weighted_coverage`). Prints summary-level Spearman, mean per-article Spearman and system-level Kendall (16
systems), with ROUGE-1 F1 against the highlights beside them; writes benchmarks/results/coverage_ablation.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from common import publish, read_jsonl  # benchmarks/common.py: a script's folder is on sys.path
from rouge_score.rouge_scorer import RougeScorer
from scipy.stats import kendalltau, spearmanr
from summeval import article_id

from harness.document import DERIVED, REFERENCE


def kind_share(rows: pd.DataFrame, column: str, weighted: bool) -> pd.Series:
    """Per (story, candidate): the weighted mean of `column` over the rows (weight 1 each unless `weighted`)."""
    weight = rows["weight"] if weighted else 1.0
    frame = rows.assign(value=rows[column] * weight, w=weight)
    sums = frame.groupby(["story", "candidate"])[["value", "w"]].sum()
    return sums["value"] / sums["w"]


def correlations(values: pd.Series, human: pd.DataFrame) -> tuple[float, float, float]:
    frame = human.join(values.rename("metric"), on=["story", "candidate"], how="inner")
    overall = spearmanr(frame["metric"], frame["relevance"]).statistic
    per_article = frame.groupby("story").apply(
        lambda g: spearmanr(g["metric"], g["relevance"]).statistic, include_groups=False
    )
    systems = frame.groupby("candidate")[["metric", "relevance"]].mean()
    return overall, per_article.mean(), kendalltau(systems["metric"], systems["relevance"]).statistic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, required=True, help="folder holding summeval_all.jsonl")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-summeval"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "coverage_ablation.md")
    args = parser.parse_args()
    coverage = pd.read_csv(args.workdir / "reports/latest/coverage.csv", keep_default_na=False)
    kinds = set(coverage["fact_kind"])
    if REFERENCE not in kinds or DERIVED not in kinds:
        raise SystemExit(
            f"{args.workdir}: the latest run has no {REFERENCE} and {DERIVED} facts; run summeval.py first"
        )
    for column in ("p_entailment", "lexical", "credit", "weight"):
        coverage[column] = coverage[column].astype(float)
    rows = read_jsonl(args.bench / "summeval_all.jsonl" if args.bench.is_dir() else args.bench)
    rouge = RougeScorer(["rouge1"], use_stemmer=True)
    human = pd.DataFrame(
        [
            {
                "story": article_id(r["id"]),
                "candidate": r["system"],
                "relevance": r["relevance"],
                "rouge1": rouge.score(r["reference"], r["summary"])["rouge1"].fmeasure,
            }
            for r in rows
        ]
    )
    human = human[human["story"].isin(set(coverage["story"]))]
    reference, derived = coverage[coverage["fact_kind"] == REFERENCE], coverage[coverage["fact_kind"] == DERIVED]
    variants = [
        ("highlights: p(entailment) alone, weight 1", kind_share(reference, "p_entailment", False)),
        ("highlights: word share alone, weight 1", kind_share(reference, "lexical", False)),
        ("highlights: credit (mean of the two), weight 1", kind_share(reference, "credit", False)),
        ("highlights: credit, weighted by content words", kind_share(reference, "credit", True)),
        ("derived facts alone: credit", kind_share(derived, "credit", True)),
        (
            "highlights and derived facts, each kind half (`weighted_coverage`)",
            (kind_share(reference, "credit", True) + kind_share(derived, "credit", True)) / 2,
        ),
        ("ROUGE-1 F1 against the highlights", human.set_index(["story", "candidate"])["rouge1"]),
    ]
    lines = [
        f"# Coverage ablation on SummEval ({len(human)} summaries, relevance)",
        "",
        f"Command: `.venv/bin/python benchmarks/coverage_ablation.py --bench {args.bench}` after "
        "`benchmarks/summeval.py --key-facts reference`; from the run's coverage.csv.",
        "",
        "| variant | Spearman, all summaries | mean Spearman per article | Kendall, 16 systems |",
        "|---|---|---|---|",
    ]
    for name, values in variants:
        overall, per_article, systems = correlations(values, human)
        lines.append(f"| {name} | {overall:.3f} | {per_article:.3f} | {systems:.3f} |")
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
