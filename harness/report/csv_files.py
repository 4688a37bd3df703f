"""The CSV reports as a spreadsheet opens them: text that would run as a formula escaped, counts written as
whole numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.registry import COUNT, METRICS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def spreadsheet_safe(value: Any) -> Any:
    """A text cell as a spreadsheet shows it but never runs it: a summary is untrusted text, and a claim
    starting with "=" (or +, -, @) would be a live formula when claims.csv is opened (CSV injection). Such
    text gets a leading apostrophe, the usual escape; numbers and other text are written as they are.
    run.json keeps the text unchanged."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def whole_counts(candidates: pd.DataFrame) -> pd.DataFrame:
    """Count metrics as whole numbers even beside an error row's empty cells (pandas would make the column
    float and write 23.0)."""
    counts = [name for name, metric in METRICS.items() if metric.kind == COUNT and name in candidates.columns]
    return candidates.astype(dict.fromkeys(counts, "Int64"))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.map(spreadsheet_safe).to_csv(path, index=False)
