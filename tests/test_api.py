"""The public Python API: what `harness` exports, the text-versus-file rule, clear errors, models loaded once."""

from __future__ import annotations

import dataclasses

import pytest

import harness
from harness.api import Evaluator, evaluator_for
from harness.measure.scorer import ConsistencyScorer, as_document

SOURCE = "The council approved the plan on Monday. The mayor said work would start in May."


def test_every_exported_name_resolves_and_all_lists_them():
    assert set(harness.__all__) == {*harness._EXPORTS, "__version__"}
    for name in harness.__all__:
        assert getattr(harness, name) is not None
    assert harness.ConsistencyScorer is ConsistencyScorer and harness.Evaluator is Evaluator
    with pytest.raises(AttributeError):
        harness.no_such_name  # noqa: B018


def test_a_str_is_text_and_a_path_is_a_file(tmp_path):
    file = tmp_path / "source.txt"
    file.write_text(SOURCE, "utf-8")
    assert as_document(file, "source").text == SOURCE
    assert as_document(str(file), "source").text == str(file)  # a path written as a str is text, never opened
    with pytest.raises(TypeError, match="pathlib.Path"):
        as_document(b"bytes", "source")
    with pytest.raises(ValueError, match="summary: the text holds a lone surrogate .ud800 at character 4"):
        as_document("Half\ud800 a character", "summary")  # no UTF-8 report could hold it


def test_evaluate_without_sources_says_so(config):
    with pytest.raises(ValueError, match="no sources"):
        harness.evaluate([], "The council approved the plan.", config=config)


def test_evaluate_keeps_one_evaluator_per_equal_config(config):
    first = evaluator_for(config)
    assert evaluator_for(dataclasses.replace(config)) is first  # an equal config, another object
    assert evaluator_for(dataclasses.replace(config, top_k=config.top_k + 1)) is not first
    assert evaluator_for(config) is first


def test_scorer_scores_text_and_files_alike_and_refuses_mismatched_pairs(config, tmp_path):
    scorer = ConsistencyScorer(config)
    file = tmp_path / "source.txt"
    file.write_text(SOURCE, "utf-8")
    summary = "The council approved the plan."
    from_text, from_file = scorer.score([SOURCE, file], [summary, summary])
    assert from_text == pytest.approx(from_file) and from_text is not None
    with pytest.raises(ValueError, match="2 sources but 1 summaries"):
        scorer.score([SOURCE, SOURCE], [summary])
    with pytest.raises(TypeError, match="must be a list"):
        scorer.score(SOURCE, [summary])


def test_scorer_keeps_the_last_source_index_only(config):
    scorer = ConsistencyScorer(config)
    index = scorer.index_of(SOURCE)
    assert scorer.index_of(SOURCE) is index
    prepared = scorer.prepare(SOURCE, "The mayor said work would start in May.")
    assert prepared.sources is scorer.source_index(SOURCE).facts and len(prepared.claims) == len(prepared.evidence)
    assert scorer.index_of("Another source entirely.") is not index


def test_an_evaluation_prints_short_enough_for_an_assertion_message(config):
    result = harness.evaluate(SOURCE, "The council rejected the plan on Friday. Work starts in May.", config=config)
    shown = repr(result)
    assert shown.startswith("Evaluation(faithfulness=") and "failing=" in shown and len(shown) < 300
    assert all(c["id"] in shown for c in result.failing())  # which claims failed, by id
    assert len(repr(result)) < len(str(result.claims))  # not the claims' dicts
