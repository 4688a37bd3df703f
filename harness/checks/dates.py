"""Dates: a day of a month or a year named in a claim must be a date the sources (or the story date) give.

Another day of a month the sources date things in is a conflict ("January 28" where the sources say
January 9); a date or year the sources never mention is missing.
"""
from __future__ import annotations

import re
from datetime import date

from harness.checks import CONFLICT, FAIL, MISSING, NA, PASS, CheckResult, SourceFacts

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
MONTH_DAY = re.compile(rf"\b{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d{{3}}\b(?!\d))", re.I)
DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE}\b", re.I)
MONTH_ONLY = re.compile(rf"\b(?:in|since|until|by|from|during|early|late|mid-?)\s+{MONTH_RE}\b", re.I)
YEAR = re.compile(r"(?<![\d,.])(19\d{2}|20\d{2})(?![\d,])")


def _month(name: str) -> int:
    return next(i + 1 for i, m in enumerate(MONTHS) if m.startswith(name.lower().rstrip(".")[:3]))


def month_days(text: str) -> set[tuple[int, int]]:
    found = {(_month(m.group(1)), int(m.group(2))) for m in MONTH_DAY.finditer(text)}
    found |= {(_month(m.group(2)), int(m.group(1))) for m in DAY_MONTH.finditer(text)}
    return {(mo, d) for mo, d in found if 1 <= d <= 31}


def years(text: str) -> set[int]:
    return {int(y) for y in YEAR.findall(text)}


def _source_dates(sources: SourceFacts) -> tuple[set[tuple[int, int]], set[int]]:
    cached = sources.extra.get("dates")
    if cached is None:
        text = "\n".join(sources.sentences)
        days, yrs = month_days(text), years(text)
        if sources.story_date:
            d = date.fromisoformat(sources.story_date[:10])
            days.add((d.month, d.day))
            yrs.add(d.year)
        cached = sources.extra["dates"] = (days, yrs)
    return cached


def check(claim: str, sources: SourceFacts) -> CheckResult:
    claim_days, claim_years = month_days(claim), years(claim)
    if not claim_days and not claim_years:
        return CheckResult("date", NA)
    source_days, source_years = _source_dates(sources)
    for month, day in sorted(claim_days - source_days):
        same_month = sorted(d for m, d in source_days if m == month)
        label = f"{MONTHS[month - 1].title()} {day}"
        if same_month:
            days = f"{MONTHS[month - 1].title()} {', '.join(map(str, same_month))}"
            return CheckResult("date", FAIL, f"{label} vs sources' {days}", CONFLICT,
                               f"The claim gives the date {label}; the sources date events in that month {days}.")
        return CheckResult("date", FAIL, f"{label} not in sources", MISSING, f"No source mentions the date {label}.")
    for year in sorted(claim_years - source_years):
        return CheckResult("date", FAIL, f"{year} not in sources", MISSING, f"No source mentions the year {year}.")
    return CheckResult("date", PASS)
