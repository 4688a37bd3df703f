"""One metric registry (harness.evaluation.metrics.METRICS) and one configuration (harness.config): every metric the
pipeline produces is in the registry and nothing else is, every reader of metric names reads the registry,
and each default is stated once."""

from pathlib import Path

import pytest
from conftest import ROOT

import harness.gate
import harness.gate.decision
import harness.gate.outcome
from harness import config as config_module
from harness import registry
from harness.config import Config, load_config
from harness.config.gate_settings import DEFAULT_BASELINE, DEFAULT_TOLERANCE, GateConfig
from harness.evaluation.metrics import rouge_metrics
from harness.files import MAX_FILE_MB
from harness.registry import (
    COUNT,
    FAILING,
    GATED,
    HIGHER,
    LOWER,
    METRICS,
    NEEDS_KEY_FACTS,
    SCORE,
    SHARE,
    VERDICTS,
    formatted,
    in_registry_order,
)
from harness.report.html import CHART_METRICS, TABLE_METRICS


def test_the_registry_is_exactly_what_the_pipeline_produces(run_result):
    for result in run_result.results:
        if result.ok:
            assert list(result.metrics) == list(METRICS), result.path  # same names, in the CSV column order


def test_every_registry_entry_is_well_formed():
    for name, metric in METRICS.items():
        assert metric.label and metric.better in (HIGHER, LOWER, None) and metric.kind in (SHARE, SCORE, COUNT), name
        assert not metric.total or metric.kind == COUNT, name  # only counts are summed per system
    assert {v: METRICS[v].better for v in VERDICTS} == {
        "supported": HIGHER,
        "contradicted": LOWER,
        "unsupported": LOWER,
        "artefact": LOWER,
    }
    assert set(FAILING) <= set(VERDICTS)


def test_gated_metrics_and_their_directions_are_the_ones_the_gate_always_had():
    lower = {"contradicted", "unsupported", "artefact"}
    higher = {"faithfulness", "consistency", "mean_p_support", "coverage", "weighted_coverage", "semantic_similarity"}
    higher |= {f"{t}_{a}" for t in ("rouge1", "rouge2", "rougeLsum") for a in ("max", "mean")}
    higher |= {"supported", "key_facts_covered"}
    higher |= {f"{t}_summary" for t in ("rouge1", "rouge2", "rougeLsum")}  # against declared reference summaries
    assert GATED == higher | lower
    assert {n for n in GATED if METRICS[n].better == LOWER} == lower
    assert NEEDS_KEY_FACTS == ("coverage", "weighted_coverage", "key_facts_covered")  # the warnings' wording


def test_the_gate_holds_no_list_of_its_own():
    for name in ("KNOWN_METRICS", "HIGHER_IS_BETTER", "LOWER_IS_BETTER", "load_gate_config", "DEFAULT_TOLERANCE"):
        assert not hasattr(harness.gate, name), name
    # the verdicts a gate output lists as failing are the registry's own tuple, not a copy
    assert harness.gate.outcome.FAILING is registry.FAILING and harness.gate.decision.FAILING is registry.FAILING


def test_the_report_shows_registry_metrics():
    assert set(CHART_METRICS) <= set(METRICS) and set(TABLE_METRICS) <= set(METRICS)
    assert all(METRICS[n].kind in (SHARE, SCORE) for n in CHART_METRICS)  # bars are drawn on [0, 1]


def test_registry_order_puts_unknown_keys_last():
    shuffled = {"words": 3, "later": 1, "claims": 2, "faithfulness": None}
    assert list(in_registry_order(shuffled)) == ["claims", "faithfulness", "words", "later"]


def test_rouge_metrics_are_named_by_the_registry():
    per_reference = [{"rouge1": 0.5, "rouge2": 0.2, "rougeLsum": 0.4}, {"rouge1": 0.3, "rouge2": 0.4, "rougeLsum": 0.4}]
    values = rouge_metrics(per_reference)
    assert set(values) <= set(METRICS)
    assert values["rouge1_max"] == 0.5 and values["rouge2_mean"] == pytest.approx(0.3)


@pytest.mark.parametrize("value, shown", [(None, "–"), (3, "3"), (0.12345, "0.123"), (2.0, "2.000"), (-0.5, "-0.500")])
def test_one_way_to_show_a_value(value, shown):
    assert formatted(value) == shown
    assert METRICS["faithfulness"].format(value) == shown


# ---- one configuration --------------------------------------------------------------------------------


def test_one_reader_holds_the_gate_settings():
    config = load_config(ROOT / "harness.toml")
    assert isinstance(config.gate, GateConfig)
    assert config.gate.thresholds["min_faithfulness"] == 0.30
    assert config.gate.baseline == str(ROOT / DEFAULT_BASELINE)
    assert "gate" not in config.to_dict()  # run.json records the gate's settings with its result
    assert Config().gate == GateConfig() and GateConfig().tolerance == DEFAULT_TOLERANCE
    assert GateConfig().tolerance is not GateConfig().tolerance  # never a shared, mutable default


def test_defaults_are_stated_once():
    assert Config().max_file_mb == MAX_FILE_MB
    [row] = [s for s in config_module.SETTINGS if s.name == "max_file_mb"]
    assert row.default is MAX_FILE_MB  # the size limit is harness.files'; the settings table refers to it
    for module in _harness_modules():  # no module keeps a copy of the baseline's default path or the tolerance
        for name, value in vars(module).items():
            if isinstance(value, (str, Path)) and str(value) == str(DEFAULT_BASELINE):
                assert module.__name__ == "harness.config.gate_settings", (module.__name__, name)
            if isinstance(value, dict) and value.get("faithfulness") == 0.05:
                assert value is DEFAULT_TOLERANCE or module.__name__ == "harness.config.gate_settings", module


def _harness_modules() -> list:
    import importlib
    import pkgutil

    import harness

    names = [
        m.name
        for m in pkgutil.walk_packages(harness.__path__, "harness.")
        if "pytest_plugin" not in m.name and not m.name.endswith("__main__")
    ]
    return [importlib.import_module(name) for name in [*names, "harness.pytest_plugin"]]


def _package_files(name: str) -> list[Path]:
    return sorted((ROOT / "harness" / name).glob("*.py"))


def test_one_baseline_loader():
    """Every module that loads a baseline uses harness.gate.run_files's loader, none a copy of its own."""
    from harness.gate.run_files import load_baseline

    modules = _harness_modules()
    assert sum(getattr(m, "load_baseline", None) is load_baseline for m in modules) >= 3  # gate, CLI, plugin
    copies = [
        (m.__name__, name)
        for m in modules
        for name, value in vars(m).items()
        if callable(value) and name.startswith("load") and "baseline" in name and value is not load_baseline
    ]
    assert not copies, copies
