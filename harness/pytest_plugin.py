"""pytest plugin (entry point `pytest11`): gate summariser outputs from `pytest`.

Collecting a `harness.toml` (name it on the command line or in `testpaths`) yields one test per candidate
and one per system, plus one for the baseline match. The run is evaluated once, on the first test, and its
reports are written to the configured reports folder; each test then passes or fails on the gate's checks
for its candidate or system, and a failure lists the failing claims with their evidence and failed checks.
The `harness_evaluator` fixture gives hand-written tests a loaded `harness.api.Evaluator`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.api import Evaluator
from harness.config import load_config
from harness.document import InputError
from harness.gate.decision import evaluate_gate
from harness.gate.recorded_settings import baseline_location, why_nothing_to_check
from harness.gate.run_files import load_baseline
from harness.ingest import load_stories
from harness.report import write_run
from harness.report.run_folders import run_folder
from harness.run.pipeline import run


class HarnessGateFailure(Exception):
    pass


class HarnessConfigFile(pytest.File):
    """A harness.toml: its candidates and systems become gate tests."""

    _report = None
    _baseline_error: InputError | None = None

    def collect(self):
        self.config_obj = load_config(self.path)
        stories, errors = load_stories(
            Path(self.config_obj.gold), Path(self.config_obj.candidates), self.config_obj.max_file_mb
        )
        for error in errors:
            yield GateItem.from_parent(self, name=f"input[{error.path}]", scope="candidate", key=error.path)
        systems = set()
        for story in stories:
            for error in story.errors:
                yield GateItem.from_parent(self, name=f"input[{error.path}]", scope="candidate", key=error.path)
            for doc in story.candidates:
                systems.add(doc.system)
                key = f"{story.story_id}/{doc.doc_id}"
                yield GateItem.from_parent(self, name=f"candidate[{key}]", scope="candidate", key=key)
        for system in sorted(systems):
            yield GateItem.from_parent(self, name=f"system[{system}]", scope="system", key=system)
        yield GateItem.from_parent(self, name="baseline", scope="run", key="baseline")

    def gate_report(self):
        """Run the harness once and gate it; later items reuse the result. A baseline that cannot be read
        fails the `baseline` test with a message naming the file (never an internal error, never one
        failure per candidate); the candidates are still held to their thresholds."""
        if self._report is None:
            gate = self.config_obj.gate
            with run_folder(Path(self.config_obj.reports)) as folder:
                result = run(self.config_obj, quiet=True)
            current = write_run(result, folder, gate=gate, keep_runs=self.config_obj.keep_runs)
            location = baseline_location(gate, folder.parent)
            try:
                baseline = load_baseline(location)
            except InputError as exc:
                baseline, self._baseline_error = None, exc
            empty = why_nothing_to_check(gate, baseline, location)
            self._report = evaluate_gate(current, baseline, gate, str(location) if baseline else None, empty)
        return self._report


class GateItem(pytest.Item):
    def __init__(self, *, scope: str, key: str, **kwargs):
        super().__init__(**kwargs)
        self.scope, self.key = scope, key

    def runtest(self):
        report = self.parent.gate_report()
        if self.scope == "run":
            checks = [c for c in report.checks if c.scope == "run" or c.kind == "missing"]
        else:
            checks = [c for c in report.checks if c.scope == self.scope and c.name == self.key]
            if not checks:  # an input error row is named by its file
                checks = [c for c in report.checks if c.kind == "error" and self.key in c.message]
        failed = [f"{c.kind}: {c.message}" + "".join(f"\n    {d}" for d in c.details) for c in checks if not c.passed]
        if self.scope == "run" and self.parent._baseline_error is not None:
            failed.insert(0, f"the baseline cannot be read: {self.parent._baseline_error}")
        if failed:
            raise HarnessGateFailure("\n".join(failed))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, HarnessGateFailure):
            return f"summary gate failed for {self.name}:\n{excinfo.value}"
        if isinstance(excinfo.value, InputError):
            return f"bad input: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"harness gate: {self.name}"


def pytest_collect_file(file_path: Path, parent):
    if file_path.name == "harness.toml":
        return HarnessConfigFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def harness_evaluator(pytestconfig):
    """A loaded Evaluator: `harness_evaluator.evaluate(sources, summary)` -> Evaluation. It follows the
    project's `harness.toml` (models, judge, cache) when the pytest root folder has one, else the API defaults."""
    settings = Path(pytestconfig.rootpath) / "harness.toml"
    return Evaluator(load_config(settings) if settings.is_file() else None)
