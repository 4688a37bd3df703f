"""What the gate reads of a run.json (as `harness run` writes it) and of a baseline file, as JSON schemas;
anything else in them is kept but not checked. Metrics are bounded so that means and differences stay finite.
Which metrics can be gated is harness.registry's."""

from __future__ import annotations

from typing import Any

from harness.registry import GATED

BASELINE_FORMAT = "harness-baseline/1"

_METRIC = {"type": ["number", "null"], "minimum": -1e9, "maximum": 1e9}
_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}
_RECORD = {
    "id": _TEXT,
    "system": _TEXT,
    "status": {"enum": ["ok", "error"]},
    "error": {"type": ["string", "null"]},
    "metrics": {
        "type": "object",
        "properties": {m: _METRIC for m in sorted(GATED | {"key_facts", "reference_summaries"})},
    },
}
_CLAIM = {"id": _TEXT, "text": _TEXT, "verdict": _TEXT, "p_support": _METRIC, "failed_checks": _TEXTS}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_RUN_CLAIM = _object(
    {**_CLAIM, "evidence": _array(_object({"text": _TEXT, "source": _TEXT}, ["text", "source"]))},
    ["id", "text", "verdict", "p_support", "failed_checks", "evidence"],
)
_RUN_CANDIDATE = _object(
    {**_RECORD, "path": _TEXT, "claims": _array(_RUN_CLAIM)},
    ["id", "path", "system", "status", "error", "metrics", "claims"],
)
RUN_SCHEMA = _object(
    {
        "errors": _TEXTS,
        "stories": _array(_object({"id": _TEXT, "candidates": _array(_RUN_CANDIDATE)}, ["id", "candidates"])),
    },
    ["stories"],
)
_BASELINE_CLAIM = _object(
    {**_CLAIM, "evidence": _TEXT, "evidence_source": _TEXT}, ["id", "text", "verdict", "p_support"]
)
_BASELINE_CANDIDATE = _object(
    {**_RECORD, "story": _TEXT, "claims": _array(_BASELINE_CLAIM)},
    ["story", "id", "system", "status", "error", "metrics", "claims"],
)
BASELINE_SCHEMA = _object(
    {"format": {"const": BASELINE_FORMAT}, "candidates": _array(_BASELINE_CANDIDATE)}, ["format", "candidates"]
)
