"""The numpy ROUGE-Lsum LCS gives exactly rouge-score's numbers, ties included."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from harness import lcs

# a small vocabulary makes many repeated tokens, so many LCS ties
sentences = st.lists(st.lists(st.sampled_from("a b c d e f".split()), max_size=12), max_size=6)


@settings(max_examples=300, deadline=None)
@given(sentences, sentences)
def test_same_score_as_rouge_score(references, candidates):
    assert lcs.summary_level_lcs(references, candidates) == rouge_scorer._summary_level_lcs(references, candidates)


def test_blocks_give_the_same_score(monkeypatch):
    references = [["a", "b", "c", "a"] * 5, ["b", "a"] * 7, ["c"] * 3, ["d", "a", "b"] * 4]
    candidates = [["a", "c", "b"] * 4, ["b", "b", "a", "d"]]
    whole = lcs.summary_level_lcs(references, candidates)
    monkeypatch.setattr(lcs, "TABLE_CELLS", 1)  # one reference sentence per block
    assert lcs.summary_level_lcs(references, candidates) == whole
    assert whole == rouge_scorer._summary_level_lcs(references, candidates)
    assert 0 < whole.fmeasure < 1


def test_rouge_metric_equals_rouge_score_on_the_example_story(story, candidate_docs):
    from harness.evaluation import metrics
    from harness.text import split_sentences

    scorer = rouge_scorer.RougeScorer(list(metrics.ROUGE_TYPES), tokenizer=metrics.CachingTokenizer())
    for reference in story.references:
        ref = "\n".join(split_sentences(reference.content_text))
        for doc in candidate_docs.values():
            expected = scorer.score(ref, "\n".join(split_sentences(doc.content_text)))
            assert metrics.rouge(doc.content_text, reference.content_text) == {
                name: expected[name].fmeasure for name in metrics.ROUGE_TYPES
            }
