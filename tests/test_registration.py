"""The check and judge registries: a new check or judge is one new file in its package, found without an edit
anywhere else; what the registries hold is what the pipeline always had (order, decisive checks, options)."""

from __future__ import annotations

import sys
import textwrap

import pytest

import harness.checks
import harness.judges
from harness.checks import CHECKS, DECISIVE, FEATURE_GROUPS, forget_memory, run_checks
from harness.checks.declaration import NA, SourceFacts
from harness.judges import JUDGES, check_judge, make_judge
from harness.judges.evidence import EvidenceJudge

SOURCES = SourceFacts(["Spain's foreign ministry said five of its nationals had been released on January 9."])


@pytest.fixture
def add_module(tmp_path, monkeypatch):
    """add_module(package, name, code): `code` as module `name` of `package`, from a folder outside the
    repository, for this test only."""
    added = []

    def add(package, name: str, code: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code), "utf-8")
        monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
        added.append((package, name))

    yield add
    for package, name in added:
        sys.modules.pop(f"{package.__name__}.{name}", None)
        if hasattr(package, name):
            delattr(package, name)


def test_the_checks_run_in_the_order_they_always_did():
    names = [r.check for r in run_checks("Spain said six nationals were freed.", SOURCES, SOURCES.sentences[0])]
    assert names == [
        "number",
        "date",
        "quote",
        "role",
        "name",
        "negation",
        *("antonym", "reporting", "modality", "substitution", "swap"),
        "attribution",
        "novel",
    ]
    assert names == [entry.name for check in CHECKS for entry in check.names]  # what each check declares


def test_the_decisive_checks_and_feature_groups_come_from_the_registry():
    assert DECISIVE == (
        "number",
        "date",
        "quote",
        "role",
        *("antonym", "reporting", "modality", "substitution", "swap"),
        "attribution",
    )
    meaning = {name for name, group in FEATURE_GROUPS.items() if group == "meaning"}
    assert meaning == {"antonym", "reporting", "modality", "substitution", "swap", "attribution"}
    assert all(FEATURE_GROUPS[name] == name for name in ("number", "date", "quote", "role", "name", "negation"))


def test_without_evidence_the_aligned_checks_say_nothing():
    results = {r.check: r.status for r in run_checks("Spain said five nationals were freed.", SOURCES, None)}
    assert all(results[name] == NA for name in ("negation", "antonym", "reporting", "modality", "substitution", "swap"))


def test_forget_memory_empties_what_the_checks_remember():
    from harness.checks.align import _tokens
    from harness.checks.names import _ENTITIES

    run_checks("Spain said five nationals were freed.", SOURCES, SOURCES.sentences[0])
    assert _ENTITIES and _tokens.cache_info().currsize
    forget_memory()
    assert not _ENTITIES and not _tokens.cache_info().currsize


def test_a_new_check_is_one_file(add_module):
    add_module(
        harness.checks,
        "units",
        """
        from harness.checks.declaration import FAIL, MISSING, Check, CheckName, CheckResult

        def run(claim, sources, evidence):
            return [CheckResult("unit", FAIL, "kg", MISSING)]

        CHECK = Check(order=55, names=(CheckName("unit", decisive=True),), run=run)
        """,
    )
    checks = harness.checks.discover()
    names = [entry.name for check in checks for entry in check.names]
    assert names.index("name") < names.index("unit") < names.index("negation")  # order 55: between 50 and 60


def test_two_checks_in_one_place_are_refused(add_module):
    add_module(
        harness.checks,
        "clash",
        """
        from harness.checks.declaration import Check, CheckName

        CHECK = Check(order=10, names=(CheckName("clash"),), run=lambda claim, sources, evidence: [])
        """,
    )
    with pytest.raises(ValueError, match="both take order 10"):
        harness.checks.discover()


def test_every_judge_is_registered_by_its_name():
    assert {"evidence", "calibrated", "crossencoder", "llm"} <= set(JUDGES)
    assert all(cls.name == name for name, cls in JUDGES.items())


def test_a_new_judge_is_one_file(add_module, monkeypatch):
    add_module(
        harness.judges,
        "length",
        """
        from harness.judges.contract import Assessment, Judge

        class LengthJudge(Judge):
            name = "length"

            def __init__(self, words: int = 20, threshold: float = 0.5):
                self.words, self.threshold = words, threshold

            def assess(self, claims, evidence, checks, sources):
                return [Assessment(1.0, "short") for _ in claims]
        """,
    )
    monkeypatch.setattr(harness.judges, "JUDGES", harness.judges.discover())
    judge = make_judge("length", words=5)
    assert judge.words == 5 and type(judge).__name__ == "LengthJudge"
    with pytest.raises(ValueError, match=r"judge 'length' takes no option 'letters' \(it takes: words, threshold\)"):
        check_judge("length", {"letters": 3})


def test_judge_options_are_the_constructor_less_what_the_config_supplies():
    check_judge("evidence", {"center": 0.4, "slope": 0.1, "threshold": 0.5})
    with pytest.raises(ValueError, match=r"takes no option 'chunks' \(it takes: center, slope, threshold\)"):
        check_judge("evidence", {"chunks": "all"})
    with pytest.raises(ValueError, match=r"judge 'crossencoder' takes no option 'cache_dir', 'model'"):
        check_judge("crossencoder", {"model": "x", "cache_dir": "y"})
    with pytest.raises(
        ValueError, match="unknown judge 'mnli': expected one of calibrated, crossencoder, evidence, llm, nli"
    ):
        make_judge("mnli")
    with pytest.raises(ValueError, match=r"judge 'nli' takes no option 'cache_dir'"):  # the config supplies it
        check_judge("nli", {"cache_dir": "y"})
    check_judge("nli", {"model": "x", "reading": "chunks", "premises": 3, "threshold": 0.7})
    assert isinstance(make_judge("evidence", None, center=0.4), EvidenceJudge)


def test_the_judge_example_in_the_package_docstring_runs():
    """harness/judges/__init__.py shows how a judge is written; the example is run, so it cannot drift."""
    import doctest

    import harness.judges

    result = doctest.testmod(harness.judges, verbose=False)
    assert result.attempted >= 8 and result.failed == 0


def test_the_check_example_in_the_package_docstring_runs():
    """harness/checks/__init__.py shows how a check is written; the example is run, so it cannot drift."""
    import doctest

    import harness.checks

    result = doctest.testmod(harness.checks, verbose=False)
    assert result.attempted >= 7 and result.failed == 0


def test_run_checks_can_run_only_the_checks_that_give_the_named_results():
    from harness.checks import run_checks
    from harness.checks.declaration import SourceFacts

    sources = SourceFacts(["Spain said five nationals were freed on Friday."])
    claim = "Spain said six nationals were freed on Friday."
    every = run_checks(claim, sources, sources.sentences[0])
    only = run_checks(claim, sources, sources.sentences[0], only=("number", "date"))
    assert [r.check for r in only] == ["number", "date"]
    assert only == [r for r in every if r.check in ("number", "date")] and only[0].status == "fail"
