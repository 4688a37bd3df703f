"""Numbers: a claim's numbers must match numbers the sources state about the same thing.

A mention is a value or a range ("between 800 and 900", "50 to 80") with the words that follow it
(its unit: "political prisoners"). A claim mention passes when a source states the same value(s), or a
single value inside a source range for the same unit. It conflicts when a source gives other numbers
for the same unit, and is missing when no source counts that unit at all. Years are left to the
date check; vague amounts ("hundreds", "several dozen") are not checked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.checks.dates import DAY_MONTH, MONTH_DAY, RELATIVE
from harness.checks.declaration import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.text import STOPWORDS, URL, fold, stem

UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|percent|per cent))?(?:\s+(hundred|thousand|million|billion)\b)?(?![\w,]\d)"
    r"|\b(" + "|".join(list(UNITS) + list(TENS)) + r")\b(?:\s+(hundred|thousand|million|billion)\b)?",
    re.I,
)
RANGE_JOIN = re.compile(r"^\s*(?:and|to|-|–|or)\s*$")
# words before a number that make it approximate or a bound, and the interval they allow around value v
QUALIFIERS = [
    (re.compile(r"(?:more than|over|above|upwards of|in excess of)\s*$", re.I), lambda v: (v, float("inf"))),
    (re.compile(r"(?:at least|no fewer than|no less than)\s*$", re.I), lambda v: (v, float("inf"))),
    (re.compile(r"(?:fewer than|less than|under|below|up to|at most|as many as)\s*$", re.I), lambda v: (0.0, v)),
    (re.compile(r"(?:nearly|almost|close to|just under)\s*$", re.I), lambda v: (0.85 * v, v)),
    (
        re.compile(r"(?:about|around|approximately|roughly|some|an estimated|estimated|circa|c\.)\s*$", re.I),
        lambda v: (0.9 * v, 1.1 * v),
    ),
]
# vague magnitudes: "hundreds of prisoners" claims a count in [200, 1000)
MAGNITUDES = {
    "dozens": (24.0, 144.0),
    "scores": (40.0, 200.0),
    "hundreds": (200.0, 1000.0),
    "thousands": (2000.0, 1e6),
    "millions": (2e6, 1e9),
    "billions": (2e9, 1e12),
}
MAGNITUDE = re.compile(r"\b(dozens|scores|hundreds|thousands|millions|billions)\s+of\b", re.I)
TOKEN = re.compile(r"[a-z]+|[^\sa-z]")


@dataclass
class Mention:
    values: tuple[float, ...]
    text: str
    unit: tuple[str, ...]
    interval: tuple[float, float] | None = None  # set for approximate, bounded or vague amounts

    @property
    def unit_set(self) -> set[str]:
        return set(self.unit)


def _value(match: re.Match) -> float | None:
    digits, decimals, percent, scale, word, word_scale = match.groups()
    if digits:
        value = float(digits.replace(",", "") + ("." + decimals if decimals else ""))
        if not decimals and not percent and not scale and "," not in digits and 1900 <= value <= 2100:
            return None  # a year: the date check owns it
        return value * SCALES.get((scale or "").lower(), 1)
    base = UNITS.get(word.lower(), TENS.get(word.lower()))
    if base in (0, 1) and not word_scale:
        return None  # "one of", "zero tolerance": rarely a count worth checking
    return float(base) * SCALES.get((word_scale or "").lower(), 1)


def _unit(text: str) -> tuple[str, ...]:
    """The first two content words after a number: what is being counted."""
    unit = []
    for token in TOKEN.findall(fold(text)[:80]):
        if not token.isalpha():
            if token in ",.;:!?()":
                break
            continue
        if token in STOPWORDS or token in UNITS or token in TENS or token in SCALES:
            continue
        unit.append(stem(token))
        if len(unit) == 2:
            break
    return tuple(unit)


def mentions(text: str) -> list[Mention]:
    """Number mentions with ranges merged: 'between 800 and 1,000 political prisoners' is one."""
    text = _blank_dates(text)
    found = [(m, _value(m)) for m in NUMBER.finditer(text)]
    found = [(m, v) for m, v in found if v is not None]
    result: list[Mention] = []
    i = 0
    while i < len(found):
        match, value = found[i]
        values, end = [value], match.end()
        if i + 1 < len(found) and RANGE_JOIN.match(text[end : found[i + 1][0].start()]):
            values.append(found[i + 1][1])
            end = found[i + 1][0].end()
            i += 1
        interval = None
        if len(values) == 1:
            before = text[max(0, match.start() - 30) : match.start()]
            interval = next((allow(values[0]) for pattern, allow in QUALIFIERS if pattern.search(before)), None)
        result.append(Mention(tuple(values), text[match.start() : end], _unit(text[end:]), interval))
        i += 1
    for match in MAGNITUDE.finditer(text):
        low, high = MAGNITUDES[match.group(1).lower()]
        result.append(Mention((), match.group(0)[: -len(" of")], _unit(text[match.end() :]), (low, high)))
    return result


def _blank_dates(text: str) -> str:
    """Hide day-of-month numbers ("January 28"), relative days ("five days after") and web addresses
    (".../2017/10/29/...") from the number check, keeping offsets: the date check owns the first two, and a
    URL's digits are no quantity."""
    for pattern in (URL, MONTH_DAY, DAY_MONTH, RELATIVE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _span(mention: Mention) -> tuple[float, float]:
    if mention.interval:
        return mention.interval
    return (min(mention.values), max(mention.values))


def _consistent(claim: Mention, source: Mention) -> bool:
    """A precise claim needs a precise source: the same values (whatever they count), or a single value
    inside a source range for the same unit. An approximate, bounded or vague claim ("nearly 2,000",
    "hundreds of prisoners") must overlap what a source states for the same unit."""
    if claim.values and not claim.interval:
        if set(claim.values) == set(source.values):
            return True
        if len(claim.values) == 1 and len(source.values) == 2 and not source.interval:
            low, high = sorted(source.values)
            return low <= claim.values[0] <= high and bool(claim.unit_set & source.unit_set)
        return False
    if not claim.unit_set & source.unit_set:
        return False
    (a, b), (c, d) = _span(claim), _span(source)
    return a <= d and c <= b


def check(claim: str, sources: SourceFacts) -> CheckResult:
    claim_mentions = mentions(claim)
    if not claim_mentions:
        return CheckResult("number", NA)
    source_mentions = sources.cached("numbers", lambda: [m for s in sources.sentences for m in mentions(s)])
    for mention in claim_mentions:
        if any(_consistent(mention, s) for s in source_mentions):
            continue
        rivals = [s for s in source_mentions if mention.unit_set & s.unit_set]
        if rivals:
            best = max(
                rivals, key=lambda s: (len(set(s.values) & set(mention.values)), len(mention.unit_set & s.unit_set))
            )
            return CheckResult(
                "number",
                FAIL,
                f"{mention.text} vs {best.text}",
                CONFLICT,
                f"The claim says {mention.text}; the source gives {best.text} for the same thing.",
            )
        return CheckResult(
            "number",
            FAIL,
            f"{mention.text} not stated in sources",
            MISSING,
            f"No source states the number {mention.text}.",
        )
    return CheckResult("number", PASS)


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check(claim, sources)]


CHECK = Check(order=10, names=(CheckName("number", decisive=True),), run=run)
