"""report.html at SummEval's size (100 stories x 16 systems = 1,600 candidates), in Debian's Chromium.

Issue 13: at this size the contents bar held 1,602 links in one 71,000 px line, the gate banner listed every
candidate, and ids without the story made a claim of story 37 open a claim of story 1. The run document is
built from the example run's: its three candidates copied under SummEval-like names ("M0".."M15" in every
story), cut to their first claims so the page is about as large as the user's (14.6 MB); no model runs for
the copies.
"""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
from report_helpers import write_reports
from test_report_html import copy_candidate

from harness.config import load_config
from harness.evaluation.metrics import aggregate_systems
from harness.gate import gate_section
from harness.report.html import render_html

STORIES, SYSTEMS, CLAIMS = 100, 16, 3
WIDTH, HEIGHT = 1280, 800


def story_id(n: int) -> str:
    return f"summeval-{n:03d}"


def scale_document(example: dict[str, Any], count: int = STORIES) -> dict[str, Any]:
    """`count` x SYSTEMS candidates copied from the example's, with every candidate failing a gate threshold
    (the banner then has 1,616 failures to keep out of sight)."""
    base = example["stories"][0]
    sources = [c for c in base["candidates"] if c["status"] == "ok"]
    stories = []
    for s in range(1, count + 1):
        candidates = [
            copy_candidate(
                sources[(s + m) % len(sources)], f"M{m}", f"M{m}", f"candidates/{story_id(s)}/M{m}.txt", keep=CLAIMS
            )
            for m in range(SYSTEMS)
        ]
        stories.append({**base, "id": story_id(s), "title": f"SummEval article {s}", "candidates": candidates})
    rows = [{"system": c["system"], "status": c["status"], **c["metrics"]} for st in stories for c in st["candidates"]]
    document = {
        **{k: v for k, v in example.items() if k != "gate"},
        "stories": stories,
        "systems": aggregate_systems(rows),
    }
    from conftest import ROOT

    strict = replace(
        load_config(ROOT / "harness.toml").gate, thresholds={"min_faithfulness": 1.01}, stories={}, systems={}
    )
    document["gate"] = gate_section(document, strict)
    return document


@pytest.fixture(scope="module")
def scale_page(run_result, tmp_path_factory) -> dict[str, Any]:
    """The rendered page of the 1,600-candidate document, with how long rendering took."""
    folder = tmp_path_factory.mktemp("scale")
    example = json.loads((write_reports(run_result, folder, "example") / "run.json").read_text("utf-8"))
    document = scale_document(example)
    started = time.perf_counter()
    html = render_html(document)
    seconds = time.perf_counter() - started
    (folder / "report.html").write_text(html, "utf-8")
    return {"path": folder / "report.html", "html": html, "render_s": seconds, "document": document}


def test_page_is_one_file_with_unique_ids(scale_page):
    html = scale_page["html"]
    size = len(html.encode("utf-8"))
    print(f"\n1,600 candidates: {size / 1e6:.1f} MB, rendered in {scale_page['render_s']:.1f} s")
    assert size < 30_000_000 and scale_page["render_s"] < 30
    assert not re.search(r"""(src|href)=["']https?://""", html) and "<script src" not in html and "<link" not in html
    markup = html[: html.index("<script")]
    assert markup.count('<section class="candidate"') == STORIES * SYSTEMS
    assert 'class="claim-detail"' not in markup  # packed, each story's put in place when shown
    parts = unpacked_parts(html)
    assert len(parts) == STORIES + 1  # a part per story, and which part holds each claim
    everything = markup + "".join(parts.values())
    ids = re.findall(r'\sid="([^"]+)"', everything)
    assert len(ids) == len(set(ids))
    assert everything.count('class="claim-detail"') == STORIES * SYSTEMS * CLAIMS
    assert set(re.findall(r'data-claim="([^"]+)"', everything)) <= set(ids)
    slots = set(re.findall(r'data-slot="([^"]+)"', everything))
    assert slots == {i for i in ids if i.endswith(("-body", "-cov"))}  # every packed part has its empty slot
    claim_part = json.loads(parts["zmap"])
    assert len(claim_part) == STORIES * SYSTEMS * CLAIMS
    assert all(f'id="{claim}"' in parts[part] for claim, part in list(claim_part.items())[::97])


def unpacked_parts(html: str) -> dict[str, str]:
    """The page's packed parts by id, unpacked as the page does (base64, then raw deflate)."""
    found = re.findall(r'<script type="application/x-deflate-base64" id="([^"]+)">([^<]*)</script>', html)
    return {name: zlib.decompress(base64.b64decode(text), -15).decode("utf-8") for name, text in found}
    assert len(scale_page["document"]["gate"]["failures"]) >= STORIES * SYSTEMS


@contextmanager
def opened(chromium, html_file: Path, width: int = WIDTH, height: int = HEIGHT, address: str = "") -> Iterator[Any]:
    """The page in a fresh tab, at `address` ("#<id>", as a shared link); fails the test on any script error in
    the page."""
    page = chromium.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html_file.resolve().as_uri() + address)
    yield page
    page.close()
    assert errors == []


def visible(page, selector: str) -> int:
    """How many elements the selector finds are shown. Playwright's `:visible` takes about a minute over
    1,600 elements; the browser's own checkVisibility (closed <details>, `hidden`, display:none) is instant."""
    return page.eval_on_selector_all(selector, "els => els.filter(e => e.checkVisibility()).length")


def _geometry(page) -> dict[str, float]:
    return page.evaluate("""() => {
        const box = s => document.querySelector(s).getBoundingClientRect();
        return {scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth, innerHeight: window.innerHeight,
                navWidth: box('#toc').width, navHeight: box('#toc').height, gate: box('.gate').height}; }""")


def test_no_sideways_scroll_small_contents_and_banner(scale_page, chromium):
    started = time.perf_counter()
    with opened(chromium, scale_page["path"]) as page:
        loaded = time.perf_counter() - started
        g = _geometry(page)
        print(
            f"\nloaded in {loaded:.1f} s; scroll width {g['scroll']} of {g['inner']}; contents {g['navWidth']:.0f} px wide;"
            f" gate banner {g['gate']:.0f} px"
        )
        assert g["scroll"] <= g["inner"]
        assert g["navWidth"] <= 0.25 * WIDTH  # a sidebar: three quarters of the screen stay the report's
        assert g["gate"] < 300
        assert page.locator("details.toc-story").count() == STORIES
        assert page.locator("details.toc-story[open]").count() == 0  # grouped by story, collapsed
        assert visible(page, "#toc li a") == 0
        assert visible(page, ".gate-failures li") == 0
        page.locator(".gate-failures summary").click()  # the failures, opened, scroll inside the banner
        assert page.locator(".gate-failures li").count() >= STORIES * SYSTEMS
        assert page.locator(".gate").bounding_box()["height"] < 0.75 * HEIGHT
        page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight / 2)")
        assert _geometry(page)["scroll"] <= WIDTH
    with opened(chromium, scale_page["path"], 800) as page:  # narrow: contents on top, not over the text
        g = _geometry(page)
        assert g["scroll"] <= g["inner"] and g["navHeight"] <= 0.45 * HEIGHT


def test_contents_filter(scale_page, chromium):
    with opened(chromium, scale_page["path"]) as page:
        page.fill("#toc-filter", story_id(37))
        assert visible(page, "details.toc-story") == 1
        assert page.locator(f'details.toc-story[data-story="{story_id(37)}"][open]').count() == 1
        assert visible(page, "#toc li a") == SYSTEMS
        assert page.inner_text("#toc-count") == f"1 story, {SYSTEMS} candidates match"
        page.fill("#toc-filter", "m15")  # candidate names, case-insensitive: one link in every story
        assert visible(page, "details.toc-story") == STORIES
        assert visible(page, "#toc li a") == STORIES
        assert page.inner_text("#toc-count") == f"{STORIES} stories, {STORIES} candidates match"
        page.fill("#toc-filter", "no such name")
        assert visible(page, "details.toc-story") == 0
        page.fill("#toc-filter", "")
        assert visible(page, "details.toc-story") == STORIES
        assert page.locator("details.toc-story[open]").count() == 0


def test_candidate_filters(scale_page, chromium):
    with opened(chromium, scale_page["path"]) as page:
        kept = "section.candidate:not([hidden])"
        assert page.locator(kept).count() == STORIES * SYSTEMS
        page.select_option("#f-story", story_id(37))
        assert page.locator(kept).count() == SYSTEMS
        assert page.locator("details.cov-story:not([hidden])").count() == 1
        page.select_option("#f-system", "M3")
        assert page.locator(kept).count() == 1
        assert page.locator(kept).get_attribute("data-story") == story_id(37)
        assert page.inner_text("#f-count") == f"1 of {STORIES * SYSTEMS} candidates"
        page.select_option("#f-story", "")
        page.select_option("#f-system", "")
        page.select_option("#f-verdict", "unsupported")
        shown = page.locator(kept).count()
        tokens = page.eval_on_selector_all(kept, "els => els.map(e => e.dataset.verdicts.split(' '))")
        assert 0 < shown < STORIES * SYSTEMS and all("unsupported" in t for t in tokens)
        # a link to a candidate the filters hide clears them first
        page.select_option("#f-story", story_id(1))
        page.select_option("#f-verdict", "")
        target = page.locator(f'details.toc-story[data-story="{story_id(100)}"]')
        target.locator("summary").click()
        target.locator("a", has_text="M9").click()
        section = page.locator(f'section.candidate[data-story="{story_id(100)}"][data-candidate="M9"]')
        assert section.is_visible() and page.locator(kept).count() == STORIES * SYSTEMS
        assert section.bounding_box()["y"] < HEIGHT


def test_claims_in_any_story_open_their_own_detail(scale_page, chromium):
    with opened(chromium, scale_page["path"]) as page:
        for story in (1, 37, 100):
            _open_claims_of(page, story)


OPEN_DETAILS = "section.candidate:not([hidden]) .claim-detail:not([hidden])"  # a selector: checkVisibility
# would lay out every off-screen section


def _open_details(page) -> set[str]:
    return set(page.eval_on_selector_all(OPEN_DETAILS, "els => els.map(e => e.id)"))


def _owner(page, element_id: str) -> list[str]:
    return page.evaluate(
        "id => { const s = document.getElementById(id).closest('section.candidate');"
        " return [s.dataset.story, s.dataset.candidate]; }",
        element_id,
    )


def _open_claims_of(page, story: int) -> None:
    """Through the contents to the story's candidate M5, each of its claims, then a coverage tick: each opens
    the detail in its own story's section and nothing in any other story."""
    block = page.locator(f'details.toc-story[data-story="{story_id(story)}"]')
    block.locator("summary").click()
    block.locator("a", has_text="M5").click()
    section = page.locator(f'section.candidate[data-story="{story_id(story)}"][data-candidate="M5"]')
    assert section.bounding_box()["y"] < HEIGHT  # scrolled to
    elsewhere = _open_details(page)  # claims opened in other stories stay as they were
    for n in range(CLAIMS):
        claim = section.locator("a.claim").nth(n)
        claim.click()
        detail_id = claim.get_attribute("data-claim")
        detail = page.locator(f"#{detail_id}")
        assert detail.is_visible() and claim.get_attribute("aria-current") == "true"
        assert _owner(page, detail_id) == [story_id(story), "M5"]
        assert f"M5#{n + 1}" in detail.inner_text()
        assert _open_details(page) == elsewhere | {detail_id}
    coverage = page.locator(f'details.cov-story[data-story="{story_id(story)}"]')
    coverage.locator("summary").click()
    tick = coverage.locator("a[data-claim]").first
    tick.click()
    detail_id = tick.get_attribute("data-claim")
    assert page.locator(f"#{detail_id}").is_visible()
    assert _owner(page, detail_id)[0] == story_id(story)


def test_page_opens_on_what_needs_attention(scale_page, chromium):
    """The first screen shows the worst candidates (all 1,616 fail the gate here, so by faithfulness), each
    with its worst claims and their evidence one click away, and a link to the candidate's own section."""
    from harness.report.html import ATTENTION_ROWS

    with opened(chromium, scale_page["path"]) as page:
        rows = page.locator("ol.attention > li")
        assert rows.count() == ATTENTION_ROWS
        assert rows.first.bounding_box()["y"] < HEIGHT  # on the first screen, above the overview
        faithfulness = [
            float(text)
            for text in page.eval_on_selector_all(
                "ol.attention > li summary strong", "els => els.map(e => e.textContent)"
            )
        ]
        assert faithfulness == sorted(faithfulness)  # worst first
        first = rows.first
        assert visible(page, "ol.attention .attention-claim") == 0
        first.locator("summary").click(position={"x": 400, "y": 5})
        claims = first.locator(".attention-claim")
        assert claims.count() >= 1 and claims.first.is_visible()
        assert claims.first.locator("blockquote.evidence").is_visible()
        target = first.locator("summary a").get_attribute("href")[1:]
        first.locator("summary a").click()
        assert page.locator(f"#{target}").bounding_box()["y"] < HEIGHT
