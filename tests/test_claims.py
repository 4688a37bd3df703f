from harness.measure.scorer import text_document
from harness.reading.claims import split_claims


def test_claim_ids_and_offsets(candidate_docs):
    for name, doc in candidate_docs.items():
        claims = split_claims(doc, "s")
        assert [c.claim_id for c in claims] == [f"{name}#{i}" for i in range(1, len(claims) + 1)]
        for claim in claims:
            assert doc.text[claim.start : claim.end] == claim.text
        assert claims == split_claims(doc, "s")  # stable


def test_artefacts_are_kept_and_named(candidate_docs):
    digest = split_claims(candidate_docs["digest"])
    reasons = [c.artefact for c in digest if c.artefact]
    assert reasons.count("metadata dump (entities/tone/sentiment/intent)") == 3
    assert "image prompt" in reasons
    rewrite = split_claims(candidate_docs["rewrite"])
    leftovers = [c for c in rewrite if c.artefact == "chatbot leftover"]
    assert len(leftovers) == 1 and leftovers[0].text.startswith("If you want, I can also cut this down")
    assert sum(1 for c in rewrite if c.artefact) == 1


def test_semicolon_clauses_become_separate_claims(candidate_docs):
    texts = [c.text for c in split_claims(candidate_docs["takeaways"])]
    assert (
        "Officials confirmed releasing several prisoners immediately although no total figure or list were given"
        in texts
    )
    assert any(t.startswith("Spain’s foreign ministry reported five nationals") for t in texts)


def test_sentences_and_bullets():
    doc = text_document(
        "c",
        "Key Points\n• First point here.\n• Second point. It has two sentences.\nDr. Smith left on Jan. 5. He returned.",
    )
    texts = [c.text for c in split_claims(doc)]
    assert texts == [
        "First point here.",
        "Second point.",
        "It has two sentences.",
        "Dr. Smith left on Jan. 5.",
        "He returned.",
    ]


def test_chatbot_patterns_and_repeats():
    doc = text_document(
        "c",
        "Prices rose by ten percent last year.\nLet me know if you want a shorter version.\n"
        "Prices rose by ten percent last year.\nSure! Here is the summary you asked for.",
    )
    claims = split_claims(doc)
    # "Sure!" and "Here is the summary ..." are two sentences, both leftovers
    assert [c.artefact for c in claims] == [
        "",
        "chatbot leftover",
        "repeated text",
        "chatbot leftover",
        "chatbot leftover",
    ]
