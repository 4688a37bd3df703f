"""Attribution: "X said <content>" where no source sentence near a mention of X holds that content.

An invented or misattributed paraphrase (quotations are the quote check's, a speaker the sources never name
is the name check's). Content found elsewhere in the sources is someone else's words (conflict); content
found nowhere was never said (missing). Decisive, and one of the calibrated judge's meaning features.
"""

from __future__ import annotations

import re

from harness.checks.declaration import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.checks.meaning import MEANING
from harness.checks.names import name_words
from harness.text import STOPWORDS, lexical_support

REPORTING = r"said|says|told|claimed|argued|stated|added|warned|insisted|announced|explained|noted"
SPEAKER_FIRST = re.compile(
    rf"^(?P<speaker>[A-ZÀ-Ý][\w’'-]+(?: [A-ZÀ-Ý][\w’'-]+)*) (?:{REPORTING}) (?:that )?(?P<content>.+)$"
)
SPEAKER_LAST = re.compile(
    rf"^(?P<content>.+?),? (?P<speaker>[A-ZÀ-Ý][\w’'-]+(?: [A-ZÀ-Ý][\w’'-]+)*) (?:{REPORTING})\W*$"
)
QUOTE_MARKS = re.compile(r"[\"“”‘’]|(?<!\w)'|'(?!\w)")
ATTRIBUTED = 0.5  # lexical support the reported content needs in the sentences around its speaker


def check_attribution(claim: str, sources: SourceFacts) -> CheckResult:
    """An unquoted "X said <content>": the content must be in a source sentence within one of a mention of X."""
    if QUOTE_MARKS.search(claim):
        return CheckResult("attribution", NA)
    match = SPEAKER_FIRST.match(claim) or SPEAKER_LAST.match(claim)
    if not match:
        return CheckResult("attribution", NA)
    speaker, content = match.group("speaker"), match.group("content")
    surname = (name_words(speaker) or [""])[-1]
    if surname in STOPWORDS or len(surname) < 2:
        return CheckResult("attribution", NA)  # "Many said ...", "They said ...": no named speaker
    folded = sources.cached("sentence_name_words", lambda: [f" {' '.join(name_words(s))} " for s in sources.sentences])
    mentions = [i for i, words in enumerate(folded) if f" {surname} " in words]
    if not mentions or not lexical_support(content, content):
        return CheckResult("attribution", NA)  # a speaker the sources never name is the name check's
    near = max(lexical_support(content, " ".join(sources.sentences[max(0, i - 1) : i + 2])) for i in mentions)
    if near >= ATTRIBUTED:
        return CheckResult("attribution", PASS)
    anywhere = max(lexical_support(content, s) for s in sources.sentences)
    if anywhere >= 0.7:
        return CheckResult(
            "attribution",
            FAIL,
            f"words attributed to {speaker} are someone else's",
            CONFLICT,
            f"The sources say this, but not {speaker}: no sentence near a mention of {speaker} holds it.",
        )
    return CheckResult(
        "attribution",
        FAIL,
        f"no source has {speaker} saying this",
        MISSING,
        f"The claim reports {speaker} saying something no source attributes to {speaker}.",
    )


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check_attribution(claim, sources)]


CHECK = Check(order=80, names=(CheckName("attribution", decisive=True, feature=MEANING),), run=run)
