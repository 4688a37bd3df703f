"""Checked values: the ranges numeric settings may take, and the one way a setting's value is refused (an
InputError naming the file, the `section.key` and what was expected). Used by the run settings and the
`[gate]` settings alike."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.document import InputError
from harness.files import read_regular_file

MAX_CONFIG_BYTES = 1_000_000  # a config is a few dozen lines; anything bigger is not one


@dataclass(frozen=True)
class Range:
    """The values a numeric setting may take. Stated once per setting, it both checks a value and says in the
    error what was expected, so the message can never drift from the check."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the low end itself is excluded (> low rather than >= low)
    integer: bool = False  # a whole number (a TOML integer), not a float

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a finite number"
        if self.low is not None and self.high is not None:
            return f"{kind} in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
        if self.low is not None:
            return f"{kind} {'>' if self.low_open else '>='} {self.low:g}"
        return kind if self.high is None else f"{kind} <= {self.high:g}"

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.integer else (int, float)):
            return False  # bool is an int to Python, never to a user
        if not self.integer:
            try:
                value = float(value)
            except OverflowError:  # an integer too large for a float
                return False
            if not math.isfinite(value):
                return False  # TOML allows nan and inf; either would pass (or fail) every comparison silently
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: repr, cut short, so a hostile value cannot flood the line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def check_number(value: Any, allowed: Range, path: Path | str, where: str) -> Any:
    """`value` if `allowed` contains it, else an InputError naming the file, the field and the range."""
    if not allowed.contains(value):
        raise InputError(path, f"expected {allowed.describe()}, got {shown(value)}", where)
    return value if allowed.integer else float(value)


def check_text(value: Any, path: Path | str, where: str) -> str:
    """A non-empty string setting (a path, a model or judge name); NUL can name no file and no model."""
    if not isinstance(value, str) or not value or "\x00" in value:
        raise InputError(path, f"expected a non-empty string without NUL characters, got {shown(value)}", where)
    return value


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a table; every way it can be unreadable is an InputError naming the file."""
    data = read_regular_file(path, MAX_CONFIG_BYTES)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}") from exc
    except ValueError as exc:  # TOMLDecodeError, or an integer of more than 4300 digits
        raise InputError(path, f"invalid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses into nested arrays and inline tables
        raise InputError(path, "invalid TOML: nested too deeply") from exc
