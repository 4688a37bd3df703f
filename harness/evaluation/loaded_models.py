"""The models a run needs, built once and passed down: the embedding model and the judge.

`load_models(config)` is the one place they are built. The pipeline builds them once per run (and once per
worker process, since a process cannot share another's models), the Python API once per Evaluator, the
scorer once per ConsistencyScorer. spaCy's pipeline is loaded on first use by the checks that need it
(harness.checks.names.nlp), once per process, so a fully cached run never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config import Config
from harness.judges import make_judge
from harness.judges.contract import Judge
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.embeddings import Embedder


@dataclass
class Models:
    embedder: Embedder
    judge: Judge
    coverage: CrossEncoder  # the NLI model that reads key facts against candidates (harness.evaluation.coverage)


def coverage_model(config: Config) -> CrossEncoder:
    """The NLI model coverage reads key facts with; its scores cached beside the judges' cross-encoder scores.
    A model that cannot be loaded is a ValueError naming the setting and the file that set it."""
    try:
        return CrossEncoder(config.coverage_model, Path(config.cache) / "crossencoder", nli="entailment")
    except (OSError, ValueError) as exc:
        raise ValueError(f"{config.source}: coverage.model = {config.coverage_model!r}: {exc}") from exc


def load_models(config: Config) -> Models:
    """The embedder (its vectors cached under `config.cache`), the configured judge and the coverage model
    (the judge's own encoder when the judge reads with the same model, so it is loaded once). A bad judge name,
    option, model or endpoint fails here, before any work."""
    judge = make_judge(config.judge, config, **config.judge_options)
    coverage = coverage_model(config)
    if judge.encoder is not None and judge.encoder.fingerprint == coverage.fingerprint:
        coverage = judge.encoder
    return Models(Embedder(config.embedding_model, Path(config.cache) / "embeddings"), judge, coverage)
