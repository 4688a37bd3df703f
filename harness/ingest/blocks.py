"""Turn the lines of a text document into typed blocks, keeping offsets.

One set of line rules serves every text format, because real files mix them: a "rewrite" carries a
bullet summary and page furniture, a "takeaways" file carries ` ||| ` lists and then prose, a digest
carries field dumps. The rules are deliberately conservative: a line is only dropped as furniture when
it matches a known pattern, and every decision is recorded in the block's `note`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from harness.document import Block

SECTION_NAMES = {
    "summary": "summary",
    "key points": "key_points",
    "key takeaways": "key_points",
    "takeaways": "key_points",
    "highlights": "key_points",
    "tl;dr": "summary",
    "tldr": "summary",
    "articles in this cluster": "articles",
}

FURNITURE_PATTERNS = [
    (
        re.compile(r"^(advertisement|advert|sponsored( content)?|story continues below advertisement)$", re.I),
        "advertisement",
    ),
    (re.compile(r"^(x|share|tweet|facebook|twitter|whatsapp|email|copy link|print)$", re.I), "share button"),
    (re.compile(r"^(credit|photo|photograph|image|picture)\s*:.*$", re.I), "photo credit"),
    (re.compile(r"^.{0,200}\|\s*(photo|image|credit)\s*:\s*\S.*$", re.I), "photo credit"),
    (re.compile(r"^image for cluster \d+$", re.I), "image placeholder"),
    (
        # a link's label, never a sentence that starts alike ("Read more than 900 members voted", "Related
        # reports say ...", "Sign up rates fell")
        re.compile(
            r"^(read more|read the full story|related( articles?| stories| coverage| links?| content)?|see also)"
            r"\s*(:|»|›|>|\.\.\.|…|$)|^(sign up|subscribe)(\s+(now|here|today|for|to))\b.{0,80}$|"
            r"^(click here|follow us)\b.{0,80}$",
            re.I,
        ),
        "page link",
    ),
    (re.compile(r"^(https?://|www\.)\S+$", re.I), "link"),
    (
        # "© Nine Digital Pty Ltd 2018", "Copyright 2018 The Associated Press": a mark or a year first, so
        # "Copyright fees rose ..." and "(c) The mayor resigned" stay sentences
        re.compile(
            r"^(©|copyright\s*(©|\(c\)|\d{4}))[^.!?]{0,120}(\.\s*all rights reserved\.?)?$|^all rights reserved\.?$",
            re.I,
        ),
        "copyright line",
    ),
    (
        # "By Jane Smith, CNN", "By Emily Crane and Ryan Lipman for Daily Mail Australia": one to three name
        # words per author, so "By Tuesday, officials had ..." and a title-case headline stay
        re.compile(
            r"^[Bb]y\s+(?!(?:January|February|March|April|May|June|July|August|September|October|November|"
            r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Christmas|Easter|Then|Now)\b)"
            r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,2}(?:\s+and\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,2})?"
            r"(?:\s*(?:,|\||for)\s*(?:[A-Z][\w.'’-]*\s*){1,4})?\.?$"
        ),
        "byline",
    ),
    (re.compile(r"^\(?(photo|image|picture)s?\s+(by|courtesy of)\s+[A-Z][^.!?]{0,60}\)?$", re.I), "photo credit"),
    (
        # "John Doe / Getty Images": a photographer's name, then the agency; never a sentence with "/ AP"
        re.compile(
            r"^\(?[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*(/|\|)\s*"
            r"(getty images|ap photo|ap|afp|reuters|shutterstock|pa|epa)\)?$",
            re.I,
        ),
        "photo credit",
    ),
]

METADATA_PATTERNS = [
    (re.compile(r"^(published at|published|updated|date|sources?|author|by)\s*:\s*(?P<value>.*)$", re.I), "field"),
    (re.compile(r"^(?P<value>\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}-\d{2}-\d{2})$"), "date line"),
    (
        re.compile(
            r"^([Aa]dditional reporting by|[Rr]eporting by)\s+[A-Z].*$|^[Tt]his article (originally )?appeared in\b.*$"
        ),
        "credit line",
    ),
]

ENTITY_DUMP = re.compile(
    r"^Entities:\s*(?P<entities>.*?)\s*Tone:\s*(?P<tone>.*?)\s*Sentiment:\s*(?P<sentiment>.*?)\s*Intent:\s*(?P<intent>.*)$"
)
PROMPT_LABEL = re.compile(r"^image prompt\s*:\s*$", re.I)
BULLET_MARKER = re.compile(r"^\s*(?:[•·▪◦*\-–]|\d{1,2}[.)])\s+")
TERMINAL_PUNCT = re.compile(r"[.!?…\"”’')\]。！？．｡」』]$")


@dataclass
class Line:
    text: str
    start: int
    end: int


def split_lines(text: str, base: int = 0) -> list[Line]:
    """Lines with offsets, leading/trailing whitespace trimmed but offsets kept exact."""
    lines: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            lines.append(Line(stripped, base + pos + lead, base + pos + lead + len(stripped)))
        else:
            lines.append(Line("", base + pos, base + pos))
        pos += len(raw) + 1
    return lines


def _classify_pattern(text: str, patterns: list) -> str | None:
    for pattern, why in patterns:
        if pattern.match(text):
            return why
    return None


def _ends_sentence(text: str) -> bool:
    """Closing punctuation (Latin or CJK), or an emoji or other symbol, ends a statement."""
    return bool(TERMINAL_PUNCT.search(text)) or unicodedata.category(text.rstrip("\ufe0f\u200d")[-1:] or " ") == "So"


def _looks_like_heading(text: str) -> bool:
    """A short line without closing punctuation that does not start in lower case."""
    if _ends_sentence(text) or text[:1].islower() or BULLET_MARKER.match(text) or "|||" in text:
        return False
    return len(text.split()) <= 20 or (" | " in text and len(text.split()) <= 30)


def _body_follows(lines: list[Line], index: int) -> bool:
    """Headings are shown by the document's structure: a run of heading-like lines is only headings when
    body text (a sentence, a bullet, a long line) comes after it. A last line, an only line, or a list of
    unpunctuated highlight lines is the summary itself."""
    for line in lines[index + 1 :]:
        if not _looks_like_heading(line.text):
            return True
    return False


def _split_takeaways(line: Line, section: str) -> list[Block]:
    """` ||| `-separated takeaway lists: one bullet per item, offsets into the original line."""
    blocks = []
    pos = 0
    for part in line.text.split("|||"):
        offset = line.start + pos
        pos += len(part) + 3
        item = part.strip()
        if not item:
            continue
        lead = len(part) - len(part.lstrip())
        marker = BULLET_MARKER.match(item)
        skip = marker.end() if marker else 0
        start = offset + lead + skip
        blocks.append(Block("bullet", item[skip:], start, start + len(item) - skip, section, "takeaway item"))
    return blocks


def lines_to_blocks(text: str, base: int = 0, headings: bool = True) -> list[Block]:
    """Classify every non-empty line of `text` (offsets shifted by `base`) into blocks. `headings=False`
    for text known to be all summary (a JSON `summary` field, a string passed to the scorer)."""
    lines = [ln for ln in split_lines(text, base)]
    blocks: list[Block] = []
    section = "body"
    prompt_label: Line | None = None  # an "Image Prompt:" label joins the paragraph after it
    furniture_seen = False
    section_has_bullets = False  # a bullet list under a section label ends at the first prose line
    content_lines = [ln for ln in lines if ln.text]
    for index, line in enumerate(content_lines):
        t = line.text
        nxt = content_lines[index + 1].text if index + 1 < len(content_lines) else ""
        if prompt_label:
            joined = text[prompt_label.start - base : line.end - base]
            blocks.append(Block("artefact", joined, prompt_label.start, line.end, section, "image prompt"))
            prompt_label = None
            continue
        if PROMPT_LABEL.match(t):
            prompt_label = line
            if index + 1 == len(content_lines):
                blocks.append(Block("artefact", t, line.start, line.end, section, "image prompt"))
            continue
        if ENTITY_DUMP.match(t):
            blocks.append(
                Block("artefact", t, line.start, line.end, section, "metadata dump (entities/tone/sentiment/intent)")
            )
            continue
        why = _classify_pattern(t, FURNITURE_PATTERNS)
        if why is None and re.match(r"^(credit|photo)\s*:", nxt, re.I) and not blocks:
            blocks.append(Block("caption", t, line.start, line.end, section, "photo caption"))
            continue
        if why is None:
            meta = _classify_pattern(t, METADATA_PATTERNS)
            if meta:
                blocks.append(Block("metadata", t, line.start, line.end, section, meta))
                furniture_seen = meta == "field" and t.lower().startswith("published")
                continue
        if (
            why is None
            and furniture_seen
            and len(t.split()) <= 2
            and not _ends_sentence(t)
            and t.lower() not in SECTION_NAMES
        ):
            why = "tag beside furniture"
        if why:
            blocks.append(Block("furniture", t, line.start, line.end, section, why))
            furniture_seen = True
            continue
        furniture_seen = False
        if section_has_bullets and not BULLET_MARKER.match(t) and "|||" not in t:
            section, section_has_bullets = "body", False
        if t.lower().rstrip(":") in SECTION_NAMES:
            section = SECTION_NAMES[t.lower().rstrip(":")]
            section_has_bullets = False
            blocks.append(Block("section", t, line.start, line.end, section, "section label"))
            continue
        if "|||" in t:
            blocks.extend(_split_takeaways(line, section))
            section_has_bullets = section != "body"
            continue
        marker = BULLET_MARKER.match(t)
        if marker:
            section_has_bullets = section != "body"
            start = line.start + marker.end()
            blocks.append(Block("bullet", t[marker.end() :], start, line.end, section))
            continue
        if headings and _looks_like_heading(t) and _body_follows(content_lines, index):
            kind = (
                "title" if not any(b.kind in ("title", "heading", "paragraph", "bullet") for b in blocks) else "heading"
            )
            blocks.append(Block(kind, t, line.start, line.end, section))
            continue
        blocks.append(Block("paragraph", t, line.start, line.end, section))
    return blocks
