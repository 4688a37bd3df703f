"""A Python API for hand-written tests: `harness.evaluate(sources, summary)` -> claims and metrics.

The Evaluator keeps the embedding model and judge loaded, so many evaluations in one test session cost
one model load; the pytest plugin exposes one as the `harness_evaluator` fixture. `evaluate` keeps one
Evaluator per distinct config for the same reason.

Text versus files: a `str` is the text itself, a `pathlib.Path` is a file read as `harness run` reads it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import Config, api_config
from harness.document import Document, KeyFact, Story
from harness.evaluation.evaluator import story_evaluator
from harness.evaluation.loaded_models import Models, load_models
from harness.measure.scorer import as_document
from harness.registry import FAILING
from harness.report.tables import claim_document

Source = str | Path | Document


@dataclass
class Evaluation:
    """One summary's evaluation: `claims`, one dict per claim (id, text, verdict, p_support, evidence,
    failed_checks, ...) as in claims.json, and `metrics`, the candidate's metrics (faithfulness, consistency,
    coverage, ROUGE, ...) as in candidates.csv."""

    claims: list[dict[str, Any]]
    metrics: dict[str, Any]

    def failing(self) -> list[dict[str, Any]]:
        """The claims a faithful summary would not have: contradicted or unsupported ones."""
        return [c for c in self.claims if c["verdict"] in FAILING]

    def __repr__(self) -> str:
        """Short enough for a pytest assertion message: the headline metrics and the failing claims' ids
        (`explain()` gives the full lines)."""
        failing = self.failing()
        shown = ", ".join(f"{c['id']} {c['verdict']}" for c in failing[:5]) + (", ..." if len(failing) > 5 else "")
        metrics = ", ".join(
            f"{name}={self.metrics[name]:.2f}"
            for name in ("faithfulness", "consistency", "weighted_coverage")
            if isinstance(self.metrics.get(name), float)
        )
        return f"Evaluation({metrics}, claims={len(self.claims)}, failing={len(failing)}" + (
            f": {shown})" if failing else ")"
        )

    def explain(self) -> str:
        """One line per failing claim with its failed checks and best evidence, for assertion messages."""
        return "\n".join(
            f"{c['id']} [{c['verdict']}] {c['text']} | checks: {'; '.join(c['failed_checks']) or '-'}"
            f" | evidence: {c['evidence'][0]['text'] if c['evidence'] else '-'}"
            for c in self.failing()
        )


def _sources(sources: Sequence[Source] | Source) -> list[Document]:
    """The reference documents; none is an error here, where it is clear, not deep in evidence retrieval."""
    items = [sources] if isinstance(sources, (str, Path, Document)) else list(sources)
    if not items:
        raise ValueError("evaluate: no sources; pass at least one source text (str) or file (pathlib.Path)")
    return [as_document(s, f"source{i + 1}") for i, s in enumerate(items)]


def _key_facts(key_facts: Sequence[str | KeyFact] | None) -> list[KeyFact]:
    return [f if isinstance(f, KeyFact) else KeyFact(f"kf{i + 1}", f) for i, f in enumerate(key_facts or [])]


class Evaluator:
    """Evaluates summaries against sources with models loaded once. `config` (default `api_config()`: the built-in
    defaults, caches in the user's cache folder) names the models, the judge and the cache folder."""

    def __init__(self, config: Config | None = None, models: Models | None = None):
        """`models`: already loaded ones (harness.evaluation.loaded_models.load_models) to share, else loaded from `config`."""
        self.config = config or api_config()
        self.models = models or load_models(self.config)
        self.embedder, self.judge = self.models.embedder, self.models.judge

    def evaluate(
        self,
        sources: Sequence[Source] | Source,
        summary: Source,
        key_facts: Sequence[str | KeyFact] | None = None,
        story_date: str | None = None,
    ) -> Evaluation:
        """Evaluate `summary` against `sources` (one or a list; at least one).

        Each source and the summary is a str (the text itself), a pathlib.Path (a file, read as `harness run`
        reads it) or a Document. `key_facts` are the facts coverage looks for (none: coverage is not
        measured); `story_date` (YYYY-MM-DD) anchors relative dates. Raises ValueError without sources."""
        story = Story("api", "api", story_date, _sources(sources), _key_facts(key_facts))
        result = story_evaluator(story, self.models, self.config).evaluate(as_document(summary, "summary"))
        claims = [claim_document(c, e, j) for c, e, j in zip(result.claims, result.evidence, result.judgements)]
        return Evaluation(claims, result.metrics)


_evaluators: list[tuple[Config, Evaluator]] = []  # (a copy of the config, its evaluator), most recent last
KEEP = 4  # evaluators kept loaded: each holds models, and a session rarely compares more configs


def evaluator_for(config: Config | None = None) -> Evaluator:
    """The Evaluator of a config equal to `config` (None: the defaults), built on first use and then reused,
    so repeated `evaluate(..., config=c)` calls load the models once. The config is copied, so changing the
    caller's object afterwards cannot change a kept evaluator."""
    config = config or api_config()
    for i, (kept, evaluator) in enumerate(_evaluators):
        if kept == config:
            _evaluators.append(_evaluators.pop(i))
            return evaluator
    own = copy.deepcopy(config)
    _evaluators.append((own, Evaluator(own)))
    del _evaluators[:-KEEP]
    return _evaluators[-1][1]


def evaluate(
    sources: Sequence[Source] | Source,
    summary: Source,
    key_facts: Sequence[str | KeyFact] | None = None,
    story_date: str | None = None,
    config: Config | None = None,
) -> Evaluation:
    """Evaluate one summary against its sources: see `Evaluator.evaluate` for the arguments (a str is text,
    a pathlib.Path is a file). Models are loaded once per distinct `config` (None: the defaults)."""
    return evaluator_for(config).evaluate(sources, summary, key_facts, story_date)
