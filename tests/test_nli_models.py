"""Any sequence-classification model as the cross-encoder judge: one logit, two labels, three NLI labels,
with the consistent class read from the model's config (never from its position). Every model here is a
tiny BERT or DeBERTa-v2 made and saved by the test, with the shipped MiniLM tokenizer: nothing is downloaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.config import Config
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import base_model_path, shipped_model_path
from harness.runtime.output_head import make_head

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

NLI = ["entailment", "neutral", "contradiction"]
PAIRS = [
    ("The council met on Monday and approved the budget.", "The budget was approved."),
    ("Five prisoners were released on Friday.", "Nobody was released."),
    ("A short premise.", "A claim about something else entirely, at some length."),
]


@pytest.fixture(scope="module")
def tokenizer_files(tmp_path_factory) -> Path:
    """The shipped MiniLM tokenizer saved once; every tiny model folder gets a copy."""
    folder = tmp_path_factory.mktemp("tokenizer")
    transformers.AutoTokenizer.from_pretrained(str(base_model_path())).save_pretrained(folder)
    return folder


def tiny_model(family: str, labels: list[str], seed: int = 0):
    """A one-layer model with 32-wide hidden states; classifier weights and biases made large enough that
    the classes get clearly different probabilities (a fresh head gives every class about the same)."""
    sizes = dict(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    config = (
        transformers.BertConfig(**sizes)
        if family == "bert"
        else transformers.DebertaV2Config(max_position_embeddings=512, type_vocab_size=0, **sizes)
    )
    torch.manual_seed(seed)
    model = transformers.AutoModelForSequenceClassification.from_config(config).eval()
    with torch.no_grad():
        model.classifier.weight.normal_(0.0, 2.0)
        model.classifier.bias.copy_(torch.linspace(1.0, -1.0, len(labels)))
    return model


def save(model, folder: Path, tokenizer_files: Path) -> Path:
    model.save_pretrained(folder)
    for f in tokenizer_files.iterdir():
        shutil.copy(f, folder / f.name)
    return folder


def direct_probabilities(model, tokenizer_files: Path) -> np.ndarray:
    """Class probabilities computed here with transformers alone: what the harness must reproduce."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tokenizer_files))
    inputs = tokenizer([p for p, _ in PAIRS], [c for _, c in PAIRS], padding=True, return_tensors="pt")
    with torch.inference_mode():
        logits = model(**inputs).logits.float()
    return (torch.sigmoid(logits) if logits.shape[1] == 1 else torch.softmax(logits, dim=1)).numpy()


@pytest.mark.parametrize("family", ["bert", "deberta"])
@pytest.mark.parametrize(
    "labels, column",
    [
        (["LABEL_0"], 0),
        (["hallucinated", "consistent"], 1),
        (["SUPPORTED", "unsupported"], 0),
        (["LABEL_0", "LABEL_1"], 1),
        (NLI, 0),
        (NLI[::-1], 2),
    ],
)
def test_each_head_gives_the_consistent_class_probability(family, labels, column, tmp_path, tokenizer_files):
    model = tiny_model(family, labels)
    folder = save(model, tmp_path / "m", tokenizer_files)
    got = CrossEncoder(str(folder), None).predict_pairs(PAIRS)
    expected = direct_probabilities(model, tokenizer_files)[:, column]
    assert got == pytest.approx(expected, abs=1e-5)
    assert len(set(np.round(got, 4))) > 1  # the pairs are told apart: the test could see a wrong column


@pytest.mark.parametrize("family", ["bert", "deberta"])
def test_labels_come_from_the_config_not_the_position(family, tmp_path, tokenizer_files):
    """The done criterion: an NLI model with entailment first, the same model with its classes in reverse
    order (classifier rows and id2label permuted together), and the same weights with only the labels
    reversed. The first two are one model and must score alike; the third says entailment is the last row,
    so it must give what the first calls p(contradiction), and entailment minus contradiction mirrored."""
    model = tiny_model(family, NLI)
    first = save(model, tmp_path / "entailment-first", tokenizer_files)
    with torch.no_grad():
        model.classifier.weight.copy_(model.classifier.weight.flip(0))
        model.classifier.bias.copy_(model.classifier.bias.flip(0))
    model.config.id2label, model.config.label2id = (
        dict(enumerate(NLI[::-1])),
        {name: i for i, name in enumerate(NLI[::-1])},
    )
    permuted = save(model, tmp_path / "entailment-last", tokenizer_files)
    relabelled = tmp_path / "relabelled"
    shutil.copytree(first, relabelled)
    config = json.loads((relabelled / "config.json").read_text())
    config["id2label"], config["label2id"] = dict(enumerate(NLI[::-1])), {name: i for i, name in enumerate(NLI[::-1])}
    (relabelled / "config.json").write_text(json.dumps(config))

    p_first, p_permuted, p_relabelled = (
        CrossEncoder(str(f), None).predict_pairs(PAIRS) for f in (first, permuted, relabelled)
    )
    contradiction = CrossEncoder(str(first), None, label="contradiction").predict_pairs(PAIRS)
    assert p_permuted == pytest.approx(p_first, abs=1e-5)
    assert p_relabelled == pytest.approx(contradiction, abs=1e-5)
    assert not np.allclose(p_relabelled, p_first, atol=1e-3)

    summac = {
        f: CrossEncoder(str(f), None, nli="entailment-minus-contradiction").predict_pairs(PAIRS)
        for f in (first, permuted, relabelled)
    }
    assert summac[first] == pytest.approx((p_first - contradiction + 1) / 2, abs=1e-5)
    assert summac[permuted] == pytest.approx(summac[first], abs=1e-5)
    assert summac[relabelled] == pytest.approx(1 - summac[first], abs=1e-5)  # opposite p_support


@pytest.mark.parametrize(
    "labels, options, support",
    [
        (["LABEL_0", "LABEL_1"], {}, 1),
        (["Supported", "Unsupported"], {}, 0),
        (["not-entailment", "other"], {}, 1),
        (["CONTRADICTION", "NEUTRAL", "ENTAILMENT"], {}, 2),
        (["refuted", "not enough info", "supports"], {"label": "supports"}, 2),
        (["LABEL_0", "LABEL_1", "LABEL_2"], {"label": "label_0"}, 0),
        (["no", "yes"], {}, 1),
        (["true", "false"], {}, 0),
    ],
)
def test_which_class_is_consistent(labels, options, support):
    assert make_head(labels, "m", **options).support == support


@pytest.mark.parametrize(
    "labels, options, message",
    [
        (["cat", "dog"], {}, "cannot tell which of its labels ('cat', 'dog') means consistent"),
        (["LABEL_0", "LABEL_1", "LABEL_2"], {}, 'options = { label = "..." }'),
        (NLI, {"label": "maybe"}, "label = 'maybe' is not one of its labels"),
        (["LABEL_0", "LABEL_1"], {"nli": "entailment-minus-contradiction"}, "needs a contradiction label"),
        (NLI, {"nli": "summac"}, "expected one of entailment, entailment-minus-contradiction"),
    ],
)
def test_unreadable_label_sets_are_refused(labels, options, message):
    with pytest.raises(ValueError) as caught:
        make_head(labels, "m", **options)
    assert message in str(caught.value)


def test_an_unknown_label_set_fails_when_the_judge_is_built(tmp_path, tokenizer_files, monkeypatch, capsys):
    """Exit 2 with one line naming the model and its labels, before any story or candidate is read."""
    import harness.run.pipeline
    from harness.cli import main

    folder = save(tiny_model("bert", ["cat", "dog", "bird"]), tmp_path / "animals", tokenizer_files)
    monkeypatch.setattr(harness.run.pipeline, "load_stories", lambda *a, **k: pytest.fail("candidates were read"))
    config = tmp_path / "h.toml"
    config.write_text(f'[models]\nconsistency = "{folder}"\n[judge]\nname = "crossencoder"\n')
    capsys.readouterr()  # the save's progress bar
    assert main(["run", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "animals" in err and "'cat', 'dog', 'bird'" in err and "Traceback" not in err


def test_judge_options_reach_the_model_and_the_cache_key(tmp_path, tokenizer_files):
    from harness.judges import make_judge

    folder = save(tiny_model("deberta", NLI[::-1]), tmp_path / "nli", tokenizer_files)
    plain = make_judge("crossencoder", Config(consistency_model=str(folder), cache=str(tmp_path / "c")))
    summac = make_judge(
        "crossencoder",
        Config(
            consistency_model=str(folder),
            cache=str(tmp_path / "c"),
            judge_options={"nli": "entailment-minus-contradiction"},
        ),
        nli="entailment-minus-contradiction",
    )
    assert (plain.encoder.head.support, plain.encoder.head.contradiction) == (2, None)
    assert (summac.encoder.head.support, summac.encoder.head.contradiction) == (2, 0)
    assert plain.encoder.fingerprint != summac.encoder.fingerprint


def test_the_pair_cache_knows_the_weights_not_just_the_path(tmp_path, tokenizer_files, monkeypatch):
    """A model saved again at the same path with other weights gets other scores, never the cached ones;
    the same files read again come from the cache."""
    folder, cache = tmp_path / "model", tmp_path / "cache"
    save(tiny_model("bert", NLI, seed=1), folder, tokenizer_files)
    first = CrossEncoder(str(folder), cache)
    p1 = first.predict_pairs(PAIRS)
    again = CrossEncoder(str(folder), cache)
    monkeypatch.setattr(again, "_run", lambda batch: pytest.fail("a cached pair was recomputed"))
    assert again.fingerprint == first.fingerprint and again.predict_pairs(PAIRS) == pytest.approx(p1)
    shutil.rmtree(folder)
    save(tiny_model("bert", NLI, seed=2), folder, tokenizer_files)
    retrained = CrossEncoder(str(folder), cache)
    assert retrained.fingerprint != first.fingerprint
    assert not np.allclose(retrained.predict_pairs(PAIRS), p1, atol=1e-4)


def test_an_onnx_folder_reads_its_config_labels(tmp_path):
    """An ONNX folder's labels come from the same config.json: one named label keeps the sigmoid (and the
    shipped model's cache key), a three-label set that names no consistent class is refused when built."""
    folder = tmp_path / "onnx"
    shutil.copytree(shipped_model_path(), folder)
    settings = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**settings, "id2label": {"0": "consistent"}}))
    model = CrossEncoder(str(folder), None)
    assert model.backend == "onnx" and model.head.support is None
    assert model.fingerprint == CrossEncoder(str(shipped_model_path()), None).fingerprint
    (folder / "config.json").write_text(json.dumps({**settings, "id2label": {"0": "a", "1": "b", "2": "c"}}))
    with pytest.raises(ValueError, match="'a', 'b', 'c'"):
        CrossEncoder(str(folder), None)


@pytest.mark.parametrize("labels", [NLI, NLI[::-1]])
def test_a_contradiction_class_makes_contradicted_verdicts(labels, tmp_path, tokenizer_files):
    """A three-way model's p(contradiction), read from the class its config names, is cached beside p(support)
    and drives `contradicted` when no chunk supports the claim; below the refute threshold it is unsupported."""
    from harness.checks.declaration import CheckResult
    from harness.judges import make_judge
    from harness.judges.contract import Assessment
    from harness.registry import CONTRADICTED, SUPPORTED, UNSUPPORTED

    model = tiny_model("bert", labels)
    folder = save(model, tmp_path / "m", tokenizer_files)
    encoder = CrossEncoder(str(folder), tmp_path / "cache")
    support, refuted = encoder.predict_detail(PAIRS)
    direct = direct_probabilities(model, tokenizer_files)
    assert support == pytest.approx(direct[:, labels.index("entailment")], abs=1e-5)
    assert refuted == pytest.approx(direct[:, labels.index("contradiction")], abs=1e-5)
    again = CrossEncoder(str(folder), tmp_path / "cache")
    again._run = None  # a second read must come from the cache alone
    cached_support, cached_refuted = again.predict_detail(PAIRS)
    assert cached_support == pytest.approx(support) and cached_refuted == pytest.approx(refuted)

    judge = make_judge("crossencoder", Config(consistency_model=str(folder), cache=str(tmp_path / "c")))
    passing = [CheckResult("number", "pass", "")]
    assert judge.verdict(Assessment(0.9, "r", p_refuted=0.8), passing).verdict == SUPPORTED  # support wins
    assert judge.verdict(Assessment(0.2, "r", p_refuted=0.8), passing).verdict == CONTRADICTED
    assert judge.verdict(Assessment(0.2, "r", p_refuted=0.3), passing).verdict == UNSUPPORTED
    one_logit = save(tiny_model("bert", ["LABEL_0"]), tmp_path / "one", tokenizer_files)
    assert CrossEncoder(str(one_logit), None).predict_detail(PAIRS)[1] is None  # no contradiction class
