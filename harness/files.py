"""Files, safely: the one place every input (config, story, reference, candidate, run, baseline, JSONL) is
opened, and the one way every output file is written (`atomic_write_text`: a reader never sees half a file).

A FIFO or device named as an input would block or stream forever, and a huge file would exhaust memory, so
only regular files up to a size limit are read. The open is non-blocking and the type is checked on the open
descriptor, so a file swapped for a FIFO between a check and the read cannot hang a run either.
"""

from __future__ import annotations

import os
import stat
import tempfile
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


def umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file through a unique temporary sibling and a rename, so readers never see half of it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from exc
    try:
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes owner-only files; a report is as readable as any file
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
