"""`harness init`: a project that runs as it stands. A starter harness.toml with every setting written out
(commented), a CI workflow that runs the gate, a .gitignore that keeps run folders out of git and the baseline
in, and an example story (one report, a reference summary, two candidates) so the first `harness run` has
something to evaluate. Files that exist are never overwritten."""

from __future__ import annotations

import re
import shlex
from importlib import resources
from pathlib import Path

from harness.config import Config, documented_settings, toml_value
from harness.config.gate_settings import BASELINE_IN_REPORTS, DEFAULT_TOLERANCE, GATE_RANGES, GateConfig
from harness.registry import MUST_CATCH

WORKFLOW = Path(".github/workflows/summary-gate.yml")
EXAMPLE = "data/example"  # in the package: gold/<story>/ and candidates/<story>/ of the example project


SAFE_TEXT = re.compile(r"^[^\x00-\x1f\x7f]+$")  # one line, no control characters


def plain_value(value: str, option: str) -> str:
    """A command-line value written into a file: one line with no control characters, else a ValueError."""
    if not SAFE_TEXT.match(value):
        raise ValueError(f"{option} {value!r}: expected one line of text without control characters")
    return value


def starter_config(gold: str, candidates: str) -> str:
    """The starter harness.toml. The defaults it quotes come from harness.config, so they cannot drift."""
    defaults = GateConfig()
    gold, candidates = toml_value(plain_value(gold, "--gold")), toml_value(plain_value(candidates, "--candidates"))
    reports = Config().reports
    baseline = toml_value((Path(reports) / BASELINE_IN_REPORTS).as_posix())
    tolerance = "\n".join(f"# {metric} = {value:g}" for metric, value in DEFAULT_TOLERANCE.items())
    return f"""# harness.toml, written by `harness init`. Every key is optional; relative paths are resolved against
# this file's folder. `harness validate` checks it; `harness run --help` lists what each command reads.

[paths]
gold = {gold}               # <gold>/<story>/story.yaml + reference files (or one folder of references)
candidates = {candidates}   # <candidates>/<story>/<candidate files> (or flat, with one story)
reports = {toml_value(reports)}           # {reports}/<run-id>/ and {reports}/latest

# The other settings, with their defaults (uncomment a section and a key to change it):
{documented_settings(skip=("gold", "candidates", "reports"))}
# Judges (`harness probe --judge A --judge B` compares them on your own stories before you choose):
#   evidence      the default: evidence retrieval and the checks (numbers, dates, names, quotations, roles, meaning)
#   nli           the shipped NLI model read sentence by sentence, combined with the checks: catches negations
#                 and reversed statements the default cannot see, about 3 times the run time
#   crossencoder  a consistency cross-encoder ([models] consistency)
#   calibrated    the evidence features through a fitted logistic regression
#   llm           an OpenAI-compatible endpoint, e.g. {{ url = "http://localhost:8080/v1", model = "..." }}
# [judge]
# name = "nli"
# options = {{ reading = "sentences", premises = 2 }}

[gate]
# `harness gate` fails (exit 1) when a check fails; the built-in checks need no settings:
#   - a candidate that could not be read, or that yields no scorable claim, fails;
#   - against the baseline, a candidate fails when it gains a contradicted or unsupported claim or an
#     artefact, or when its faithfulness, consistency or weighted coverage drops by more than 0.05
#     (the [gate.tolerance] defaults below).
# With neither a baseline nor a threshold there is nothing to check: exit 2 (--no-baseline runs the
# built-in checks alone).
# baseline = {baseline}   # the default: where `harness baseline` records
# fail_on_missing = {str(defaults.fail_on_missing).lower()}    # a baseline candidate absent from the run fails
# bootstrap_samples = {defaults.bootstrap_samples}      # paired bootstrap for system-level regressions ({GATE_RANGES["bootstrap_samples"].describe()})
# seed = {defaults.seed}                      # the bootstrap's seed

[gate.thresholds]
# Every candidate, and each system's mean. min_<metric> / max_<metric> with any metric of candidates.csv
# that has a direction, e.g.:
# min_faithfulness = 0.8         # share of scored claims judged supported
# max_contradicted = 0           # claims the sources contradict
# max_unsupported = 2
# min_weighted_coverage = 0.4    # key facts carried (stories with key facts only)
# min_rouge1_summary = 0.3       # ROUGE-1 against the declared reference summary (stories that declare one)

[gate.tolerance]
# How much worse than the baseline a metric may get before a candidate regresses (these are the defaults;
# a system regresses when its mean change is worse than this and a 95% bootstrap interval agrees):
{tolerance}

# Per story or per system, the most specific table wins (names as in gold/ and candidates/):
# [gate.story.my-story]
# min_weighted_coverage = 0.5
# [gate.system.my-summariser]
# max_unsupported = 1

[gate.probe]
# Minimum rates of `harness probe` (behavioural tests of the judge on your own stories): below one, the probe
# command exits 1, so a judge change that goes blind to a kind of error fails CI. Kinds it must catch:
# {", ".join(MUST_CATCH)}.
# min_catch_negation = 0.8
# min_catch_number = 0.8
# min_accept_original = 0.75
"""


def starter_workflow(pip_spec: str) -> str:
    """A GitHub Actions workflow: install, run, gate against the committed baseline, publish the reports (in
    the starter config's reports folder, the default one)."""
    reports = Config().reports
    return f"""# Written by `harness init`: evaluate the candidates and gate them on every push and pull request.
# Record the baseline once (`harness run && harness baseline`) and commit {(Path(reports) / BASELINE_IN_REPORTS).as_posix()}.
name: summary-gate
on: [push, pull_request]
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: install the harness
        # torch's CPU build first keeps the install small; then the harness as `harness init --pip-spec` named it
        run: |
          pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
          pip install {" ".join(shlex.quote(part) for part in shlex.split(plain_value(pip_spec, "--pip-spec")))}
      - name: evaluate
        run: harness run --quiet
      - name: gate
        run: harness gate --markdown "$GITHUB_STEP_SUMMARY" --junit {reports}/gate.xml
      - name: keep the reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: summary-reports
          path: |
            {reports}/latest/
            {reports}/gate.xml
"""


def starter_gitignore() -> str:
    reports = Path(Config().reports).as_posix()
    return (
        "# Written by `harness init`: run folders stay out of git; the baseline the gate compares against goes in.\n"
        f"{reports}/*\n!{reports}/{BASELINE_IN_REPORTS.parent.as_posix()}/\n"
    )


def example_files(folder: Path, gold: str, candidates: str) -> dict[Path, str]:
    """The example story's files, placed under the project's gold and candidates folders; none when either
    folder exists already (the project has data of its own)."""
    if (folder / gold).exists() or (folder / candidates).exists():
        return {}
    root = resources.files("harness").joinpath(EXAMPLE)
    files = {}
    for part, target in (("gold", gold), ("candidates", candidates)):
        for story in sorted(root.joinpath(part).iterdir(), key=lambda p: p.name):
            for item in sorted(story.iterdir(), key=lambda p: p.name):
                files[folder / target / story.name / item.name] = item.read_text("utf-8")
    return files


def write_starter(
    folder: Path, gold: str, candidates: str, pip_spec: str, example: bool = True
) -> tuple[list[Path], list[Path]]:
    """Write the starter files that do not exist yet into `folder` (with the example story unless `example` is
    False): (written, kept as they were). A path on the way that is a symlink or not a folder is refused
    (ValueError): a linked .github would put the workflow elsewhere."""
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder (harness init writes into a project folder)")
    files = {
        folder / "harness.toml": starter_config(gold, candidates),
        folder / WORKFLOW: starter_workflow(pip_spec),
        folder / ".gitignore": starter_gitignore(),
    }
    if example:
        files.update(example_files(folder, plain_value(gold, "--gold"), plain_value(candidates, "--candidates")))
    for parent in (folder / ".github", folder / ".github" / "workflows"):
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            raise ValueError(f"{parent}: a link or a file, not a folder: refused")
    written, kept = [], []
    for path, text in files.items():
        if path.exists() or path.is_symlink():
            kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:  # "x": never replace a file made meanwhile
            handle.write(text)
        written.append(path)
    return written, kept
