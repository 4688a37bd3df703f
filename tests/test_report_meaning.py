"""A failed meaning check reads in plain words in the report, with the claim word and the aligned source word
it replaced marked as conflicting."""

from harness.report.html import claim_view


def test_antonym_shows_in_plain_words_with_both_words_marked(harness_evaluator):
    result = harness_evaluator.evaluate(
        ["The council approved the harbour plan on Monday after a long debate."],
        "The council rejected the harbour plan on Monday after a long debate.",
    )
    [claim] = result.claims
    assert claim["verdict"] == "contradicted", result.explain()
    view = claim_view(claim, "c1")
    assert any("approved" in text and "rejected" in text for text in view["explanations"]), view["explanations"]
    assert '<mark class="c">rejected</mark>' in str(view["marked"])
    assert '<mark class="c">approved</mark>' in str(view["evidence_view"][0]["marked"])
