"""Whose process this is: the harness's own (its `harness` command, a worker it started) or a caller's (the
Python API, the pytest plugin). A process-wide fact, set once by the entry points that own their process and
read by what may take shortcuts only there (harness.checks.names imports spaCy without torch)."""

from __future__ import annotations

_OWN_PROCESS = False


def own_process() -> None:
    """Say that this process runs only the harness (the `harness` command, a worker). Never in a caller's
    process: a shortcut taken there (thinc believing torch is missing) would last for the rest of it."""
    global _OWN_PROCESS
    _OWN_PROCESS = True


def is_own_process() -> bool:
    return _OWN_PROCESS
