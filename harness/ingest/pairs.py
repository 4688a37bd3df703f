"""JSONL files of (id, document, summary) pairs, the input of `harness score-pairs` and `harness meta-eval`.

One reader for both, so that the two commands refuse the same rows alike, with the file and the line in
every message; and one rounding of the scores they write, so that both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.document import InputError
from harness.files import read_regular_file
from harness.ingest.readers import load_json

MAX_PAIRS_MB = (
    500.0  # one score-pairs or meta-eval input file; each document and summary is held to [ingest] max_file_mb
)
PAIR_FIELDS = ("id", "document", "summary")
SCORE_DIGITS = 6  # the decimals a pair's score is written with (score-pairs' output, meta-eval's scores.jsonl)


def read_pairs(
    path: Path,
    max_field_mb: float,
    required: tuple[str, ...] = PAIR_FIELDS,
    check: Callable[[dict], str | None] | None = None,
) -> list[dict]:
    """JSONL rows {id, document, summary} plus any other `required` fields; other fields are kept and
    ignored. `check(row)` names what else is wrong with a row (meta-eval's label), or returns None. Lines are
    split at "\\n" only (JSON strings may hold U+2028 and other characters that `str.splitlines` breaks at);
    every problem names the file and the line, so score-pairs and meta-eval refuse the same rows alike."""
    raw = read_regular_file(path, int(MAX_PAIRS_MB * 1_000_000))
    try:
        lines = raw.decode("utf-8-sig").split("\n")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}") from exc
    rows, seen = [], {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        row = _row(line, path, where, required, max_field_mb)
        if row["id"] in seen:
            raise InputError(path, f"duplicate id {row['id']!r} (also line {seen[row['id']]})", where)
        problem = check(row) if check else None
        if problem:
            raise InputError(path, problem, where)
        seen[row["id"]] = number
        rows.append(row)
    if not rows:
        raise InputError(path, f"holds no rows: expected one JSON object {{{', '.join(required)}}} per line")
    return rows


def _row(line: str, path: Path, where: str, required: tuple[str, ...], max_field_mb: float) -> dict:
    """One line as a row with every `required` field, its id, document and summary of the right types and sizes."""
    try:
        row = load_json(line, path)
    except InputError as exc:
        raise InputError(path, exc.problem, where) from exc
    if not isinstance(row, dict):
        raise InputError(path, f"expected a JSON object {{{', '.join(required)}}}, got {type(row).__name__}", where)
    for key in required:
        if key not in row:
            raise InputError(path, f"missing field '{key}'", where)
    if not isinstance(row["document"], str) or not isinstance(row["summary"], str):
        raise InputError(path, "document and summary must be strings", where)
    if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
        raise InputError(path, "id must be a string or a whole number", where)
    for key in ("document", "summary"):
        if len(row[key].encode("utf-8")) > max_field_mb * 1_000_000:
            raise InputError(
                path,
                f"{key} is over the {max_field_mb:g} MB limit for one input (raise [ingest] max_file_mb in harness.toml)",
                where,
            )
    return row
