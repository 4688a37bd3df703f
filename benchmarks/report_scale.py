"""report.html at scale: its size, how long it takes to render, and how long Chromium takes to open it, with
each story's details inline (as below PACKED_FROM candidates) and packed (as from PACKED_FROM on), side by side.

    # a real run's run.json, laid out six times over (SummEval's 1,600 candidates -> 9,600)
    .venv/bin/python benchmarks/report_scale.py --run reports/latest/run.json --copies 1,6

The run document is the given run.json with its stories copied under new ids (`<story>~2`, ...), so the text,
claims and evidence are a real run's; no model runs. For each size and layout: the page's size, the median
seconds to render it (harness.report.html.render_html), and the median seconds from navigation to the page's
`load` event in Debian's Chromium (headless, through Playwright), then the seconds to show a story's claims
(the page opened at a link to the last claim of the last story, until that claim's panel shows). Writes benchmarks/results/report_scale.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine, publish  # benchmarks/common.py: a script's folder is on sys.path

import harness.report.html as html

CHROMIUM = "/usr/bin/chromium"


def laid_out(document: dict[str, Any], copies: int) -> dict[str, Any]:
    """The run's stories `copies` times over, each copy under its own story id."""
    stories = []
    for n in range(copies):
        for story in document["stories"]:
            stories.append({**copy.deepcopy(story), "id": story["id"] + (f"~{n + 1}" if n else "")})
    return {**document, "stories": stories}


def render(document: dict[str, Any], packed: bool, repeats: int) -> tuple[str, float]:
    """The page, and the median seconds to render it, inline or packed whatever the run's size."""
    saved = html.PACKED_FROM
    html.PACKED_FROM = 0 if packed else 10**9
    try:
        times, page = [], ""
        for _ in range(repeats):
            started = time.perf_counter()
            page = html.render_html(document)
            times.append(time.perf_counter() - started)
    finally:
        html.PACKED_FROM = saved
    return page, statistics.median(times)


def browse(path: Path, last_claim: str, repeats: int) -> tuple[float, float]:
    """Median seconds to Chromium's load event, and to a claim of the last story shown by a link into the page."""
    from playwright.sync_api import sync_playwright

    loads, shows = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            started = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load", timeout=300_000)
            loads.append(time.perf_counter() - started)
            page.close()
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            started = time.perf_counter()
            page.goto(f"{path.as_uri()}#{last_claim}", wait_until="load", timeout=300_000)
            page.wait_for_selector(f"#{last_claim}:not([hidden])", timeout=300_000)
            shows.append(time.perf_counter() - started)
            page.close()
        browser.close()
    return statistics.median(loads), statistics.median(shows)


def last_claim_dom(document: dict[str, Any]) -> str:
    """The page's id of the last claim of the last story (a target only packed pages must unpack first)."""
    ids = html.DomIds()
    for story in document["stories"]:
        for cand in story["candidates"]:
            for claim in cand["claims"]:
                found = ids(story["id"], html.candidate_name(cand), claim["id"]), story["id"]
    return found[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a run.json written by `harness run`")
    parser.add_argument("--copies", default="1,6", help="how many times the run's stories are laid out")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/report_scale.md")
    args = parser.parse_args()
    source = json.loads(args.run.read_text("utf-8"))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for copies in (int(c) for c in args.copies.split(",")):
            document = laid_out(source, copies)
            count = sum(len(s["candidates"]) for s in document["stories"])
            claim = last_claim_dom(document)
            for packed in (False, True):
                page, render_s = render(document, packed, args.repeats)
                path = Path(folder) / f"report-{copies}-{packed}.html"
                path.write_text(page, "utf-8")
                load_s, show_s = browse(path, claim, args.repeats)
                rows.append(
                    (count, "packed" if packed else "inline", len(page.encode("utf-8")), render_s, load_s, show_s)
                )
                print(rows[-1], file=sys.stderr)
    lines = [
        "# report.html at scale",
        "",
        f"Command: `.venv/bin/python benchmarks/report_scale.py --run <run.json> --copies {args.copies}` with the run.json "
        f"of `{args.run.name}` ({len(source['stories'])} stories); {machine()}, "
        f"Debian's Chromium headless. Medians of {args.repeats}. `inline`: every story's claims, evidence and coverage "
        f"in the page's markup (the layout below {html.PACKED_FROM} candidates); `packed`: each story's packed and put "
        "in place when first shown. `open` is navigation to the load event; `open at a claim` is from "
        "navigation to the last story's last claim shown, the page opened at a link to it.",
        "",
        "| candidates | layout | page MB | render s | open s | open at a claim s |",
        "|---|---|---|---|---|---|",
    ]
    for count, layout, size, render_s, load_s, show_s in rows:
        lines.append(f"| {count} | {layout} | {size / 1e6:.1f} | {render_s:.1f} | {load_s:.2f} | {show_s:.2f} |")
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
