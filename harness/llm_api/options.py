"""The LLM judge's `[judge] options`: the one place that says which exist, their defaults, types and ranges.

Everything else is derived from `OPTIONS`: the names a config may give (and the lists in the errors for one
it may not), the defaults, and `checked_options`, which refuses a wrong type or a value out of range in one
line before any request is sent. Whether `api_key_env` names a variable that is set is the judge's to ask,
since it reads the environment.
"""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import dataclass
from typing import Any

# the kinds of option, each with its own check in `_check`
URL, TEXT, CHOICE, WHOLE, NUMBER, FLAG = "url", "text", "choice", "whole", "number", "flag"

CONTEXTS = ("evidence", "source")  # what the model reads beside a claim: its evidence, or every reference whole
NEEDS = (
    "judge llm needs options base_url and model, e.g. options = { base_url = "
    '"http://127.0.0.1:8080/v1", model = "gemma-3-270m" }'
)


@dataclass(frozen=True)
class Option:
    """One option: its name, its default (None: not given), its kind, whether a config must give it, the
    least value of a number and the values of a choice."""

    name: str
    default: Any
    kind: str
    required: bool = False
    least: float = 0
    choices: tuple[str, ...] = ()


OPTIONS = (
    Option("base_url", None, URL, required=True),  # the API's root, usually ending in /v1
    Option("model", None, TEXT, required=True),  # the model name the endpoint serves
    Option("api_key_env", None, TEXT),  # the environment variable holding the API key (none sent without it)
    Option("context", "evidence", CHOICE, choices=CONTEXTS),
    Option("max_concurrency", 4, WHOLE, least=1),  # requests in flight at once
    Option("timeout", 120.0, NUMBER, least=0.001),  # seconds for the whole of one request
    Option("retries", 4, WHOLE, least=0),  # further tries after a transient failure
    Option("backoff", 1.0, NUMBER, least=0),  # seconds before the first retry, doubled for each next one
    Option("max_tokens", 200, WHOLE, least=1),
    Option("temperature", 0.0, NUMBER, least=0),
    Option("logprobs", True, FLAG),  # ask for log-probabilities: p_support from the verdict token
    Option("json_schema", True, FLAG),  # ask for the verdict's JSON schema in response_format
)
OPTION_NAMES = tuple(option.name for option in OPTIONS)


def checked_options(given: dict[str, Any]) -> dict[str, Any]:
    """Every option, the given ones checked and the rest at their defaults (numbers as floats), else a
    ValueError saying what is wrong in one line."""
    unknown = sorted(set(given) - set(OPTION_NAMES))
    if unknown:
        raise ValueError(f"judge llm: unknown option(s) {', '.join(unknown)} (expected {', '.join(OPTION_NAMES)})")
    values = {option.name: given.get(option.name, option.default) for option in OPTIONS}
    if any(not isinstance(values[o.name], str) or not values[o.name] for o in OPTIONS if o.required):
        raise ValueError(NEEDS)
    for option in OPTIONS:
        _check(option, values[option.name])
    return {o.name: float(values[o.name]) if o.kind == NUMBER else values[o.name] for o in OPTIONS}


def _check(option: Option, value: Any) -> None:
    """A ValueError naming the option and the value if the value is not of the option's kind and range."""
    if option.kind == URL:
        parsed = urllib.parse.urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"judge llm: {option.name} {value!r} is not an http(s) URL")
    elif option.kind == CHOICE and value not in option.choices:
        raise ValueError(f"judge llm: {option.name} = {value!r}: expected one of {', '.join(option.choices)}")
    elif option.kind == WHOLE and (isinstance(value, bool) or not isinstance(value, int) or value < option.least):
        raise ValueError(f"judge llm: {option.name} = {value!r}: expected a whole number >= {option.least}")
    elif option.kind == NUMBER and not _finite_at_least(value, option.least):
        raise ValueError(f"judge llm: {option.name} = {value!r}: expected a finite number >= {option.least:g}")
    elif option.kind == FLAG and not isinstance(value, bool):
        raise ValueError(f"judge llm: {option.name} = {value!r}: expected true or false")


def _finite_at_least(value: Any, least: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value >= least
