"""report.html: self-contained, correct for long and non-ASCII stories, and usable in a real browser."""
import copy
import os
import re
from pathlib import Path

import pytest

from harness.report import write_reports
from harness.report.html import marked, render_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report_folder(run_result, tmp_path_factory):
    from harness.gate import load_gate_config
    from conftest import ROOT
    return write_reports(run_result, tmp_path_factory.mktemp("html"), "html", load_gate_config(ROOT / "harness.toml"))


def test_self_contained_and_small(report_folder):
    html = (report_folder / "report.html").read_text("utf-8")
    assert len(html.encode("utf-8")) < 2_000_000
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing fetched from a network
    assert "<script src" not in html and "<link" not in html
    assert html.count('class="claim-detail"') == 75 and "Gate passed." in html


def test_marked_words():
    pieces = marked("Between 800 and 900 political prisoners", {"800", "political", "prisoner"}, {"900"})
    assert [(p["text"], p["mark"]) for p in pieces if p["mark"]] == [("800", "s"), ("900", "c"), ("political", "s"),
                                                             ("prisoners", "s")]


def _long_story(document, claims_per_candidate=300):
    """The example document with one candidate blown up to hundreds of claims and non-ASCII text."""
    document = copy.deepcopy(document)
    cand = document["stories"][0]["candidates"][0]
    base = cand["claims"][2]
    text, claims = "", []
    for n in range(claims_per_candidate):
        sentence = f"Zürich — «citation» 東京 claim {n} says 800 and 1,000 prisoners. "
        claim = copy.deepcopy(base)
        claim.update(id=f"{cand['id']}#{n + 1}", text=sentence.strip(), start=len(text), end=len(text) + len(sentence.strip()))
        claims.append(claim)
        text += sentence
    cand.update(text=text, claims=claims)
    return document


def test_long_non_ascii_story_renders_every_claim(report_folder):
    import json
    document = json.loads((report_folder / "run.json").read_text("utf-8"))
    html = render_html(_long_story(document))
    assert html.count('class="claim-detail"') == 300 + 75 - 27
    assert "Zürich — «citation» 東京 claim 299" in html and "&lt;" not in html[:200]
    assert len(html.encode("utf-8")) < 2_000_000


def _require_chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (/usr/bin/chromium) for the browser test")
        pytest.skip("Debian's chromium is not installed here (.ci/run installs it)")


@pytest.fixture
def page(report_folder):
    _require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((report_folder / "report.html").resolve().as_uri())
        yield page
        assert errors == []
        browser.close()


def test_click_a_contradicted_claim_shows_evidence_and_failed_check(page, tmp_path):
    claim = page.locator('a.claim[data-verdict="contradicted"]', has_text="still holds between 800 and 1,000").first
    panel_id = claim.get_attribute("data-claim")
    detail = page.locator(f"#{panel_id}")
    assert not detail.is_visible()
    claim.click()
    assert detail.is_visible()
    assert claim.get_attribute("aria-current") == "true"
    text = detail.inner_text()
    assert "contradicted" in text
    assert "The claim says 800 and 1,000; the source gives 800 and 900 for the same thing." in text
    assert "between 800 and 900 political prisoners are incarcerated" in text
    assert detail.locator("mark.c", has_text="900").count() >= 1  # the conflicting word is marked
    page.screenshot(path=str(tmp_path / "contradicted-claim.png"), full_page=False)
    assert (tmp_path / "contradicted-claim.png").stat().st_size > 10_000


def test_keyboard_selects_a_claim(page):
    claim = page.locator('a.claim[data-verdict="artefact"]').first
    claim.focus()
    page.keyboard.press("Enter")
    detail = page.locator(f"#{claim.get_attribute('data-claim')}")
    assert detail.is_visible() and "Not summary content" in detail.inner_text()


def test_systems_table_sorts(page):
    header = page.locator("#systems-table th button", has_text="faithfulness")
    header.click()
    first = page.locator("#systems-table tbody tr").first.locator("td").first.inner_text()
    header.click()
    last_first = page.locator("#systems-table tbody tr").first.locator("td").first.inner_text()
    assert (first, last_first) == ("rewrite", "digest")  # lowest, then highest faithfulness


def test_coverage_link_opens_the_claim(page):
    link = page.locator("#coverage a[data-claim]").first
    link.click()
    assert page.locator(f"#{link.get_attribute('data-claim')}").is_visible()


def test_print_shows_every_claim(page):
    page.emulate_media(media="print")
    details = page.locator(".claim-detail")
    assert details.count() == 75
    assert all(details.nth(i).is_visible() for i in (0, 30, 74))
