import json
from pathlib import Path

import pytest

from harness.document import InputError
from harness.ingest import load_stories, load_story, read_document
from harness.ingest.readers import detect_format


def kinds(doc, kind):
    return [b for b in doc.blocks if b.kind == kind]


def test_every_block_maps_back_to_its_offsets(story, candidate_docs):
    for doc in list(story.references) + list(candidate_docs.values()):
        for block in doc.blocks:
            assert doc.text[block.start : block.end] == block.text, (doc.path, block)


def test_markdown_reference_front_matter_becomes_metadata(story):
    doc = next(r for r in story.references if r.doc_id.startswith("000"))
    assert doc.format == "markdown"
    assert doc.metadata["author"] == "badely"
    assert doc.metadata["date"].startswith("2026-01-09")
    assert "layout: post" not in doc.content_text
    assert doc.content_text.startswith("Experts revealed that The Venezuelan government")
    assert [b.note for b in kinds(doc, "metadata")] == ["YAML front matter", "credit line"]


def test_plain_reference_keeps_the_photo_caption_as_evidence_and_drops_the_credit(story):
    doc = next(r for r in story.references if r.doc_id.startswith("002"))
    assert doc.format == "plain"
    assert [b.note for b in kinds(doc, "furniture")] == ["photo credit"]
    assert kinds(doc, "furniture")[0].text == "Credit: Reuters photo"
    captions = kinds(doc, "caption")
    assert len(captions) == 1 and "outside the El Rodeo jail" in captions[0].text
    assert doc.content_text.startswith("Family members of detainees wait outside the El Rodeo jail")
    assert "originally appeared in The New York Times" not in doc.content_text


def test_takeaways_split_on_triple_bars(candidate_docs):
    doc = candidate_docs["takeaways"]
    assert doc.format == "takeaways"
    items = [b.text for b in kinds(doc, "bullet")]
    assert items == [
        "Venezuela starts releasing political prisoners",
        "Rocio San Miguel among first detainees freed",
        "Concerns linger with hundreds still in detention",
        "International pressure contributes to authorities' shift",
        "Authorities face increased international scrutiny",
    ]
    assert "Rocio San Miguel among First Freed Workers" in [b.text for b in kinds(doc, "heading")]
    assert len(kinds(doc, "paragraph")) == 6


def test_rewrite_furniture_and_chatbot_text(candidate_docs):
    doc = candidate_docs["rewrite"]
    assert doc.format == "plain"
    furniture = [(b.text, b.note) for b in kinds(doc, "furniture")]
    assert furniture.count(("Advertisement", "advertisement")) == 3
    assert ("X", "share button") in furniture
    assert ("US", "tag beside furniture") in furniture
    assert any(note == "photo credit" and "Photo: AP" in text for text, note in furniture)
    assert "Published At:" in [b.text for b in kinds(doc, "metadata")]
    bullets = [b for b in kinds(doc, "bullet")]
    assert len(bullets) == 3 and all(b.section == "summary" for b in bullets)
    # the leftover offer is kept as text for the claim splitter to flag, not dropped
    assert any(b.text.startswith("If you want, I can") for b in kinds(doc, "paragraph"))


def test_digest_sections_articles_and_dumps(candidate_docs):
    doc = candidate_docs["digest"]
    assert doc.format == "digest"
    assert doc.metadata["date"] == "09-01-2026"
    assert doc.metadata["sources"] == {"bbc.com": 1, "news.sky.com": 1, "theguardian.com": 1}
    articles = doc.metadata["articles"]
    assert len(articles) == 3
    assert articles[0]["entities"][-1] == "Delcy Rodríguez"  # split from the run-together "...RodríguezTone:"
    assert (
        articles[2]["tone"] == "neutral"
        and articles[2]["sentiment"] == "positive"
        and articles[2]["intent"] == "inform"
    )
    assert [b.note for b in kinds(doc, "artefact")].count("metadata dump (entities/tone/sentiment/intent)") == 3
    [prompt] = [b for b in kinds(doc, "artefact") if b.note == "image prompt"]
    assert prompt.text.startswith("Image Prompt:\n\nReleased Venezuelan political prisoners") and prompt.text.endswith(
        "release scene."
    )
    assert [b.text for b in kinds(doc, "furniture")] == ["Image for cluster 10"]
    assert len([b for b in kinds(doc, "bullet") if b.section == "key_points"]) == 5
    sections = {b.section for b in kinds(doc, "paragraph")}
    assert sections == {"summary", "article:1", "article:2", "article:3"}


def test_json_candidate_valid(tmp_path):
    path = tmp_path / "sys.json"
    path.write_text(
        json.dumps(
            {
                "system": "sysA",
                "summary": "Venezuela freed prisoners. Spain confirmed five.",
                "key_points": ["San Miguel was freed."],
            }
        ),
        "utf-8",
    )
    doc = read_document(path)
    assert doc.format == "json" and doc.system == "sysA"
    assert [b.text for b in doc.blocks if b.kind == "bullet"] == ["San Miguel was freed."]
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text


@pytest.mark.parametrize(
    "payload, field, words",
    [
        ({"system": "a"}, "(top level)", "is not valid under any of the given schemas"),
        ({"summary": ""}, "summary", "should be non-empty"),
        ({"summary": "ok.", "key_points": "not a list"}, "key_points", "is not of type 'array'"),
        ({"summary": "ok.", "colour": "red"}, "(top level)", "unknown key 'colour' (expected one of id, system"),
    ],
)
def test_json_candidate_schema_errors_name_the_field(tmp_path, payload, field, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload), "utf-8")
    with pytest.raises(InputError) as err:
        read_document(path)
    assert err.value.field == field and words in err.value.problem and str(path) in str(err.value)


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"summary": "x",\n  oops}', "utf-8")
    with pytest.raises(InputError, match=r"broken.json: invalid JSON at line 2 column 3"):
        read_document(path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", "", "empty file"),
        ("blank.txt", "  \n\n\t ", "empty file"),
        ("summary.docx", "text", "unknown format '.docx'"),
        ("binary.txt", b"\x00\x01\x02abc", "binary data"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "invalid UTF-8"),
        ("furniture.txt", "Advertisement\nX\n", "no summary text found"),
    ],
)
def test_bad_candidate_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(InputError, match=message):
        read_document(path)


def test_detect_format_by_content_not_extension():
    assert detect_format(Path("a.txt"), "---\ntitle: x\n---\nBody.") == "markdown"
    assert detect_format(Path("a.txt"), "• one ||| • two |||") == "takeaways"
    assert detect_format(Path("a.txt"), "Summary\nText.\nKey Points\n• a") == "digest"
    assert detect_format(Path("a.txt"), "Just prose.") == "plain"


def test_missing_reference_names_story_file_and_field(tmp_path):
    (tmp_path / "story.yaml").write_text("title: T\nreferences:\n  - file: nope.txt\n", "utf-8")
    with pytest.raises(InputError) as err:
        load_story(tmp_path)
    assert err.value.field == "references/0/file" and "nope.txt" in err.value.problem


def test_story_schema_rejects_bad_key_fact(tmp_path):
    (tmp_path / "ref.txt").write_text("A sentence.", "utf-8")
    (tmp_path / "story.yaml").write_text(
        "title: T\nreferences: [{file: ref.txt}]\nkey_facts: [{id: k1, fact: F, weight: -1}]\n"
    )
    with pytest.raises(InputError) as err:
        load_story(tmp_path)
    assert err.value.field == "key_facts/0/weight"


def test_one_bad_candidate_does_not_sink_the_story(tmp_path):
    gold = tmp_path / "gold" / "s1"
    gold.mkdir(parents=True)
    (gold / "ref.txt").write_text("Venezuela freed five prisoners on Thursday.", "utf-8")
    cands = tmp_path / "cands" / "s1"
    cands.mkdir(parents=True)
    (cands / "good.txt").write_text("Venezuela freed five prisoners.", "utf-8")
    (cands / "empty.txt").write_text("", "utf-8")
    stories, errors = load_stories(tmp_path / "gold", tmp_path / "cands")
    assert errors == []
    assert [d.doc_id for d in stories[0].candidates] == ["good"]
    assert len(stories[0].errors) == 1 and "empty.txt: empty file" in str(stories[0].errors[0])


def test_candidates_for_unknown_story_are_reported(tmp_path):
    for story in ("s1", "s2"):
        (tmp_path / "gold" / story).mkdir(parents=True)
        (tmp_path / "gold" / story / "ref.txt").write_text("A fact.", "utf-8")
        (tmp_path / "cands" / story).mkdir(parents=True)
        (tmp_path / "cands" / story / "c.txt").write_text("A fact.", "utf-8")
    (tmp_path / "cands" / "s3").mkdir()
    _, errors = load_stories(tmp_path / "gold", tmp_path / "cands")
    assert len(errors) == 1 and "'s3' have no references" in str(errors[0])


def test_example_story_file(story):
    assert story.story_id == "venezuela-prisoners" and story.date == "2026-01-09"
    assert len(story.references) == 2
    assert 10 <= len(story.key_facts) <= 20
    assert len({f.fact_id for f in story.key_facts}) == len(story.key_facts)


@pytest.mark.parametrize("per_story", [True, False])
def test_folders_the_run_would_not_read_are_errors(tmp_path, per_story):
    """A nested folder, a folder named like a file and (per-story layout) a story folder with no references
    are errors naming them, never silently skipped."""
    (tmp_path / "gold/s").mkdir(parents=True)
    (tmp_path / "gold/s/ref.txt").write_text("The council approved the plan on Monday.\n", "utf-8")
    folder = tmp_path / "c" / ("s" if per_story else "")
    for sub in ("sub", "dir.txt", ".hidden"):
        (folder / sub).mkdir(parents=True)
    (folder / "a.txt").write_text("The council approved the plan.\n", "utf-8")
    if per_story:
        (tmp_path / "c/other").mkdir()
    stories, errors = load_stories(tmp_path / "gold", tmp_path / "c")
    problems = [str(e) for e in errors + stories[0].errors]
    assert [d.doc_id for d in stories[0].candidates] == ["a"]
    assert sum("is a folder inside the candidates folder" in p for p in problems) == 2, problems
    assert any("dir.txt" in p for p in problems) and not any(".hidden" in p for p in problems)
    assert any("candidates for story 'other' have no references" in p for p in problems) == per_story


def test_a_file_named_after_an_id_keeps_it(tmp_path):
    """A JSON file claiming another file's name as its id is the duplicate, whatever the name order."""
    (tmp_path / "gold/s").mkdir(parents=True)
    (tmp_path / "gold/s/ref.txt").write_text("The council approved the plan on Monday.\n", "utf-8")
    (tmp_path / "c/s").mkdir(parents=True)
    (tmp_path / "c/s/a.json").write_text('{"id": "takeaways", "summary": "The plan passed."}', "utf-8")
    (tmp_path / "c/s/takeaways.txt").write_text("The council approved the plan.\n", "utf-8")
    stories, _ = load_stories(tmp_path / "gold", tmp_path / "c")
    assert [Path(d.path).name for d in stories[0].candidates] == ["takeaways.txt"]
    assert ["a.json" in str(e) and "duplicate candidate id 'takeaways'" in str(e) for e in stories[0].errors] == [True]


PAGE_FURNITURE = """By Emily Crane and Ryan Lipman for Daily Mail Australia
Three people died when a car hit a tree on the Bruce Highway on Sunday.
Police said the driver, 19, was taken to hospital.
Read more: http://dailycaller.com/2017/10/29/three-killed-in-highway-crash-police-say-driver-135-kmh/
John Doe / Getty Images
© Nine Digital Pty Ltd 2018
"""


@pytest.mark.parametrize("system", ["a-summariser", ""])  # a candidate, a reference
def test_page_furniture_is_never_a_claim_and_a_url_is_no_number(tmp_path, system):
    """Real furniture seen in news summaries and articles (issue 34): a byline, a "Read more" link with a long
    URL, an image credit and a copyright line are dropped as furniture in either role; the sentences stay."""
    from harness.checks import numbers
    from harness.reading.claims import split_claims

    path = tmp_path / "page.txt"
    path.write_text(PAGE_FURNITURE, "utf-8")
    doc = read_document(path, system)
    notes = [b.note for b in kinds(doc, "furniture")]
    assert notes == ["byline", "page link", "photo credit", "copyright line"]
    assert "Three people died" in doc.content_text and "Nine Digital" not in doc.content_text
    claims = [c.text for c in split_claims(doc, "story") if not c.is_artefact]
    assert claims and not any("http" in c or "©" in c or c.startswith("By ") for c in claims)
    assert numbers.mentions("Read more: http://dailycaller.com/2017/10/29/story-135") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Related reports say the mayor was arrested for fraud on Friday.",
        "Copyright fees for the council rose to 9 million dollars in 2018.",
        "Read more than 900 members voted against it.",
        "(c) The mayor resigned in protest.",
        "Reporting by officials found 40 deaths.",
        "Sign up rates for the plan fell by 80 percent.",
        "The mayor resigned in protest / AP",
        "By Christmas Venezuela Freed Prisoners",
        "Prices rose 3% across the EU and the UK / PA",
    ],
)
def test_a_sentence_that_starts_like_furniture_stays_a_claim(tmp_path, sentence):
    """The hostile review's false alarms: each is a statement a summary may make, so it must be judged."""
    path = tmp_path / "summary.txt"
    path.write_text(f"The council met on Monday.\n{sentence}\n", "utf-8")
    assert sentence in read_document(path, "s").content_text
