"""What the `harness` command prints: every line through terminal_safe, so that a file or id named with
control characters, terminal escapes or bidi overrides shows them as escapes instead of driving the
user's terminal."""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text with control characters, terminal escapes and bidi overrides shown as `\\x1b`-style escapes: a
    file or id named with them must not drive the user's terminal (newlines and tabs stay)."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def say(*values: Any, file=None, end: str = "\n", sep: str = " ") -> None:
    """`print` for everything the CLI shows: through terminal_safe."""
    print(terminal_safe(sep.join(str(v) for v in values)), file=file, end=end)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 story", "3 stories", "0 errors": a count with its noun agreeing (no thousands separator, so scripts
    that read the run's first line keep reading plain numbers)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def human_size(size: int) -> str:
    """A byte count as people read one: "512 bytes", "14 KB", "3.2 MB" (decimal units, as `ls -h --si`)."""
    if size < 1000:
        return counted(size, "byte")
    unit, scale = next((u, s) for u, s in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)) if size < s * 1000 or u == "GB")
    value = size / scale
    return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
