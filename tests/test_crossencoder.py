"""The shipped cross-encoder: loads offline, reproduces recorded outputs, ranks supported claims above
their perturbed twins, never truncates evidence, caches, and serves as a judge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.config import Config
from harness.reading.chunks import chunk_sentences
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import SHIPPED, shipped_model_path

DATA = Path(__file__).parent / "data"
TWINS = json.loads((DATA / "story_twins.json").read_text("utf-8"))["twins"]
RECORDED = json.loads((DATA / "crossencoder_recorded.json").read_text("utf-8"))
# of 16: the shipped model ranks 13 or 14 (training/record_outputs.py prints each pair); int8 kernels differ between
# x86-64 CPUs (AVX2, AVX-512, VNNI) and move a pair's p by up to about 0.1, so pairs within that margin may flip.
MIN_TWINS_RANKED = 11


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> CrossEncoder:
    return CrossEncoder(SHIPPED, tmp_path_factory.mktemp("ce-cache"))


def test_shipped_model_loads_offline_with_onnxruntime(encoder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = shipped_model_path()
    assert (folder / "model.onnx").stat().st_size < 30 * 2**20  # int8: about a quarter of the float size
    assert encoder.backend == "onnx"
    settings = json.loads((folder / "config.json").read_text("utf-8"))
    assert settings["chunk_budget"] + 64 <= settings["max_length"]


def test_gives_the_recorded_outputs_on_fixed_pairs(encoder):
    """Close to, and in the same order as, the outputs recorded on the developers' CPU. int8 ONNX kernels differ
    between x86-64 CPUs (measured on a second CPU: mean |difference| 0.023, max 0.097, Spearman 0.966), so the
    check is by tolerance and rank, never exact; a wrong model, tokenizer or input order fails all three."""
    assert RECORDED["model_sha256_16"] == encoder.fingerprint, "model changed: re-run training/record_outputs.py"
    pairs = [(r["premise"], r["claim"]) for r in RECORDED["pairs"]]
    got = encoder.predict_pairs(pairs)
    recorded = np.array([r["p"] for r in RECORDED["pairs"]])
    difference = np.abs(got - recorded)
    rank_correlation = np.corrcoef(np.argsort(np.argsort(got)), np.argsort(np.argsort(recorded)))[0, 1]
    assert difference.mean() < 0.05 and difference.max() < 0.2, difference
    assert rank_correlation > 0.9, rank_correlation


def test_ranks_supported_claims_above_their_perturbed_twins(encoder):
    pairs = [(t["premise"], claim) for t in TWINS for claim in (t["supported"], t["twin"])]
    probs = encoder.predict_pairs(pairs)
    ranked = [t["kind"] for i, t in enumerate(TWINS) if probs[2 * i] > probs[2 * i + 1]]
    assert len(ranked) >= MIN_TWINS_RANKED, f"only {ranked} ranked correctly"
    assert float(np.mean(probs[0::2])) > float(np.mean(probs[1::2]))


def test_a_pairs_score_does_not_depend_on_the_other_pairs(encoder):
    """int8 ONNX scales activations per tensor, so a batch would couple its rows: the default runs one
    pair at a time, and then order and company change nothing."""
    pairs = [(t["premise"], t["twin"]) for t in TWINS[:6]]
    alone = [CrossEncoder(SHIPPED, None).predict_pairs([pair])[0] for pair in pairs]
    together = CrossEncoder(SHIPPED, None).predict_pairs(pairs[::-1])[::-1]
    assert encoder.batch_size == 1 and np.array_equal(np.array(alone, dtype=np.float32), together)


def test_cached_pairs_are_not_recomputed(tmp_path, monkeypatch):
    pairs = [(TWINS[0]["premise"], TWINS[0]["supported"])]
    first = CrossEncoder(SHIPPED, tmp_path).predict_pairs(pairs)
    again = CrossEncoder(SHIPPED, tmp_path)
    monkeypatch.setattr(again, "_run", lambda batch: pytest.fail("a cached pair was recomputed"))
    assert again.predict_pairs(pairs)[0] == pytest.approx(first[0])


def test_chunks_cover_every_sentence_within_budget_with_overlap(encoder):
    sentences = [f"Sentence {i} says that the council met {i} times in {2000 + i} about item {i}." for i in range(40)]
    sentences[17] = " ".join(f"word{i}" for i in range(400))  # one sentence far longer than the budget
    chunks = chunk_sentences(sentences, encoder.count, 128)
    assert all(encoder.count(c.text) <= 128 for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for i, s in enumerate(sentences) if i != 17)
    assert all(f"word{i}" in joined for i in range(400))  # the long sentence is read in parts, not cut off
    # consecutive chunks share a sentence, except where the long sentence's parts (which overlap in words) begin
    assert all(a.last >= b.first or b.first == 17 for a, b in zip(chunks, chunks[1:]))


def test_a_user_named_folder_model_loads_and_matches(tmp_path, encoder):
    copy = tmp_path / "my-model"
    shutil.copytree(shipped_model_path(), copy)
    mine = CrossEncoder(str(copy), None)
    pair = [(TWINS[1]["premise"], TWINS[1]["supported"])]
    assert mine.backend == "onnx" and mine.predict_pairs(pair)[0] == pytest.approx(
        encoder.predict_pairs(pair)[0], abs=1e-5
    )


def test_a_transformers_model_folder_runs_with_torch(tmp_path):
    """The torch path a user's own fine-tuned model takes, on a tiny model made here (no download)."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from harness.runtime.model_files import base_model_path

    tiny = BertForSequenceClassification(
        BertConfig(
            vocab_size=30522,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            num_labels=1,
        )
    )
    tiny.save_pretrained(tmp_path / "tiny")
    AutoTokenizer.from_pretrained(str(base_model_path())).save_pretrained(tmp_path / "tiny")
    model = CrossEncoder(str(tmp_path / "tiny"), None)
    probs = model.predict_pairs([("A premise.", "A claim."), ("Another premise here.", "B.")])
    assert model.backend == "torch" and probs.shape == (2,) and np.all((probs > 0) & (probs < 1))


def test_a_missing_model_names_itself(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="no-such-model"):
        CrossEncoder("no-such-org/no-such-model", None).predict_pairs([("a", "b")])


def test_crossencoder_judge_on_the_story(story, embedder, tmp_path):
    from harness.evaluation.evaluator import StoryEvaluator
    from harness.judges import make_judge
    from harness.measure.scorer import text_document
    from harness.reading.claims import split_claims

    config = Config(judge="crossencoder", cache=str(tmp_path))
    evaluator = StoryEvaluator(story, embedder, make_judge("crossencoder", config), config)
    summary = text_document(
        "summary",
        "Spain's foreign ministry said five of its nationals had been released. "
        "About 800 to 1,000 political prisoners are held in Venezuela.",
    )
    claims = split_claims(summary)
    judgements = evaluator.judge.judge(claims, evaluator.index.search(claims), evaluator.sources)
    assert judgements[0].verdict == "supported" and "cross-encoder" in judgements[0].reason
    assert judgements[1].verdict == "contradicted"  # the number check still decides


def test_a_missing_folder_fails_before_any_work(tmp_path, capsys):
    from harness.cli import main

    config = tmp_path / "h.toml"
    config.write_text('[models]\nconsistency = "./no/such/folder"\n[judge]\nname = "crossencoder"\n')
    assert main(["run", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no/such/folder': no such folder" in err and "Traceback" not in err


def test_scorer_prepares_each_summary_once_and_keeps_order(tmp_path, monkeypatch):
    """`score` works in blocks: each summary's claims and evidence are found once, the block's pairs go to
    the model together, and the scores come back in input order, equal to scoring each row alone."""
    from harness.measure.scorer import ConsistencyScorer

    twins = TWINS[:3]
    sources = [t["premise"] for t in twins for _ in (0, 1)]
    summaries = [claim for t in twins for claim in (t["supported"], t["twin"])]
    scorer = ConsistencyScorer(Config(judge="crossencoder", cache=str(tmp_path)))
    prepared = []
    original = scorer.prepare
    monkeypatch.setattr(scorer, "prepare", lambda s, c: prepared.append(c) or original(s, c))
    scores = scorer.score(sources, summaries, block=4)
    assert prepared == summaries
    alone = [scorer.score_one(s, c) for s, c in zip(sources, summaries)]
    assert scores == pytest.approx(alone) and scores[0] != scores[1]


def test_shipped_nli_model_reads_entailment_and_contradiction(tmp_path, monkeypatch):
    """harness-nli-minilm (training/train_nli.py) loads offline with its three classes named in its config, ranks
    a supported claim above its perturbed twin for most of the 16 story pairs (14 here; int8 kernels differ
    between CPUs, hence the margin), and gives the twins more p(contradiction) than the supported claims."""
    from harness.runtime.model_files import NLI_SHIPPED

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = CrossEncoder(NLI_SHIPPED, tmp_path)
    assert model.backend == "onnx" and model.head.labels == ("entailment", "neutral", "contradiction")
    assert (model.head.support, model.head.refute) == (0, 2)
    support, refuted = model.predict_detail([(t["premise"], c) for t in TWINS for c in (t["supported"], t["twin"])])
    ranked = sum(support[2 * i] > support[2 * i + 1] for i in range(len(TWINS)))
    assert ranked >= MIN_TWINS_RANKED, ranked
    assert refuted[1::2].mean() > refuted[::2].mean() + 0.1
