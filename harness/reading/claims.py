"""Candidate -> claims: one claim per sentence of each paragraph or bullet, with stable ids and offsets.

Text that is not summary content (chatbot leftovers, image prompts, metadata dumps, repeated text) is
kept as a claim with `artefact` set, so it is shown and counted but never scored as a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.document import ARTEFACT_KINDS, CONTENT_KINDS, Document, InputError
from harness.text import detokenize, fold, sentence_spans, words

CHATBOT_LEFTOVER = re.compile(
    r"^(if you('d| would)? (want|like|prefer)|would you like|let me know|i can also|i('d| would) be happy|"
    r"i hope (this|that) helps|feel free to|do you want me|shall i|want me to|here('s| is| are) (a|an|the|your)\b.*"
    r"(summary|rewrite|version|draft)|sure[,!.]|certainly[,!.]|of course[,!.]|as an ai\b|note: (this|i) )",
    re.I,
)
CLAUSE_BREAK = re.compile(r";\s+")
MIN_CLAUSE_WORDS = 4
MAX_CLAIMS = 1000  # sentences in one candidate; more is a pasted article or a runaway generation, not a summary
# Words in one claim: a longer run without a sentence break (a 1 MB line, a jumble of the sources' words) is
# not one statement that can be judged, and judging it costs minutes; it is kept as an artefact that says so.
MAX_CLAIM_WORDS = 150
RUN_ON = "run-on text"  # the artefact reason of a claim over MAX_CLAIM_WORDS


@dataclass
class Claim:
    """One checkable statement of a candidate; `text == candidate.text[start:end]`."""

    claim_id: str
    story: str
    candidate: str
    system: str
    text: str
    start: int
    end: int
    kind: str
    section: str
    artefact: str = ""  # why this claim is not summary content; empty for real claims
    match_text: str = ""  # what checks, evidence search and judges read: the text detokenised (text.detokenize)

    def __post_init__(self) -> None:
        self.match_text = self.match_text or detokenize(self.text)

    @property
    def is_artefact(self) -> bool:
        return bool(self.artefact)


def _clauses(text: str, start: int) -> list[tuple[int, int]]:
    """Split a sentence at semicolons that join independent clauses (both sides long enough)."""
    pieces: list[tuple[int, int]] = []
    cursor = 0
    for match in CLAUSE_BREAK.finditer(text):
        left, right = text[cursor : match.start()], text[match.end() :]
        if len(words(left)) >= MIN_CLAUSE_WORDS and len(words(right)) >= MIN_CLAUSE_WORDS:
            pieces.append((start + cursor, start + match.start()))
            cursor = match.end()
    pieces.append((start + cursor, start + len(text)))
    return pieces


def split_claims(doc: Document, story_id: str = "") -> list[Claim]:
    """All claims of a candidate in document order, ids `<candidate>#<n>` from 1."""
    spans: list[tuple[int, int, str, str, str]] = []
    for block in doc.blocks:
        if block.kind in ARTEFACT_KINDS:
            spans.append((block.start, block.end, "artefact", block.section, block.note or "artefact"))
        elif block.kind in CONTENT_KINDS:
            for s, e in sentence_spans(block.text):
                for cs, ce in _clauses(block.text[s:e], block.start + s):
                    spans.append((cs, ce, block.kind, block.section, ""))
        if len(spans) > MAX_CLAIMS:
            raise InputError(
                doc.path,
                f"more than {MAX_CLAIMS} sentences: too long to be judged as a summary "
                "(is it a whole article or a runaway generation?)",
            )
    claims: list[Claim] = []
    seen: set[str] = set()
    spans = [span for span in spans if span[2] == "artefact" or any(ch.isalnum() for ch in doc.text[span[0] : span[1]])]
    for n, (start, end, kind, section, artefact) in enumerate(spans, start=1):  # punctuation alone is no claim
        text = doc.text[start:end]
        normal = " ".join(words(text))
        if not artefact and CHATBOT_LEFTOVER.match(fold(text).lstrip("\"'“ ")):
            artefact = "chatbot leftover"
        elif not artefact and normal in seen and len(normal.split()) >= 4:
            artefact = "repeated text"
        elif not artefact and len(normal.split()) > MAX_CLAIM_WORDS:
            artefact = f"{RUN_ON} (over {MAX_CLAIM_WORDS} words without a sentence break)"
        seen.add(normal)
        claims.append(
            Claim(f"{doc.doc_id}#{n}", story_id, doc.doc_id, doc.system, text, start, end, kind, section, artefact)
        )
    return claims


def no_scorable_claim(claims: list[Claim]) -> str:
    """Why a summary with these claims has nothing to judge, in words for a warning or a reason field."""
    if not claims:
        return "no scorable claim: the summary holds no statement (empty or only punctuation and markup)"
    kinds = ", ".join(sorted({c.artefact for c in claims if c.artefact}))
    return f"no scorable claim: every statement is an artefact ({kinds})"
