"""A Python API for hand-written tests: `harness.evaluate(sources, summary)` -> claims and metrics.

The Evaluator keeps the embedding model and judge loaded, so many evaluations in one test session cost
one model load; the pytest plugin exposes one as the `harness_evaluator` fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import Config
from harness.document import Document, KeyFact, Story
from harness.embeddings import Embedder
from harness.ingest import read_document
from harness.judge import make_judge
from harness.scorer import text_document


@dataclass
class Evaluation:
    claims: list[dict[str, Any]]
    metrics: dict[str, Any]

    def failing(self) -> list[dict[str, Any]]:
        return [c for c in self.claims if c["verdict"] in ("contradicted", "unsupported")]

    def explain(self) -> str:
        """One line per failing claim with its failed checks and best evidence, for assertion messages."""
        return "\n".join(
            f"{c['id']} [{c['verdict']}] {c['text']} | checks: {'; '.join(c['failed_checks']) or '-'}"
            f" | evidence: {c['evidence'][0]['text'] if c['evidence'] else '-'}"
            for c in self.failing()
        )


def _as_document(item: str | Path | Document, name: str) -> Document:
    if isinstance(item, Document):
        return item
    if isinstance(item, Path):
        return read_document(item)
    return text_document(name, item)


class Evaluator:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self.embedder = Embedder(self.config.embedding_model, Path(self.config.cache) / "embeddings")
        self.judge = make_judge(self.config.judge, self.config, **self.config.judge_options)

    def evaluate(
        self,
        sources: list[str | Path | Document] | str,
        summary: str | Path | Document,
        key_facts: list[str | KeyFact] | None = None,
        story_date: str | None = None,
    ) -> Evaluation:
        from harness.pipeline import StoryEvaluator
        from harness.report.tables import _claim_document

        sources = [sources] if isinstance(sources, (str, Path, Document)) else sources
        references = [_as_document(s, f"source{i + 1}") for i, s in enumerate(sources)]
        facts = [f if isinstance(f, KeyFact) else KeyFact(f"kf{i + 1}", f) for i, f in enumerate(key_facts or [])]
        story = Story("api", "api", story_date, references, facts)
        result = StoryEvaluator(story, self.embedder, self.judge, self.config).evaluate(
            _as_document(summary, "summary")
        )
        claims = [_claim_document(c, e, j) for c, e, j in zip(result.claims, result.evidence, result.judgements)]
        return Evaluation(claims, result.metrics)


_default: Evaluator | None = None


def evaluate(sources, summary, key_facts=None, story_date=None, config: Config | None = None) -> Evaluation:
    """Evaluate one summary against its sources (strings, paths or Documents)."""
    global _default
    if config is not None:
        return Evaluator(config).evaluate(sources, summary, key_facts, story_date)
    if _default is None:
        _default = Evaluator()
    return _default.evaluate(sources, summary, key_facts, story_date)
