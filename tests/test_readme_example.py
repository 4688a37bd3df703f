"""The README's Python example runs as written (from the repository's folder, as the README assumes)."""

from __future__ import annotations

import re

from conftest import ROOT


def test_the_readme_python_example_runs(monkeypatch, config):
    from harness.api import Evaluator

    block = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S).group(1)
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the repository's own README
    assert namespace["metrics"]["faithfulness"] == 1.0
    [score] = namespace["scores"]
    assert score is not None and 0.5 < score <= 1.0
    namespace["test_summary_is_faithful"](Evaluator(config))
