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

from harness.checks import CONFLICT, FAIL, MISSING, NA, PASS, CheckResult, SourceFacts
from harness.text import STOPWORDS, fold, stem

UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                    "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|percent|per cent))?(?:\s+(hundred|thousand|million|billion)\b)?(?![\w,]\d)"
    r"|\b(" + "|".join(list(UNITS) + list(TENS)) + r")\b(?:\s+(hundred|thousand|million|billion)\b)?",
    re.I,
)
RANGE_JOIN = re.compile(r"^\s*(?:and|to|-|–|or)\s*$")
TOKEN = re.compile(r"[a-z]+|[^\sa-z]")


@dataclass
class Mention:
    values: tuple[float, ...]
    text: str
    unit: tuple[str, ...]

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
        if i + 1 < len(found) and RANGE_JOIN.match(text[end:found[i + 1][0].start()]):
            values.append(found[i + 1][1])
            end = found[i + 1][0].end()
            i += 1
        result.append(Mention(tuple(values), text[match.start():end], _unit(text[end:])))
        i += 1
    return result


def _blank_dates(text: str) -> str:
    """Hide day-of-month numbers ("January 28") from the number check, keeping offsets."""
    from harness.checks.dates import DAY_MONTH, MONTH_DAY
    for pattern in (MONTH_DAY, DAY_MONTH):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _consistent(claim: Mention, source: Mention) -> bool:
    if set(claim.values) == set(source.values):
        return True
    if len(claim.values) == 1 and len(source.values) == 2:
        low, high = sorted(source.values)
        return low <= claim.values[0] <= high and bool(claim.unit_set & source.unit_set)
    return False


def check(claim: str, sources: SourceFacts) -> CheckResult:
    claim_mentions = mentions(claim)
    if not claim_mentions:
        return CheckResult("number", NA)
    source_mentions = sources.extra.get("numbers")
    if source_mentions is None:
        source_mentions = sources.extra["numbers"] = [m for s in sources.sentences for m in mentions(s)]
    for mention in claim_mentions:
        if any(_consistent(mention, s) for s in source_mentions):
            continue
        rivals = [s for s in source_mentions if mention.unit_set & s.unit_set]
        if rivals:
            best = max(rivals, key=lambda s: (len(set(s.values) & set(mention.values)), len(mention.unit_set & s.unit_set)))
            return CheckResult("number", FAIL, f"{mention.text} vs {best.text}", CONFLICT,
                               f"The claim says {mention.text}; the source gives {best.text} for the same thing.")
        return CheckResult("number", FAIL, f"{mention.text} not stated in sources", MISSING,
                           f"No source states the number {mention.text}.")
    return CheckResult("number", PASS)
