"""The objects that flow out of ingest: documents made of typed blocks, and stories.

Every block keeps its character offsets in `Document.text`, so nothing a reader drops or flags is lost:
the report can always show where a claim, a piece of furniture or an artefact came from.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Block kinds. Only CONTENT_KINDS become scored claims; ARTEFACT_KINDS become claims with verdict
# `artefact`; everything else is recorded structure (headings, metadata) or dropped furniture.
CONTENT_KINDS = ("paragraph", "bullet", "caption")  # a photo caption states facts too: it is evidence
ARTEFACT_KINDS = ("artefact",)
STRUCTURE_KINDS = ("title", "heading", "section", "metadata")
DROPPED_KINDS = ("furniture",)


class InputError(Exception):
    """A problem with a user's input file: carries the file and the field so the message is specific."""

    def __init__(self, path: Path | str, problem: str, field: str | None = None):
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}: " if field else f"{self.path}: "
        super().__init__(where + problem)

    def __reduce__(self):
        """Picklable, so stories with input errors can travel to worker processes."""
        return (InputError, (self.path, self.problem, self.field))


def did_you_mean(name: str, known) -> str:
    """' (did you mean 'x'?)' for the known name closest to a mistyped one, else '': every "unknown name"
    error (a config or gate key, a story.yaml key, a candidates folder) suggests the same way."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# A name that becomes one path component (a story id, a run id): no separators, no control characters,
# not hidden (so never "." or ".."), at most 128 characters.
PLAIN_NAME = re.compile(r"[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]{0,127}")


def check_plain_name(value: str, path: Path | str, field: str) -> str:
    """`value` unchanged if it is a plain name, else an InputError naming where it came from."""
    if not isinstance(value, str) or not PLAIN_NAME.fullmatch(value) or value != value.strip():
        raise InputError(
            path,
            f"{value!r} is not a plain name: expected at most 128 characters with no '/', '\\' "
            "or control characters, not starting with '.' or with or ending in a space",
            field,
        )
    return value


@dataclass
class Block:
    """A contiguous piece of a document with its role; `text == document.text[start:end]`."""

    kind: str
    text: str
    start: int
    end: int
    section: str = "body"
    note: str = ""


@dataclass
class Document:
    """A reference article or a candidate summary as read from disk."""

    doc_id: str
    path: str
    format: str
    text: str
    blocks: list[Block]
    metadata: dict[str, Any] = field(default_factory=dict)
    system: str = ""

    def blocks_of(self, *kinds: str) -> list[Block]:
        return [b for b in self.blocks if b.kind in kinds]

    @property
    def content_text(self) -> str:
        """The summary/article prose: paragraphs and bullets, one per line."""
        return "\n".join(b.text for b in self.blocks_of(*CONTENT_KINDS))

    def ingest_log(self) -> list[dict[str, Any]]:
        """What the reader dropped or flagged, for the report (furniture, metadata, artefacts)."""
        return [
            {"kind": b.kind, "text": b.text, "start": b.start, "end": b.end, "note": b.note}
            for b in self.blocks
            if b.kind in DROPPED_KINDS + ARTEFACT_KINDS + ("metadata",)
        ]


HAND_WRITTEN, REFERENCE, DERIVED = "hand-written", "reference", "derived"  # where a story's key facts come from


@dataclass
class KeyFact:
    """An atomic fact a good summary of the story must carry."""

    fact_id: str
    text: str
    weight: float = 1.0
    must_mention: list[str] = field(default_factory=list)
    kind: str = HAND_WRITTEN  # HAND_WRITTEN (story.yaml), REFERENCE (a reference summary's sentence) or DERIVED


@dataclass
class Story:
    """A story: its reference articles, its key facts and the candidates to evaluate against it."""

    story_id: str
    title: str
    date: str | None
    references: list[Document]
    key_facts: list[KeyFact] = field(default_factory=list)
    candidates: list[Document] = field(default_factory=list)
    summaries: list[Document] = field(default_factory=list)  # declared reference summaries (story.yaml)
    errors: list[InputError] = field(default_factory=list)
