"""The settings a command runs with: the config named by --config (which must exist), else ./harness.toml
if present, else the defaults; with the command line's folders in place of the config's."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.config import Config, load_config
from harness.report.retention import LATEST

DEFAULT_CONFIG = Path("harness.toml")


def config_path(args: argparse.Namespace) -> Path | None:
    """The config named on the command line (which must exist), else ./harness.toml if present."""
    return Path(args.config) if args.config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)


def defaults_note(args: argparse.Namespace) -> str | None:
    """The one line that says a command runs on the built-in defaults because no config file was found, or None."""
    if config_path(args) is not None:
        return None
    return f"note: no --config and no {DEFAULT_CONFIG} in {Path.cwd()}: using the built-in defaults (harness init writes one)"


def command_config(args: argparse.Namespace) -> Config:
    """The settings (`[gate]` among them) with the command line's folders in place of the config's."""
    config = load_config(config_path(args))
    for name in ("gold", "candidates"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    if getattr(args, "out", None):
        config.reports = args.out
    return config


def latest_run(args: argparse.Namespace) -> Path:
    """The run `harness gate` and `harness baseline` read: --run, else the last run in the settings' reports
    folder (so a project with `reports = "out"` is gated on out/latest, never on a stale reports/latest)."""
    if args.run:
        return Path(args.run)
    return Path(load_config(config_path(args)).reports) / LATEST
