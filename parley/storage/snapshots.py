"""SQLite database files handled whole, for `parley backup` and `parley restore`: a consistent snapshot, the schema
revision a file is at, and SQLite's own integrity check. Plain `sqlite3`, on the caller's thread: these run in a
command, never in the server."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def snapshot_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup API, all pages in one step: one read transaction, so one consistent state.

    (Copying page by page in several steps would start over whenever the server writes in between, and may
    never finish under steady writes.)
    """
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file; the server turns WAL back on
        finally:
            dst.close()
    finally:
        src.close()


def sqlite_revision(path: Path) -> str | None:
    """The Alembic revision the file's schema is at; None for a file no migration has touched."""
    connection = sqlite3.connect(path)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return None if row is None else str(row[0])


def sqlite_quick_check(path: Path) -> str | None:
    """SQLite's `quick_check` verdict for the file, opened read-only: "ok" for a sound one."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()
    finally:
        connection.close()
    return None if verdict is None else str(verdict[0])
