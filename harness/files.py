"""Reading an input file safely: the one place every input (config, story, reference, candidate, run, baseline,
JSONL) is opened.

A FIFO or device named as an input would block or stream forever, and a huge file would exhaust memory, so
only regular files up to a size limit are read. The open is non-blocking and the type is checked on the open
descriptor, so a file swapped for a FIFO between a check and the read cannot hang a run either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from harness.document import InputError

MAX_FILE_MB = 2.0  # one input file; a larger one is an error, never silently truncated


def read_regular_file(path: Path, limit: int, advice: str = "") -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; `advice` follows a size error."""
    over = f"over the {limit / 1e6:g} MB limit for one input" + (f" ({advice})" if advice else "")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise InputError(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise InputError(path, "is a folder, not a regular file") from exc
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise InputError(path, f"cannot read file: {getattr(exc, 'strerror', None) or exc}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, "is a folder, not a regular file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, "not a regular file (a FIFO, device or socket): refused")
        raise InputError(path, f"file is {info.st_size / 1e6:.1f} MB, {over}")
    with os.fdopen(fd, "rb") as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as exc:
            raise InputError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > limit:  # grew while being read
        raise InputError(path, f"file is {over}")
    return data
