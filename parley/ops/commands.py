"""The operators' commands: `parley backup`, `restore`, `port-db` and `purge` (registered by `parley.cli`)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError

from parley.config import Settings
from parley.ops import backup as backups
from parley.ops import port_db as porting
from parley.ops import purge as purging


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def backup(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory to write the backup into.")],
) -> None:
    """Back up the database (SQLite), the local file store and a manifest into DIR, while the server runs.

    On PostgreSQL the file store only: run pg_dump first, as printed (see docs/operations.md)."""
    try:
        backups.backup(Settings(), directory, typer.echo)
    except backups.BackupError as exc:
        raise _fail(str(exc)) from None


def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by `parley backup`.")],
) -> None:
    """Put a backup back into an empty PARLEY_DATA_DIR (and SQLite PARLEY_DATABASE_URL); refuses a non-empty one."""
    try:
        backups.restore(Settings(), directory, typer.echo)
    except backups.BackupError as exc:
        raise _fail(str(exc)) from None


def port_db(
    to: Annotated[str, typer.Option("--to", help="The empty PostgreSQL database: postgresql+asyncpg://...")],
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per insert.")] = porting.DEFAULT_BATCH,
) -> None:
    """Copy this SQLite install into an empty PostgreSQL database, then compare row counts table by table.

    Stop Parley first. Files stay in PARLEY_DATA_DIR; afterwards set PARLEY_DATABASE_URL to the new database."""
    settings = Settings()
    try:
        counts = asyncio.run(
            porting.port_database(settings.resolved_database_url, to, typer.echo, _progress(), batch_size)
        )
    except porting.PortError as exc:
        raise _fail(str(exc)) from None
    except (OSError, DBAPIError) as exc:  # unreachable, refused credentials, a row PostgreSQL would not take
        raise _fail(f"the port stopped, the target is left as it was: {exc}") from None
    width = max(len(c.table) for c in counts)
    typer.echo(f"\n{'table':<{width}}  {'sqlite':>10}  {'postgresql':>10}")
    for count in counts:
        verdict = "ok" if count.matches else "MISMATCH"
        typer.echo(f"{count.table:<{width}}  {count.source:>10}  {count.target:>10}  {verdict}")
    if not all(c.matches for c in counts):
        raise _fail("row counts differ: do not switch to this database", code=1)
    typer.echo(f"\nported {sum(c.source for c in counts)} rows; now set PARLEY_DATABASE_URL to the new database")


def purge(
    older_than: Annotated[
        float, typer.Option("--older-than", min=0, help="Delete conversations whose last message is older (days).")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
    workspace: Annotated[str | None, typer.Option("--workspace", "-w", help="Only this workspace.")] = None,
) -> None:
    """Delete old conversations with their messages, reviews, outbox rows and the files nobody else has."""
    from parley.services.context import Services

    async def run() -> purging.PurgeReport:
        services = Services.build(Settings())
        try:
            return await purging.purge(
                services.db, services.files, older_than, typer.echo, dry_run, workspace, invalidate=services.invalidate
            )
        finally:
            await services.broker.close()
            await services.db.dispose()

    typer.echo(asyncio.run(run()).summary())


def _progress() -> Callable[[str, int, int], None]:
    """One updating line per table on a terminal; a line per finished table otherwise."""
    interactive = sys.stdout.isatty()

    def show(table: str, done: int, total: int) -> None:
        if interactive:
            end = "\n" if done >= total else ""
            typer.echo(f"\r  {table:<20} {done:>10}/{total}", nl=False)
            if end:
                typer.echo("")
        elif done >= total:
            typer.echo(f"  {table:<20} {done:>10}/{total}")

    return show


COMMANDS: dict[str, Callable[..., Any]] = {"backup": backup, "restore": restore, "port-db": port_db, "purge": purge}
