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
