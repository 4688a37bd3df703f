"""Dates: a day of a month or a year named in a claim must be a date the sources (or the story date) give.

Another day of a month the sources date things in is a conflict ("January 28" where the sources say
January 9); a date or year the sources never mention is missing.
"""

from __future__ import annotations

import re
from datetime import date

from harness.checks.base import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
MONTH_DAY = re.compile(rf"\b{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d{{3}}\b(?!\d))", re.I)
DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE}\b", re.I)
MONTH_ONLY = re.compile(rf"\b(?:in|since|until|by|from|during|early|late|mid-?)\s+{MONTH_RE}\b", re.I)
YEAR = re.compile(r"(?<!\d)(?<!\d[,.])(19\d{2}|20\d{2})(?!\d|[,.]\d)")  # not inside 12,2018 or 2018.5
RELATIVE = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen)"
    r"\s+days?\s+(after|before|later|earlier|ago|since)\b",
    re.I,
)
DAY_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen".split()
    )
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.I)
FULL_DATE = re.compile(rf"\b{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)


def _month(name: str) -> int:
    return next(i + 1 for i, m in enumerate(MONTHS) if m.startswith(name.lower().rstrip(".")[:3]))


def month_days(text: str) -> set[tuple[int, int]]:
    found = {(_month(m.group(1)), int(m.group(2))) for m in MONTH_DAY.finditer(text)}
    found |= {(_month(m.group(2)), int(m.group(1))) for m in DAY_MONTH.finditer(text)}
    return {(mo, d) for mo, d in found if 1 <= d <= 31}


def years(text: str) -> set[int]:
    return {int(y) for y in YEAR.findall(text)}


def weekdays(text: str) -> set[str]:
    return {w.lower() for w in WEEKDAY.findall(text)}


def _weekday_of(year: int, month: int, day: int) -> str | None:
    try:
        return WEEKDAYS[date(year, month, day).weekday()]
    except ValueError:
        return None


def _weekday_clash(claim: str) -> CheckResult | None:
    """'Thursday, January 9, 2026' when January 9, 2026 was a Friday: the claim contradicts itself."""
    named = weekdays(claim)
    for match in FULL_DATE.finditer(claim):
        actual = _weekday_of(int(match.group(3)), _month(match.group(1)), int(match.group(2)))
        if named and actual and actual not in named:
            said = "/".join(sorted(w.title() for w in named))
            return CheckResult(
                "date",
                FAIL,
                f"{said} vs {match.group(0)} (a {actual.title()})",
                CONFLICT,
                f"The claim says {said}, but {match.group(0)} was a {actual.title()}.",
            )
    return None


def _source_weekdays(sources: SourceFacts, days: set[tuple[int, int]], yrs: set[int]) -> set[str]:
    """Weekdays the sources name, plus the weekdays of their dated days (in the story's or a stated year)."""
    found = set(sources.cached("weekdays", lambda: weekdays("\n".join(sources.sentences))))
    years = {int(sources.story_date[:4])} if sources.story_date else set(yrs)
    found |= {w for y in years for m, d in days if (w := _weekday_of(y, m, d))}
    return found


def _source_dates(sources: SourceFacts) -> tuple[set[tuple[int, int]], set[int]]:
    """Days of the month and years the sources (and the story date) give."""

    def compute():
        text = "\n".join(sources.sentences)
        days, yrs = month_days(text), years(text)
        if sources.story_date:
            d = date.fromisoformat(sources.story_date[:10])
            days.add((d.month, d.day))
            yrs.add(d.year)
        return days, yrs

    return sources.cached("dates", compute)


def relative_days(text: str) -> list[tuple[int, str]]:
    """("five days after" -> (5, "five days after")) for each relative-day phrase."""
    found = []
    for m in RELATIVE.finditer(text):
        n = int(m.group(1)) if m.group(1).isdigit() else DAY_WORDS[m.group(1).lower()]
        found.append((n, m.group(0)))
    return found


def _gaps(sources: SourceFacts, days: set[tuple[int, int]], yrs: set[int]) -> set[int]:
    """Day distances between the days the sources place events on. Weekdays are read as news writes
    them: the latest such day on or before the story date; without a story date, within one week."""
    year = int(sources.story_date[:4]) if sources.story_date else (max(yrs) if yrs else 2000)
    ordinals = set()
    for m, d in days:
        try:
            ordinals.add(date(year, m, d).toordinal())
        except ValueError:
            pass
    named = [WEEKDAYS.index(w) for w in weekdays("\n".join(sources.sentences))]
    if sources.story_date:
        anchor = date.fromisoformat(sources.story_date[:10])
        ordinals |= {anchor.toordinal() - (anchor.weekday() - w) % 7 for w in named}
        return {abs(a - b) for a in ordinals for b in ordinals if a != b}
    gaps = {abs(a - b) for a in ordinals for b in ordinals if a != b}
    return gaps | {(b - a) % 7 for a in named for b in named if a != b}


def check(claim: str, sources: SourceFacts) -> CheckResult:
    claim_days, claim_years, claim_weekdays = month_days(claim), years(claim), weekdays(claim)
    relative = relative_days(claim)
    if not claim_days and not claim_years and not claim_weekdays and not relative:
        return CheckResult("date", NA)
    clash = _weekday_clash(claim)
    if clash:
        return clash
    source_days, source_years = _source_dates(sources)
    for month, day in sorted(claim_days - source_days):
        same_month = sorted(d for m, d in source_days if m == month)
        label = f"{MONTHS[month - 1].title()} {day}"
        if same_month:
            days = f"{MONTHS[month - 1].title()} {', '.join(map(str, same_month))}"
            return CheckResult(
                "date",
                FAIL,
                f"{label} vs sources' {days}",
                CONFLICT,
                f"The claim gives the date {label}; the sources date events in that month {days}.",
            )
        return CheckResult("date", FAIL, f"{label} not in sources", MISSING, f"No source mentions the date {label}.")
    for year in sorted(claim_years - source_years):
        return CheckResult("date", FAIL, f"{year} not in sources", MISSING, f"No source mentions the year {year}.")
    gaps = _gaps(sources, source_days, source_years) if relative else set()
    for n, phrase in relative:
        if n not in gaps and len(gaps) > 0:
            return CheckResult(
                "date",
                FAIL,
                f"{phrase} not in sources",
                MISSING,
                f"No two days the sources date are {n} days apart (they are "
                f"{', '.join(map(str, sorted(gaps)))} days apart).",
            )
    known = _source_weekdays(sources, source_days, source_years)
    for day in sorted(claim_weekdays - known):
        return CheckResult(
            "date",
            FAIL,
            f"{day.title()} not in sources",
            MISSING,
            f"No source places anything on a {day.title()} (they name or date: "
            f"{', '.join(sorted(w.title() for w in known)) or 'no weekday'}).",
        )
    return CheckResult("date", PASS)


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check(claim, sources)]


CHECK = Check(order=20, names=(CheckName("date", decisive=True),), run=run)
