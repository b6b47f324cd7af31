"""Anonymous visitors' friendly names: plain while plain names are free in the workspace, numbered once they are
mostly taken, and never one the workspace already uses when a free candidate was drawn."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection

from parley.services import visitor_names
from parley.storage.database import Database, Transaction
from parley.storage.repositories import people as people_repo
from parley.storage.repositories import workspaces as workspace_repo

WORKSPACE = "00000000-0000-4000-8000-000000000001"
PLAIN = [f"{a} {b}" for a, b in itertools.product(visitor_names.ADJECTIVES, visitor_names.ANIMALS)]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)

    def add_workspace(tx: Transaction) -> None:
        workspace_repo.add_workspace(
            tx.conn, id=WORKSPACE, name="Acme", site_key="k", is_demo=False, settings={}, created_at=1, updated_at=1
        )

    await database.write(add_workspace)
    yield database
    await database.dispose()


def add_visitors(tx: Transaction, names: list[str]) -> None:
    for name in names:
        people_repo.add_end_user(
            tx.conn, id=str(uuid.uuid4()), workspace_id=WORKSPACE, name=name, meta={}, created_at=1, updated_at=1
        )


def named(conn: Connection, seed: int) -> str:
    return visitor_names.unused_name(conn, WORKSPACE, random.Random(seed))


async def test_names_are_an_adjective_and_an_animal_and_a_taken_one_is_passed_over(db: Database) -> None:
    first = await db.read(named, 7)
    assert first in PLAIN
    await db.write(add_visitors, [first])
    assert await db.read(named, 7) != first, "the same draw, with its first name taken, takes another"


async def test_a_number_appears_once_the_plain_names_are_taken(db: Database) -> None:
    await db.write(add_visitors, PLAIN)
    name = await db.read(named, 1)
    adjective, animal, number = name.split(" ")
    assert f"{adjective} {animal}" in PLAIN and 2 <= int(number) <= 99


async def test_a_thousand_visitors_get_a_thousand_names(db: Database) -> None:
    given: list[str] = []
    for seed in range(1000):
        name = await db.read(named, seed)
        await db.write(add_visitors, [name])
        given.append(name)
    assert len(set(given)) == 1000
