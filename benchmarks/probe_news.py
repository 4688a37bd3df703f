"""One-edit probes of judges on real news text: `harness probe` over SummEval's CNN/DailyMail articles.

    .venv/bin/python benchmarks/probe_news.py --bench ../shared/bench --judge evidence --judge crossencoder \
        [--model harness/models/nli-minilm] [--articles 30] [--max-sentences 4] [--out benchmarks/results/probe_news.md] \
        [--before an-earlier-run.md]

Lays the first N articles out as stories (gold/<article>/article.txt; the summaries are not used), then runs
`harness probe` on them with each judge, exactly as a user would (`--model` sets `[models] consistency`, the
crossencoder judge's model). Prints a Markdown table of catch and acceptance rates with 95% intervals and
writes it to --out; the probe's own probe.csv/json/html stay in --workdir.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import publish, summeval  # benchmarks/common.py: a script's folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]


def lay_out(rows: list[dict], gold: Path, articles: int) -> int:
    """gold/<nn>/article.txt for the first `articles` distinct documents; returns how many were written."""
    seen: list[str] = []
    for row in rows:
        if row["document"] not in seen:
            seen.append(row["document"])
        if len(seen) == articles:
            break
    for n, document in enumerate(seen, start=1):
        folder = gold / f"article-{n:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "article.txt").write_text(document + "\n", "utf-8")
        (folder / "story.yaml").write_text(
            f"title: SummEval article {n}\nreferences: [{{file: article.txt}}]\n", "utf-8"
        )
    return len(seen)


def earlier_rates(path: Path) -> dict[tuple[str, str], str]:
    """(judge, kind) -> "rate (n)" from an earlier run's table (this script's own Markdown), to set beside."""
    lines = [line for line in path.read_text("utf-8").splitlines() if line.startswith("| ")]
    judges = [cell.strip() for cell in lines[0].strip("|").split("|")][2:]
    rates = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for judge, cell in zip(judges, cells[2:]):
            rate, _, rest = cell.partition(" (")
            rates[(judge, cells[0])] = f"{rate} (n={rest.rsplit('n=', 1)[-1].rstrip(')')})" if rest else rate
    return rates


def table(document: dict, articles: int, command: str, before: dict[tuple[str, str], str] | None = None) -> str:
    judges = document["settings"]["judges"]
    rows = {(r["judge"], r["kind"]): r for r in document["rates"]}
    kinds = list(dict.fromkeys(r["kind"] for r in document["rates"]))
    lines = [
        "# One-edit probes on real news text",
        "",
        f"Command: `{command}`",
        "",
        f"{articles} SummEval (CNN/DailyMail) articles as stories, {document['settings']['max_sentences']} sentences "
        "each; every variant judged through the normal pipeline against its article. Rate: share caught (edits "
        "that make the sentence false) or accepted (the original and meaning-preserving edits), with a Wilson 95% "
        "interval; n variants made (skipped: the edit could not be made on that sentence).",
        "",
        "| edit | expects | " + " | ".join(judges) + " |",
        "|---|---|" + "---|" * len(judges),
    ]
    if before:
        lines[-2] = lines[-2].rstrip(" |") + " | " + " | ".join(f"{j} before" for j in judges) + " |"
        lines[-1] += "---|" * len(judges)
    for kind in kinds:
        cells = []
        for judge in judges:
            r = rows[(judge, kind)]
            cells.append(
                "–" if r["rate"] is None else f"{r['rate']:.0%} ({r['ci_low']:.0%}–{r['ci_high']:.0%}, n={r['n']})"
            )
        if before:
            cells += [before.get((judge, kind), "–") for judge in judges]
        lines.append(f"| {kind} | {rows[(judges[0], kind)]['expect']} | " + " | ".join(cells) + " |")
    for judge in judges:
        caught = [rows[(judge, k)] for k in kinds if rows[(judge, k)]["expect"] == "caught" and rows[(judge, k)]["n"]]
        hits = sum(r["rate"] * r["n"] for r in caught)
        total = sum(r["n"] for r in caught)
        lines.append("")
        lines.append(
            f"- {judge}: {hits / total:.0%} of {total} must-catch edits caught; originals accepted "
            f"{rows[(judge, 'original')]['rate']:.0%}."
            if total and rows.get((judge, "original"))
            else f"- {judge}: –"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, required=True, help="folder holding summeval_all.jsonl")
    parser.add_argument("--judge", action="append", help="judge to probe (repeat; default evidence)")
    parser.add_argument("--model", help="the crossencoder judge's model ([models] consistency)")
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--max-sentences", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-probe-news"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "probe_news.md")
    parser.add_argument("--before", type=Path, help="an earlier run's table: its rates are set beside these")
    args = parser.parse_args()
    gold = args.workdir / "gold"
    articles = lay_out(summeval(args.bench), gold, args.articles)
    config = args.workdir / "harness.toml"
    model = f'[models]\nconsistency = "{Path(args.model).resolve()}"\n' if args.model else ""
    config.write_text(f'[paths]\ngold = "gold"\ncache = "cache"\nreports = "reports"\n{model}', "utf-8")
    judges = args.judge or ["evidence"]
    command = [sys.executable, "-m", "harness.cli", "probe", "--config", str(config), "--quiet"]
    command += [f"--judge={j}" for j in judges] + ["--max-sentences", str(args.max_sentences), "--seed", str(args.seed)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=args.workdir)
    if done.returncode not in (0, 1):
        raise SystemExit(f"harness probe failed ({done.returncode}):\n{done.stderr}")
    print(done.stdout)
    document = json.loads((args.workdir / "reports" / "probe" / "probe.json").read_text("utf-8"))
    shown = " ".join(["benchmarks/probe_news.py --bench ../shared/bench", *[f"--judge {j}" for j in judges]])
    shown += f" --articles {args.articles} --max-sentences {args.max_sentences}"
    shown += f" --model {args.model}" if args.model else ""
    before = earlier_rates(args.before) if args.before else None
    publish(table(document, articles, shown, before), args.out)


if __name__ == "__main__":
    main()
