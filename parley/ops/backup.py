"""`parley backup DIR` and `parley restore DIR`: a consistent copy of an install, and putting one back.

On SQLite the database is copied with SQLite's online backup API in a single step: that step is one read
transaction, which in WAL mode never blocks the server's writer, and sees exactly what was committed when it began
(every message acknowledged before the backup started, nothing half-written). The file store is copied after the
database: stored bytes are immutable and are in place before the row naming them commits, so every file the copied
database refers to is already there (the copy may hold a few newer files nothing refers to yet, which is harmless).

On PostgreSQL the database is `pg_dump`'s business (the commands are printed and documented); the backup holds
the file store only. An S3 file store is not copied (use the bucket's versioning or replication).

A backup directory holds `manifest.json` (written last: a backup without it is incomplete), `parley.db` on SQLite,
`files/` (originals and thumbnails, laid out as in the data dir) and `secret_key` when the install generated its
own (visitors' websocket tokens are signed with it). It is created readable by its owner only.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from parley import __version__
from parley.clock import now
from parley.config import Settings
from parley.storage.database import Database
from parley.storage.migrate import upgrade
from parley.storage.repositories.schema import schema_revision
from parley.storage.snapshots import snapshot_sqlite, sqlite_quick_check, sqlite_revision

MANIFEST = "manifest.json"
DATABASE_FILE = "parley.db"
FILES_DIR = "files"
SECRET_KEY_FILE = "secret_key"
POSTGRES_DUMP = "parley.dump"
FORMAT = 1

Echo = Callable[[str], None]


class BackupError(Exception):
    """A refusal with a sentence for the operator (the command exits non-zero)."""


@dataclass(frozen=True, slots=True)
class CopiedFiles:
    count: int
    size: int


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError(f"{database_url} is not an SQLite file")
    return Path(database).expanduser().resolve()


def libpq_url(database_url: str) -> str:
    """The URL `pg_dump` and `pg_restore` understand, with any password left out of what is printed."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=True).replace(":***@", "@")


# Backup
def backup(settings: Settings, directory: Path, echo: Echo) -> dict[str, Any]:
    """Write a backup of the install `settings` describe into `directory` (absent or empty); returns the manifest."""
    directory = directory.expanduser().resolve()
    allowed = set() if settings.is_sqlite else {POSTGRES_DUMP}  # pg_dump runs first, into the same directory
    if directory.exists() and (not directory.is_dir() or {p.name for p in directory.iterdir()} - allowed):
        raise BackupError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    started, timer = now(), time.monotonic()
    url = settings.resolved_database_url
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "parleyVersion": __version__,
        "createdAt": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "createdAtUnix": int(started),
        "database": "sqlite" if settings.is_sqlite else "postgresql",
    }
    if settings.is_sqlite:
        source = sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"no database at {source} (run `parley migrate` first)")
        target = directory / DATABASE_FILE
        snapshot_sqlite(source, target)
        manifest["schemaRevision"] = sqlite_revision(target)
        manifest["databaseBytes"] = target.stat().st_size
        echo(f"database: {source} -> {target} ({manifest['databaseBytes']} bytes, one consistent snapshot)")
    else:
        manifest["schemaRevision"] = _postgres_revision(url)
        dump = directory / POSTGRES_DUMP
        manifest["postgresDump"] = POSTGRES_DUMP if dump.is_file() else None
        echo("database: PostgreSQL is backed up with pg_dump, run before this command (files after the database):")
        echo(f"  pg_dump --format=custom --file {dump} '{libpq_url(url)}'")
        echo("  and restored into an empty database with:")
        echo(f"  pg_restore --no-owner --dbname '<postgresql://user@host:port/db>' {dump}")
        if not dump.is_file():
            echo(f"  (no {POSTGRES_DUMP} in {directory} yet: this backup holds the files only)")
    if settings.file_store == "local":
        copied = copy_store(settings.data_dir / FILES_DIR, directory / FILES_DIR)
        manifest["files"] = {"count": copied.count, "bytes": copied.size}
        echo(f"files: {copied.count} ({copied.size} bytes, originals and thumbnails)")
    else:
        manifest["files"] = None
        echo(f"files: in the S3 bucket {settings.s3_bucket!r}, not copied (use the bucket's versioning or replication)")
    key_file = settings.data_dir / SECRET_KEY_FILE
    manifest["secretKey"] = key_file.is_file()
    if key_file.is_file():
        shutil.copy2(key_file, directory / SECRET_KEY_FILE)
        (directory / SECRET_KEY_FILE).chmod(0o600)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    echo(f"backup written to {directory} in {time.monotonic() - timer:.1f}s")
    return manifest


def copy_store(source: Path, target: Path) -> CopiedFiles:
    """Originals and thumbnails; not the staging area or temporary files (names starting with a dot)."""
    count = size = 0
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return CopiedFiles(0, 0)
    for folder, subfolders, names in os.walk(source):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            origin = Path(folder) / name
            destination = target / origin.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(origin, destination)
            except FileNotFoundError:  # erased or purged meanwhile
                continue
            count += 1
            size += destination.stat().st_size
    return CopiedFiles(count, size)


def _postgres_revision(url: str) -> str | None:
    async def read() -> str | None:
        db = Database(url)
        try:
            return await db.read(schema_revision)
        finally:
            await db.dispose()

    return asyncio.run(read())


# Restore
def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} holds no {MANIFEST}: not a Parley backup, or an incomplete one")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not one this Parley reads ({FORMAT})")
    return manifest


def restore(settings: Settings, directory: Path, echo: Echo) -> dict[str, Any]:
    """Put the backup in `directory` back into the empty data dir (and SQLite file) `settings` name."""
    directory = directory.expanduser().resolve()
    manifest = read_manifest(directory)
    data_dir = settings.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"the data dir {data_dir} is not empty: restore into an empty one")
    database_target: Path | None = None
    if manifest["database"] == "sqlite":
        if not settings.is_sqlite:
            raise BackupError(
                "this backup holds an SQLite database: restore it with an SQLite PARLEY_DATABASE_URL, then move "
                "to PostgreSQL with `parley port-db`"
            )
        database_target = sqlite_path(settings.resolved_database_url)
        for leftover in (database_target, Path(f"{database_target}-wal"), Path(f"{database_target}-shm")):
            if leftover.exists():
                raise BackupError(f"{leftover} exists: restore into an empty install")
        _check_sqlite(directory / DATABASE_FILE)
    if manifest.get("files") is not None and settings.file_store != "local":
        raise BackupError("this backup holds a local file store: restore it with PARLEY_FILE_STORE=local")
    data_dir.mkdir(parents=True, exist_ok=True)
    if database_target is not None:
        database_target.parent.mkdir(parents=True, exist_ok=True)
        partial = database_target.with_name(f".{database_target.name}.restoring")
        shutil.copyfile(directory / DATABASE_FILE, partial)
        os.replace(partial, database_target)
        echo(f"database: {database_target}")
    else:
        echo("database: restore PostgreSQL with pg_restore (see docs/operations.md), e.g.")
        dump = directory / POSTGRES_DUMP
        echo(f"  pg_restore --no-owner --dbname '{libpq_url(settings.resolved_database_url)}' {dump}")
    if manifest.get("files") is not None:
        copied = copy_store(directory / FILES_DIR, data_dir / FILES_DIR)
        echo(f"files: {copied.count} ({copied.size} bytes)")
    if (directory / SECRET_KEY_FILE).is_file():
        shutil.copy2(directory / SECRET_KEY_FILE, data_dir / SECRET_KEY_FILE)
        (data_dir / SECRET_KEY_FILE).chmod(0o600)
        echo("secret key: restored (visitors' websocket tokens stay valid)")
    if database_target is not None:
        upgrade(settings.resolved_database_url)  # a backup of an older Parley is brought to this one's schema
    echo(f"restored the backup of {manifest['createdAt']} into {data_dir}")
    return manifest


def _check_sqlite(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"the backup has no {DATABASE_FILE}")
    verdict = sqlite_quick_check(path)
    if verdict != "ok":
        raise BackupError(f"{path} fails SQLite's quick_check: {verdict}")
