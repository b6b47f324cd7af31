"""Point lookups on SQLite: a file another process holds is waited for, not an error."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from parley.storage.database import Database
from parley.storage.repositories import workspaces as workspace_repo
from tests.support.databases import sqlite_url_from_template

WORKSPACE = "00000000-0000-4000-8000-000000000001"


async def test_a_lookup_waits_for_another_process_holding_the_file(sqlite_template_path: Path, tmp_path: Path) -> None:
    """Its blocking call waits 50 ms on the event loop's thread; past that the lookup waits off it, and succeeds."""
    url = sqlite_url_from_template(sqlite_template_path, tmp_path)
    seeding = Database(url)
    async with seeding.write() as tx:
        await workspace_repo.add_workspace(
            tx.conn, id=WORKSPACE, name="held", site_key="k", is_demo=False, settings={}, created_at=1, updated_at=1
        )
    await seeding.dispose()

    holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # held from its first write until it closes
    holder.execute("UPDATE workspaces SET name = 'renamed meanwhile'")
    db = Database(url)
    try:
        lookup = asyncio.create_task(db.lookup(workspace_repo.get_workspace, WORKSPACE))
        await asyncio.sleep(0.3)
        assert not lookup.done()
        holder.close()
        found = await asyncio.wait_for(lookup, timeout=10)
    finally:
        holder.close()
        await db.dispose()
    assert found is not None
    assert found.name == "renamed meanwhile"
