"""JSON Schemas shipped with the package, and one validation helper that names file and field."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from harness.document import InputError, did_you_mean


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("harness.ingest").joinpath(f"schemas/{name}.schema.json").read_text("utf-8"))


def schema_problems(instance: Any, name: str) -> list[tuple[str, str]]:
    """Every (field path, message) the schema finds, in document order."""
    validator = jsonschema.Draft202012Validator(load_schema(name))
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        field = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        problems.append((field, _worded(error)))
    return problems


def _worded(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, except for unknown keys: each named, with the closest allowed key suggested
    ("unknown key 'summary' (did you mean 'summaries'?)") instead of "Additional properties are not allowed"."""
    allowed = error.schema.get("properties") if isinstance(error.schema, dict) else None
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict) or not allowed:
        return error.message
    unknown = [k for k in error.instance if k not in allowed]
    return (
        "; ".join(
            f"unknown key '{k}'{did_you_mean(k, allowed)} (expected one of {', '.join(allowed)})" for k in unknown
        )
        or error.message
    )


def validate_instance(instance: Any, name: str, path: Path | str) -> None:
    """Raise InputError naming the first failing field (validate() lists them all)."""
    problems = schema_problems(instance, name)
    if problems:
        field, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(path, f"{message}{more}", field)
