"""Dates: a day of a month or a year named in a claim must be a date the sources (or the story date) give,
and a claim that copies a source sentence must keep its dates (`slot_conflict`).

Another day of a month the sources date things in is a conflict ("January 28" where the sources say
January 9); a date or year the sources never mention is missing.
"""

from __future__ import annotations

import re
from datetime import date

from harness.checks.align import align
from harness.checks.declaration import CONFLICT, FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.text import URL

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
    claim = URL.sub(" ", claim)  # ".../2024/item-777" is an address, not a date
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


WEEKDAY_WORDS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
UNITS = frozenset("hour hours day days week weeks month months year years decade decades".split())
SEASON_WORDS = frozenset("spring summer autumn fall winter".split())
RELATIVE_DAYS = frozenset("yesterday today tomorrow tonight".split())
RELATIVE_QUALIFIERS = frozenset("last next this".split())
SAME_STATEMENT = 0.75  # the rest of the claim must be in its evidence sentence for one date to stand in another's


def _date_kind(word: str) -> str | None:
    if re.fullmatch(r"1[89]\d\d|20\d\d", word):
        return "year"
    for kind, vocabulary in (
        ("weekday", WEEKDAY_WORDS),
        ("month", frozenset(MONTHS)),
        ("unit", UNITS),
        ("season", SEASON_WORDS),
    ):
        if word in vocabulary:
            return kind
    return None


def _relative(words: list[str]) -> bool:
    """ "yesterday", "last week", "this month": a date counted from the day of writing."""
    return (len(words) == 1 and words[0] in RELATIVE_DAYS) or (
        len(words) == 2 and words[0] in RELATIVE_QUALIFIERS and _date_kind(words[1]) in ("unit", "season")
    )


def _parts(words) -> list[str]:
    return [part for w in words for part in w.folded.split("-") if part]


def slot_conflict(claim: str, evidence: str) -> CheckResult | None:
    """A date of the sentence the claim copies, put in another's place: the claim keeps the sentence's words
    but has "Wednesday" where it says "Tuesday", "five-week" for "five-year", "last week" for "yesterday" (a
    binding error the sources-wide checks cannot see when the other date is named elsewhere). Only the same
    kind stands in for the same kind; "yesterday" -> "Tuesday" may resolve a relative date and is let be."""
    alignment = align(claim, evidence)
    keys = alignment.source_keys()
    stated = f" {' '.join(_parts(alignment.source))} "  # what the sentence states anywhere is not misplaced
    for mine, theirs in alignment.replaced:
        rest = [w for w in alignment.claim if w.is_content and w not in mine]
        if not rest or sum(w.key in keys for w in rest) / len(rest) < SAME_STATEMENT:
            continue
        a, b = _parts(mine), _parts(theirs)
        if f" {' '.join(a)} " in stated:
            continue
        if _relative(a) and _relative(b) and a != b:
            return _slot_result(" ".join(w.text for w in mine), " ".join(w.text for w in theirs))
        if len(a) != len(b):
            continue  # a longer rewrite around the date: not one date put in another's place
        differ = [(x, y) for x, y in zip(a, b) if x != y]
        if len(differ) == 1 and _date_kind(differ[0][0]) and _date_kind(differ[0][0]) == _date_kind(differ[0][1]):
            if _date_kind(differ[0][0]) == "unit" and differ[0][0].rstrip("s") == differ[0][1].rstrip("s"):
                continue  # "year" and "years": one unit
            return _slot_result(" ".join(w.text for w in mine), " ".join(w.text for w in theirs))
    return None


def _slot_result(mine: str, theirs: str) -> CheckResult:
    return CheckResult(
        "date",
        FAIL,
        f"{mine} where its sentence says {theirs}",
        CONFLICT,
        f"The claim repeats a source sentence but says \u201c{mine}\u201d where the sentence says \u201c{theirs}\u201d.",
    )


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    found = check(claim, sources)
    if found.status != FAIL and evidence:
        found = slot_conflict(claim, evidence) or found
    return [found]


CHECK = Check(order=20, names=(CheckName("date", decisive=True),), run=run)
