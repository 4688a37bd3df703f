"""report.html: self-contained, correct for long and non-ASCII stories, and usable in a real browser."""

import copy
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from report_helpers import write_reports

from harness.report.html import render_html, short_summary
from harness.report.marking import marked, marked_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report_folder(run_result, tmp_path_factory):
    from conftest import ROOT

    from harness.config import load_config

    return write_reports(run_result, tmp_path_factory.mktemp("html"), "html", load_config(ROOT / "harness.toml").gate)


def test_self_contained_and_small(report_folder):
    html = (report_folder / "report.html").read_text("utf-8")
    assert len(html.encode("utf-8")) < 2_000_000
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing fetched from a network
    assert "<script src" not in html and "<link" not in html
    assert html.count('class="claim-detail"') == 75 and "Gate passed." in html


def test_marked_words():
    pieces = marked("Between 800 and 900 political prisoners", {"800", "political", "prisoner"}, {"900"})
    assert [(p["text"], p["mark"]) for p in pieces if p["mark"]] == [
        ("800", "s"),
        ("900", "c"),
        ("political", "s"),
        ("prisoners", "s"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Between 800 and 900 political prisoners",
        """Tom & Jerry's "cat" <b>800</b> prisoners' 900 & more""",
        "Zürich — «citation» 東京 claim says 800 and 1,000 prisoners.",
        "",
    ],
)
def test_marked_html_is_what_the_template_loop_over_marked_pieces_wrote(text):
    """marked_html replaced a template loop over marked(); the bytes must be the loop's."""
    from jinja2 import Environment

    loop = Environment(autoescape=True).from_string(
        '{% for p in pieces %}{% if p.mark %}<mark class="{{ p.mark }}">{{ p.text }}</mark>'
        "{% else %}{{ p.text }}{% endif %}{% endfor %}"
    )
    supporting, conflicting = {"800", "political", "prisoner", "cat"}, {"900", "jerri"}
    assert str(marked_html(text, supporting, conflicting)) == loop.render(pieces=marked(text, supporting, conflicting))
    assert str(marked_html(text, supporting, conflicting)) == str(marked_html(text, supporting, conflicting))  # cached


def _long_story(document, claims_per_candidate=300):
    """The example document with one candidate blown up to hundreds of claims and non-ASCII text."""
    document = copy.deepcopy(document)
    cand = document["stories"][0]["candidates"][0]
    base = cand["claims"][2]
    text, claims = "", []
    for n in range(claims_per_candidate):
        sentence = f"Zürich — «citation» 東京 claim {n} says 800 and 1,000 prisoners. "
        claim = copy.deepcopy(base)
        claim.update(
            id=f"{cand['id']}#{n + 1}", text=sentence.strip(), start=len(text), end=len(text) + len(sentence.strip())
        )
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
    """Browser tests run wherever Debian's Chromium is; elsewhere they skip saying how to enable them, except
    under .ci/run (HARNESS_REQUIRE_BROWSER=1), which installs Chromium and must never skip them."""
    if not CHROMIUM.exists():
        if os.environ.get("HARNESS_REQUIRE_BROWSER") == "1":
            pytest.fail("HARNESS_REQUIRE_BROWSER=1 but Debian's chromium (/usr/bin/chromium) is not installed")
        pytest.skip(
            "browser test: Debian's chromium is not installed (/usr/bin/chromium); enable with "
            "`sudo apt-get install chromium`, or run .ci/run, which installs it"
        )


@contextmanager
def browser_page(html_file: Path, width: int = 1300, height: int = 1000) -> Iterator[Any]:
    """A page of Debian's Chromium showing the file; fails the test on any script error in the page."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html_file.resolve().as_uri())
        yield page
        assert errors == []
        browser.close()


@pytest.fixture
def page(report_folder):
    with browser_page(report_folder / "report.html") as page:
        yield page


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


def copy_candidate(cand: dict[str, Any], name: str, system: str, path: str, keep: int | None = None) -> dict[str, Any]:
    """A copy of a run document's candidate under a new name: claim ids and key-fact matches renamed; with
    `keep`, only its first claims and the text up to the last of them (SummEval-sized summaries)."""
    claims = sorted(cand["claims"], key=lambda c: c["start"])[:keep]
    renamed = {c["id"]: f"{name}#{n + 1}" for n, c in enumerate(claims)}
    copied = copy.deepcopy({k: v for k, v in cand.items() if k != "claims"})
    copied.update(
        id=name, system=system, path=path, claims=[{**copy.deepcopy(c), "id": renamed[c["id"]]} for c in claims]
    )
    if keep is not None:
        counts = {
            v: sum(c["verdict"] == v for c in claims) for v in ("supported", "contradicted", "unsupported", "artefact")
        }
        copied.update(
            text=cand["text"][: claims[-1]["end"]], metrics={**copied["metrics"], **counts, "claims": len(claims)}
        )
    copied["key_facts"] = [
        {**m, "claim_id": renamed.get(m["claim_id"]), "covered": m["covered"] and m["claim_id"] in renamed}
        for m in cand["key_facts"]
    ]
    return copied


TWIN_STORIES = {"story one": ["a b", "a-b", "Ünïcode"], "story-one": ["Ùnicode", "a b", "a-b"]}


def _twin_document(document: dict[str, Any]) -> dict[str, Any]:
    """Names that any slug merges: story ids 'story one'/'story-one', candidates 'a b'/'a-b', two non-ASCII
    names, and 'a b' (with the same claim ids 'a b#1' ...) in both stories."""
    base = document["stories"][0]
    stories = [
        {
            **base,
            "id": story_id,
            "title": f"Title of {story_id}",
            "candidates": [
                copy_candidate(src, name, name, f"candidates/{story_id}/{name}.txt")
                for name, src in zip(names, base["candidates"])
            ],
        }
        for story_id, names in TWIN_STORIES.items()
    ]
    return {**document, "stories": stories}


def test_ids_are_unique_and_every_reference_has_its_target(report_folder):
    document = json.loads((report_folder / "run.json").read_text("utf-8"))
    html = render_html(_twin_document(document))
    html = html[: html.index("<script>")]  # the markup, not the page's script
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    sections = re.findall(r'<section class="candidate" id="([^"]+)"', html)
    assert len(set(sections)) == 6
    references = set(
        re.findall(r'href="#([^"]+)"', html)
        + re.findall(r'data-claim="([^"]+)"', html)
        + re.findall(r'aria-labelledby="([^"]+)"', html)
    )
    assert references <= set(ids)
    assert html.count('class="claim-detail"') == 2 * 75


def test_each_link_opens_its_own_target(report_folder, tmp_path):
    document = json.loads((report_folder / "run.json").read_text("utf-8"))
    (tmp_path / "twins.html").write_text(render_html(_twin_document(document)), "utf-8")
    with browser_page(tmp_path / "twins.html") as page:
        # every contents link leads to the section of its own story and candidate
        pairs = page.evaluate("""() => Array.from(document.querySelectorAll('#toc li a')).map(a => {
            const target = document.getElementById(a.getAttribute('href').slice(1));
            return [a.closest('details').dataset.story, a.textContent, target.dataset.story, target.dataset.candidate]; })""")
        assert len(pairs) == 6 and all(p[:2] == p[2:] for p in pairs)
        assert sorted((p[0], p[1]) for p in pairs) == sorted((s, n) for s, names in TWIN_STORIES.items() for n in names)
        # clicking a claim opens the detail in its own candidate's section, for every candidate
        for n in range(6):
            section = page.locator("section.candidate").nth(n)
            claim = section.locator("a.claim").nth(1)
            claim.click()
            detail_id = claim.get_attribute("data-claim")
            assert page.locator(f"#{detail_id}").is_visible()
            owner = page.evaluate(
                "id => { const s = document.getElementById(id).closest('section.candidate');"
                " return [s.dataset.story, s.dataset.candidate]; }",
                detail_id,
            )
            assert owner == [section.get_attribute("data-story"), section.get_attribute("data-candidate")]
            assert section.locator(".claim-detail:visible").count() == 1
        # a coverage tick opens the claim of its own story's candidate
        for story_id in TWIN_STORIES:
            link = page.locator(f'details.cov-story[data-story="{story_id}"] a[data-claim]').first
            link.click()
            detail_id = link.get_attribute("data-claim")
            assert page.locator(f"#{detail_id}").is_visible()
            assert (
                page.evaluate("id => document.getElementById(id).closest('section.candidate').dataset.story", detail_id)
                == story_id
            )


def test_gate_line_leaves_out_the_lists_of_names():
    summary = (
        "gate FAILED: 1 of 2 checks passed; baseline b.json: 0 matched, 1,600 new (s/a, s/b (x)), 3 missing (t/a, t/b)"
    )
    assert (
        short_summary(summary) == "gate FAILED: 1 of 2 checks passed; baseline b.json: 0 matched, 1,600 new, 3 missing"
    )
    assert (
        short_summary("gate PASSED: 12 of 12 checks passed; no baseline")
        == "gate PASSED: 12 of 12 checks passed; no baseline"
    )


def test_the_banner_states_the_result_once():
    from harness.report.html import gate_view

    view = gate_view({"summary": "gate FAILED: 0 of 6 checks passed; no baseline", "failures": []}, {})
    assert view["line"] == "0 of 6 checks passed; no baseline"  # was "Gate failed. gate FAILED: 0 of 6 ..."
    assert view["full"].startswith("gate FAILED") and not view["shortened"]  # nothing left out: no details
    listed = gate_view(
        {"summary": "gate PASSED: 1 of 1 checks passed; baseline b.json: 0 matched, 2 new (s/a, s/b)"}, {}
    )
    assert listed["shortened"] and listed["line"] == "1 of 1 checks passed; baseline b.json: 0 matched, 2 new"
