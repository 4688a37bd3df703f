"""Where a command may write, checked before any work is done: a reports folder that would mix with an
input folder, an output file that cannot become a file, would overwrite an input, or exists and is not a
file of the kind the command writes (a mistyped --markdown must never replace a run's run.json)."""

from __future__ import annotations

from pathlib import Path

from harness.config import Config
from harness.document import InputError


def check_reports_folder(config: Config) -> None:
    """The reports folder may not be, or lie inside, an input folder (nor hold one): `--out gold` would put
    run folders among the stories, and the next run would read them as stories."""
    reports = Path(config.reports).resolve()
    for name, folder in (("gold", config.gold), ("candidates", config.candidates)):
        source = Path(folder).resolve()
        if reports == source or reports.is_relative_to(source) or source.is_relative_to(reports):
            raise InputError(
                config.reports, f"the reports folder would mix with the {name} folder {folder}: refused", "--out"
            )


def check_output_file(
    path: Path, option: str = "--out", inputs: tuple[Path, ...] = (), mine: str | None = None
) -> None:
    """Refuse an output path that cannot become a file, would overwrite an input, or (with `mine`, a kind of
    OUTPUT_SIGNATURES) exists and is not a file of that kind, before any work is done."""
    if path.is_dir():
        raise InputError(path, f"is a folder: {option} names the output file")
    if any(parent.exists() and not parent.is_dir() for parent in path.parents):
        raise InputError(
            path, f"{next(p for p in path.parents if p.exists() and not p.is_dir())} is not a folder", option
        )
    if any(path.resolve() == source.resolve() for source in inputs):
        raise InputError(path, f"{option} would overwrite the input file")
    if path.exists() and mine is not None and not written_by_us(path, mine):
        raise InputError(
            path, f"exists and is not a file {option} writes: refused (remove it, or name another file)", option
        )


# What a file the harness writes starts with, by kind: an existing file is replaced only when it is one of
# ours, so a mistyped --markdown or --junit never overwrites a run's run.json, a CSV or a gold reference.
OUTPUT_SIGNATURES = {
    "markdown": ("## Summary gate",),  # each signature is looked for in the file's first 200 bytes
    "junit": (
        "<?xml version='1.0' encoding='UTF-8'?>\n<testsuite name=\"harness-gate\"",
        '<testsuite name="harness-gate"',
    ),
    "probe.csv": ("judge,story,sentence,kind,expect",),
    "probe.json": ('"settings": {',),
    "probe.html": ("<title>harness probe</title>",),
}


def written_by_us(path: Path, kind: str) -> bool:
    """Whether the file at `path` starts like a file of `kind` that the harness writes (read: its first bytes)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(200).decode("utf-8", "replace")
    except OSError:
        return False
    # empty: a file made for us to fill, like CI's $GITHUB_STEP_SUMMARY
    return not head.strip() or any(signature in head for signature in OUTPUT_SIGNATURES[kind])
