"""Runs and baselines as the gate reads them: run.json or a baseline file, read safely and checked against
its schema (a bad one is an InputError naming the file and the field, exit 2, never a traceback that would
read as a gate failure), as one record per candidate; and the small baseline file `harness baseline` writes."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import jsonschema

from harness.document import InputError
from harness.files import read_regular_file
from harness.gate.schema import BASELINE_FORMAT, BASELINE_SCHEMA, RUN_SCHEMA

MAX_JSON_BYTES = 200_000_000  # a run.json with its texts is a few MB; a baseline far less


def candidate_records(document: dict[str, Any]) -> list[dict[str, Any]]:
    """(story, id, system, status, error, metrics, claims) per candidate, from run.json or a baseline file."""
    if document.get("format") == BASELINE_FORMAT:
        return document["candidates"]
    records = []
    for story in document.get("stories", []):
        for cand in story["candidates"]:
            records.append(
                {
                    "story": story["id"],
                    "id": cand["id"] or Path(cand["path"]).stem,
                    "system": cand["system"],
                    "status": cand["status"],
                    "error": cand["error"],
                    "metrics": cand["metrics"],
                    "claims": [
                        {
                            "id": c["id"],
                            "text": c["text"],
                            "verdict": c["verdict"],
                            "p_support": c["p_support"],
                            "failed_checks": c["failed_checks"],
                            "evidence": c["evidence"][0]["text"] if c["evidence"] else "",
                            "evidence_source": c["evidence"][0]["source"] if c["evidence"] else "",
                        }
                        for c in cand["claims"]
                    ],
                }
            )
    for error in document.get("errors", []):
        if not any(error == r["error"] for r in records):
            records.append(
                {
                    "story": "",
                    "id": error.split(":")[0],
                    "system": "",
                    "status": "error",
                    "error": error,
                    "metrics": {},
                    "claims": [],
                }
            )
    return records


def _finite(text: str) -> float:
    """parse_float/parse_constant hook: NaN, Infinity and 1e999 are refused, since a NaN metric passes every
    threshold (no comparison with NaN is true)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def read_json(path: Path) -> Any:
    """A JSON file of at most MAX_JSON_BYTES, read safely: every way it can fail is an InputError naming it."""
    data = read_regular_file(path, MAX_JSON_BYTES)
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=_finite, parse_constant=_finite)
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except ValueError as exc:  # from _finite, or an integer of more than 4300 digits
        raise InputError(path, f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError(path, "invalid JSON: nested too deeply") from exc


def load_run_document(path: Path) -> dict[str, Any]:
    """A run.json, a baseline file, or a folder holding either, checked against its schema so that the gate
    never meets a shape it cannot read (the first problem is reported, with its field)."""
    if path.is_dir():
        for name in ("baseline.json", "run.json"):
            if (path / name).exists():
                path = path / name
                break
        else:
            raise InputError(path, "folder holds neither baseline.json nor run.json")
    document = read_json(path)
    if not isinstance(document, dict) or not ("stories" in document or "format" in document):
        raise InputError(path, f"not a harness run.json (with stories) or baseline file (format {BASELINE_FORMAT})")
    schema = BASELINE_SCHEMA if "format" in document else RUN_SCHEMA
    error = next(jsonschema.Draft202012Validator(schema).iter_errors(document), None)
    if error is not None:
        field = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(path, error.message if len(error.message) <= 200 else error.message[:200] + "...", field)
    return document


def load_baseline(path: str | Path | None, required: bool = False) -> dict[str, Any] | None:
    """The baseline document at `path`; None when no baseline is set, or when it does not exist yet and is
    not `required` (a configured baseline that was never recorded means thresholds only; one the user
    asked for must exist). An unreadable one is an InputError naming the file, never a silent pass."""
    if not path:
        return None
    if not os.path.exists(path):
        if required:
            raise InputError(path, "baseline not found (record one with `harness baseline`, or pass --no-baseline)")
        return None
    return load_run_document(Path(path))


def stories_of(document: dict[str, Any]) -> set[str]:
    """The stories a run or baseline holds candidates of."""
    return {r["story"] for r in candidate_records(document)}


def baseline_document(run: dict[str, Any]) -> dict[str, Any]:
    """The small file `harness baseline` commits: metrics and claim verdicts, not the whole report."""
    candidates = []
    for record in candidate_records(run):
        if record["status"] != "ok":
            continue
        claims = [
            {"id": c["id"], "verdict": c["verdict"], "p_support": c["p_support"], "text": c["text"]}
            for c in record["claims"]
        ]
        candidates.append({**record, "claims": claims})
    return {
        "format": BASELINE_FORMAT,
        "run_id": run.get("run_id"),
        "models": run.get("models"),
        "versions": {k: run.get("versions", {}).get(k) for k in ("harness", "torch", "sentence-transformers")},
        "candidates": candidates,
    }
