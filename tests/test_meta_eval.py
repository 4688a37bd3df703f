"""`harness meta-eval`: labelled rows built from the example story, scored like `harness score-pairs`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import GOLD

from harness.cli import main
from harness.measure import agreement, metaeval

BBC = (GOLD / "000_27ceb510760b8103.txt").read_text("utf-8").split("---", 2)[-1]  # without its front matter
NYT = (GOLD / "002_2a69d3917cd8dd3d.txt").read_text("utf-8")
# (origin, cut, true sentence, the same with one number or date changed)
EDITS = [
    ("bbc", "val", "Spain's foreign ministry said five of its nationals had been released.", "five", "nine"),
    ("bbc", "val", "San Miguel had been arrested in 2024 at Maiquetia airport, near Caracas.", "2024", "2019"),
    (
        "bbc",
        "test",
        "About 50 to 80 prisoners are believed to be held at the El Helicoide prison.",
        "50 to 80",
        "500 to 800",
    ),
    (
        "bbc",
        "test",
        "The US seized Venezuela's President Nicolás Maduro in a raid on Caracas on Saturday.",
        "Saturday",
        "Tuesday",
    ),
    (
        "nyt",
        "val",
        "Rights groups estimate that between 800 and 900 political prisoners are incarcerated in Venezuela.",
        "800 and 900",
        "80 and 90",
    ),
    ("nyt", "val", "Rocío San Miguel was detained in February 2024.", "2024", "2021"),
    ("nyt", "test", "San Miguel appeared to be one of five Spanish citizens released Thursday.", "five", "twelve"),
    (
        "nyt",
        "test",
        "Maduro jailed thousands of people who protested his victory claim in the 2024 presidential election.",
        "2024",
        "2018",
    ),
]
NO_CLAIM = "Let me know if you want a shorter version."  # an artefact: nothing to judge


def _rows() -> list[dict]:
    rows = []
    for n, (origin, cut, true, old, new) in enumerate(EDITS):
        document = BBC if origin == "bbc" else NYT
        for label, summary in ((1, true), (0, true.replace(old, new))):
            rows.append(
                {
                    "id": f"{origin}-{n}-{label}",
                    "document": document,
                    "summary": summary,
                    "label": label,
                    "cut": cut,
                    "origin": origin,
                    "score": 4.5 if label else 2.0 + n % 3,
                    "system": f"s{n % 3}",
                    "error_type": None,
                }
            )
    rows.append({"id": "artefact", "document": NYT, "summary": NO_CLAIM, "label": 1, "cut": "test", "origin": "nyt"})
    return rows


def _write(path, rows) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return str(path)


def _auc_by_hand(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    return sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg) / (len(pos) * len(neg))


@pytest.fixture(scope="module")
def toml(tmp_path_factory):
    folder = tmp_path_factory.mktemp("meta")
    (folder / "h.toml").write_text(f'[paths]\ncache = "{folder / "cache"}"\n', "utf-8")
    return str(folder / "h.toml")


def test_meta_eval_reports_the_auc_of_score_pairs(tmp_path, toml):
    rows = _rows()
    source = _write(tmp_path / "rows.jsonl", rows)
    assert main(["meta-eval", source, "--out", str(tmp_path / "me"), "--quiet", "--config", toml]) == 0
    result = json.loads((tmp_path / "me" / "meta_eval.json").read_text("utf-8"))
    page = (tmp_path / "me" / "meta_eval.md").read_text("utf-8")
    assert main(["score-pairs", source, "--out", str(tmp_path / "pairs.jsonl"), "--quiet", "--config", toml]) == 0
    scores = {r["id"]: r["score"] for r in map(json.loads, (tmp_path / "pairs.jsonl").read_text("utf-8").splitlines())}
    assert scores["artefact"] is None

    # val rows present: the threshold is chosen on them and everything else is reported on the test rows
    test = [r for r in rows if r["cut"] == "test"]
    by_hand = _auc_by_hand(
        [0.5 if scores[r["id"]] is None else scores[r["id"]] for r in test], [r["label"] for r in test]
    )
    assert result["threshold_source"] == "val" and result["overall"]["n"] == len(test) == 9
    assert result["overall"]["roc_auc"] == pytest.approx(by_hand, abs=1e-12)
    assert 'threshold chosen on the `cut == "val"` rows' in page
    assert result["overall"]["balanced_accuracy"] is not None and isinstance(result["overall"]["threshold"], float)

    for origin in ("bbc", "nyt"):
        block = result["by_origin"][origin]
        assert block["threshold_source"] == "val" and block["baseline"]["roc_auc"] is not None
        assert block["baseline"]["balanced_accuracy"] is not None
        assert f"| origin {origin} |" in page
    assert set(result["by_cut"]) == {"val", "test"} and result["by_cut"]["val"]["threshold_source"] == "cross-fit"

    assert result["unscored"]["n"] == 1
    reason = "no scorable claim: every statement is an artefact (chatbot leftover)"
    assert result["unscored"]["reasons"][reason] == {"n": 1, "ids": ["artefact"]}
    assert "Unscored rows: 1, each scored 0.5" in page and "artefact" in page
    assert result["correlation"]["n"] == 16 and result["system_level"]["n_systems"] == 3
    assert result["cache"]["embeddings_computed"] > 0
    written = [json.loads(line) for line in (tmp_path / "me" / "scores.jsonl").read_text("utf-8").splitlines()]
    assert {r["id"]: r["score"] for r in written} == scores  # the same numbers score-pairs writes

    # test rows only (the done criterion of issue 15): cross-fitting, ROC AUC on all rows; nothing recomputed
    only_test = _write(tmp_path / "test.jsonl", test)
    assert main(["meta-eval", only_test, "--out", str(tmp_path / "me2"), "--quiet", "--config", toml]) == 0
    second = json.loads((tmp_path / "me2" / "meta_eval.json").read_text("utf-8"))
    assert second["threshold_source"] == "cross-fit" and "two-fold cross-fitting" in second["threshold_rule"]
    assert second["overall"]["roc_auc"] == pytest.approx(by_hand, abs=1e-12)
    assert len(second["overall"]["threshold"]) == 2
    assert second["cache"]["embeddings_computed"] == 0


@pytest.mark.parametrize(
    "label, problem",
    [
        (2, "label must be 0 or 1, got 2"),
        ("1", 'label must be 0 or 1, got "1"'),
        (True, "label must be 0 or 1, got true"),
        (None, "label must be 0 or 1, got null"),
    ],
)
def test_a_bad_label_is_exit_2_naming_the_line(tmp_path, capsys, label, problem):
    rows = _rows()[:3]
    rows[2]["label"] = label
    code = main(["meta-eval", _write(tmp_path / "rows.jsonl", rows), "--out", str(tmp_path / "me"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and f"rows.jsonl: line 3: {problem}" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "me").exists()


def test_a_missing_label_is_named(tmp_path, capsys):
    rows = _rows()[:2]
    del rows[1]["label"]
    assert main(["meta-eval", _write(tmp_path / "rows.jsonl", rows), "--out", str(tmp_path / "me")]) == 2
    assert "rows.jsonl: line 2: missing field 'label'" in capsys.readouterr().err


def test_statistics_by_hand():
    scores, labels = [0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]
    assert agreement.roc_auc(scores, labels) == pytest.approx(_auc_by_hand(scores, labels)) == 0.875
    assert agreement.roc_auc(scores, [1, 1, 1, 1]) is None
    assert agreement.balanced_accuracy_at(scores, labels, 0.5) == 0.75
    threshold, accuracy = agreement.best_threshold([0.9, 0.6, 0.5, 0.1], labels)
    assert threshold == pytest.approx(0.55) and accuracy == 1.0  # halfway between the last 1 and the first 0
    assert agreement.best_threshold(scores, [0, 0, 0, 0]) is None
    assert agreement.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1) and agreement.spearman([1, 1], [1, 2]) is None
    assert agreement.kendall([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(2 / 3)
    assert metaeval.overlap_baseline("The council met on Monday.", "The council met on Friday.") == pytest.approx(2 / 3)
    assert metaeval.overlap_baseline("Anything.", "It was.") is None


def test_statistics_agree_with_scipy_and_scikit_learn():
    stats = pytest.importorskip("scipy.stats")
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    scores, human, labels = np.round(rng.random(300), 1), np.round(rng.random(300) * 4, 1), rng.integers(0, 2, 300)
    assert agreement.roc_auc(scores, labels) == pytest.approx(metrics.roc_auc_score(labels, scores))
    assert agreement.spearman(scores, human) == pytest.approx(stats.spearmanr(scores, human).statistic)
    assert agreement.kendall(scores, human, block=7) == pytest.approx(stats.kendalltau(scores, human).statistic)
    assert agreement.balanced_accuracy_at(scores, labels, 0.45) == pytest.approx(
        metrics.balanced_accuracy_score(labels, scores >= 0.45)
    )


def test_a_sample_is_stratified_balanced_and_the_same_every_time():
    from harness.measure.metaeval import sample_rows

    rows = [
        {"id": f"r{i}", "label": i % 2, "cut": "val" if i < 40 else "test", "origin": "a" if i % 3 else "b"}
        for i in range(120)
    ]
    first, second = sample_rows(rows, 3), sample_rows(list(reversed(rows)), 3)
    assert sorted(r["id"] for r in first) == sorted(r["id"] for r in second)
    groups = {}
    for r in first:
        groups[(r["cut"], r["origin"], r["label"])] = groups.get((r["cut"], r["origin"], r["label"]), 0) + 1
    assert len(groups) == 8 and set(groups.values()) == {3}
