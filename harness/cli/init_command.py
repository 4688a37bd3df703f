"""`harness init`: the starter harness.toml and CI workflow (harness.cli.starter) written into a project folder."""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

from harness.cli.console import say
from harness.cli.starter import write_starter
from harness.config import Config
from harness.document import InputError


def cmd_init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    check_project_paths(args.gold, args.candidates)
    pip_spec = _pip_spec(args)
    if not folder.exists() and not folder.is_symlink():
        try:
            folder.mkdir(parents=True)  # `harness init my-project` starts a new project
        except OSError as exc:
            raise InputError(folder, f"cannot create the project folder: {exc.strerror or exc}") from exc
    had_data = (folder / args.gold).exists() or (folder / args.candidates).exists()
    written, kept = write_starter(folder, args.gold, args.candidates, pip_spec, example=not args.bare)
    for path in kept:
        say(f"kept {path}: it exists, and `harness init` never overwrites a file", file=sys.stderr)
    for path in written:
        say(f"wrote {path}")
    if not written:
        return 2
    if had_data and not args.bare:
        say(f"no example story: {args.gold}/ or {args.candidates}/ exists, so the project has stories of its own")
    where = "" if folder.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(folder))} && "
    if args.bare or had_data:
        say(
            f"next: put stories in {args.gold}/<story>/ (story.yaml + references) and candidates in "
            f"{args.candidates}/<story>/, then {where}harness validate && harness run && harness baseline"
        )
        return 0
    say(
        f"next: {where}harness run && harness baseline && harness gate\n"
        "      then commit harness.toml, .gitignore, .github/ and the baseline; CI gates every change against it"
    )
    return 0


def check_project_paths(gold: str, candidates: str) -> None:
    """--gold and --candidates: two different folders inside the project, neither the reports folder."""
    reserved = {".", "", Path(Config().reports).as_posix()}
    for option, value in (("--gold", gold), ("--candidates", candidates)):
        path = Path(value)
        if path.is_absolute() or ".." in path.parts or path.as_posix() in reserved:
            raise InputError(option, f"{value!r}: expected a folder inside the project, not its root or reports folder")
    if Path(gold) == Path(candidates):
        raise InputError("--candidates", "the candidates folder must not be the gold folder")


def _pip_spec(args: argparse.Namespace) -> str:
    """How the CI workflow installs the harness: --pip-spec, else `-e .` when FOLDER is the harness's own
    checkout. There is no safe default otherwise: `harness` on PyPI is another project."""
    if args.pip_spec:
        if args.pip_spec.strip().lower() == "harness":
            raise InputError("--pip-spec", "'harness' on PyPI is another project: give a path, a git URL or a wheel")
        return args.pip_spec
    project = Path(args.folder) / "pyproject.toml"
    if project.is_file() and re.search(r'(?m)^name\s*=\s*"harness"', project.read_text("utf-8", "replace")):
        return "-e ."
    raise InputError(
        "--pip-spec",
        "say how CI installs the harness: a path, a git URL (git+https://...) or a wheel; "
        "the PyPI name `harness` is another project",
    )


def add_init_parser(sub: argparse._SubParsersAction) -> None:
    """`init` takes no --config: it writes one."""
    parser = sub.add_parser(
        "init",
        help="start a project: harness.toml, a CI workflow, a .gitignore and an example story",
        description="Write harness.toml (every setting, commented), .github/workflows/summary-gate.yml, a "
        ".gitignore (run folders out, the baseline in) and an example story under gold/ and candidates/ (unless "
        "--bare, or those folders exist) into FOLDER; an existing file is never overwritten (exit 2 when "
        "nothing was written).",
    )
    parser.add_argument("folder", nargs="?", default=".", help="project folder (default: the current one)")
    parser.add_argument("--gold", default="gold", help="the reference articles' folder (default gold)")
    parser.add_argument(
        "--candidates", default="candidates", help="the candidate summaries' folder (default candidates)"
    )
    parser.add_argument(
        "--pip-spec",
        help="what the workflow pip-installs: a path, git URL or wheel (default: -e . in the harness's own checkout)",
    )
    parser.add_argument("--bare", action="store_true", help="no example story: the settings and the workflow only")
    parser.set_defaults(func=cmd_init)
