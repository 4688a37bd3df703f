"""The SQLite plumbing every cache shares (results, embeddings, cross-encoder pairs, LLM replies, derived key
facts), and the code fingerprint that keys them.

A cache file is data the harness did not just compute, so it is never trusted: a damaged file is set aside
and replaced, and a cache that cannot be read or written (full disk, read-only folder) costs speed with a
warning, never a candidate or the run.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 over the package's source and data files."""
    digest = hashlib.sha256()
    root = resources.files("harness")
    for path in sorted(Path(str(root)).rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".j2", ".onnx"):
            digest.update(str(path.relative_to(Path(str(root)))).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- SQLite files that fail soft -----------------------------------------------------------------------


def warn(message: str) -> None:
    """Cache trouble is reported on stderr the way the CLI reports other problems, and never stops a run."""
    print(f"warning: {message}", file=sys.stderr)


class DamagedCache(sqlite3.DatabaseError):
    """A cache file SQLite can open but that fails its integrity check or holds the table with other columns."""


def _damaged(exc: Exception) -> bool:
    """Damage is a property of the file (not a database, corrupt, wrong table); a locked, read-only or full
    database is not damaged and must never be moved aside."""
    return isinstance(exc, DamagedCache) or getattr(exc, "sqlite_errorname", "").startswith(
        ("SQLITE_NOTADB", "SQLITE_CORRUPT")
    )


def _connect(path: Path, table: str, columns: Sequence[tuple[str, str]], timeout: float) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=timeout)
    try:
        check = db.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise DamagedCache(f"integrity check: {'; '.join(str(row[0]) for row in check[:3])}")
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{n} {t}' for n, t in columns)})")
        found = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        if found != [n for n, _ in columns]:
            raise DamagedCache(f"table {table} has columns {found}, expected {[n for n, _ in columns]}")
        return db
    except BaseException:
        db.close()
        raise


def open_cache_db(
    path: Path, table: str, columns: Sequence[tuple[str, str]], timeout: float = 60
) -> sqlite3.Connection | None:
    """Open (or create) one cache file holding `table`, checked on open with SQLite's quick integrity check.

    A damaged file (garbage, truncated, another table layout) is renamed to `<name>.damaged-<timestamp>`
    with its journal files, with a warning naming it, and a fresh cache takes its place: losing a cache
    costs time, never results. A file that cannot be used at all (read-only folder, full disk, locked past
    the timeout) gives a warning and None: the run goes on uncached."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return _connect(path, table, columns, timeout)
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            aside = path.with_name(f"{path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S-%f}")
            for suffix in ("", "-journal", "-wal", "-shm"):  # a stale journal must not be replayed into the new file
                sidecar = path.with_name(path.name + suffix)
                if sidecar.exists():
                    sidecar.replace(aside.with_name(aside.name + suffix))
            warn(f"cache file {path} is damaged ({exc}); moved it to {aside.name} and started a fresh cache")
            return _connect(path, table, columns, timeout)
    except (sqlite3.Error, OSError) as exc:
        warn(f"cache file {path} cannot be used ({exc}); this run goes on without it")
        return None


class SqliteCache:
    """One table in one SQLite file, opened through `open_cache_db`, whose reads and writes fail soft: a
    failed read is a miss, a failed write (full disk, read-only file) stops writing; each warns once, naming
    the file. Used by the result, embedding and cross-encoder pair caches, so this logic exists once."""

    def __init__(self, path: Path | None, table: str, columns: Sequence[tuple[str, str]], timeout: float = 60):
        self.path = path
        self.db = open_cache_db(path, table, columns, timeout) if path is not None else None
        self.writable = self.db is not None
        self._warned: set[str] = set()

    def warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            warn(message)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of a query, or none if the file cannot be read (the caller recomputes)."""
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            self.warn_once("read", f"cache file {self.path} could not be read ({exc}); recomputing what it holds")
            return []

    def write(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Store rows in one transaction; on failure warn once and write no more in this run."""
        if not self.writable:
            return
        try:
            with self.db:
                self.db.executemany(sql, rows)
        except (sqlite3.Error, OSError) as exc:
            self.writable = False
            self.warn_once("write", f"cache file {self.path} could not be written ({exc}); this run goes on uncached")
