"""The search plans: a common word reads the newest matches only, and both PostgreSQL plans find the same."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import Connection, text

from parley.services.context import Services
from parley.storage.repositories import search
from tests.conftest import Api


async def _seed(api: Api, conversations: int) -> None:
    """Every conversation says "common" twice; every third also says "rare" in between."""
    for n in range(conversations):
        conversation = await api.conversation(name=f"Visitor {n}")
        path = f"/conversation/{conversation['id']}/send-text-message"
        lines = ["common words", f"common rare {n}" if n % 3 == 0 else "other", f"common again {n}"]
        for i, line in enumerate(lines):
            await api.ok("POST", path, json={"uuid": f"m{i}", "text": line})


def _plan(conn: Connection) -> list[str]:
    stmt = text(
        "EXPLAIN QUERY PLAN SELECT f.rowid FROM message_search AS f JOIN messages AS m ON m.rowid = f.rowid"
        " WHERE message_search MATCH 'common' AND f.rowid < 1000000 AND m.workspace_id = 'w'"
        " ORDER BY f.rowid DESC LIMIT 200"
    )
    return [str(row[-1]) for row in conn.execute(stmt)]


async def test_sqlite_reads_a_common_word_newest_first_without_sorting_every_match(
    api: Api, services: Services
) -> None:
    if not services.db.is_sqlite:
        pytest.skip("the FTS5 plan is SQLite's")
    plan = await services.db.read(_plan)
    assert plan[0].startswith("SCAN f VIRTUAL TABLE"), plan  # the FTS5 index drives, in rowid order
    assert not any("TEMP B-TREE" in step for step in plan), plan  # nothing is sorted after reading every match
    await _seed(api, 6)
    read = partial(search.message_hits, workspace_id=api.workspace_id, words=[["common"]], limit=4)
    hits = await services.db.read(read)
    assert len(hits) == 4
    assert [hit[2] for hit in hits] == sorted((hit[2] for hit in hits), reverse=True)


async def test_postgresql_walk_for_common_words_finds_what_the_gin_index_finds(api: Api, services: Services) -> None:
    """PostgreSQL walks the conversations by activity first, and past `few` matches instead of reading every match
    from the GIN index: each way finds the same conversations and messages, for a common word, a rarer one and
    prefixes."""
    if services.db.is_sqlite:
        pytest.skip("the walk is PostgreSQL's")
    await _seed(api, 9)
    for words in ([["common"]], [["rare"]], [["common"], ["ra"]], [["agai"]]):
        found = {}
        for plan, few, first_walk in (("walk", 0, 0), ("index", 10_000, 0), ("walk first", 10_000, 100)):
            read = partial(
                search._postgres_message_hits,
                workspace_id=api.workspace_id,
                query=search._tsquery(words),
                limit=5,
                conversation_ids=None,
                few=few,
                first_walk=first_walk,
            )
            found[plan] = await services.db.read(read)
        assert found["walk"] == found["index"] == found["walk first"], words
        assert len(found["index"]) == (3 if words[-1] in (["rare"], ["ra"]) else 5), words  # every third says rare


async def test_many_matching_end_users_are_walked_by_activity_and_found_as_the_index_finds_them(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `END_USERS_FEW` matching end users, their conversations are found by walking the workspace's
    conversations by latest activity: the same conversations, in the same order, as sorting every match."""
    await _seed(api, 6)
    other = await api.conversation(name="Somebody Else")
    await api.ok("POST", f"/conversation/{other['id']}/send-text-message", json={"uuid": "x", "text": "latest"})
    for words in ([["visitor"]], [["vis"]], [["visitor"], ["4"]]):
        found = {}
        for plan, few in (("walk", 1), ("index", 10_000)):
            monkeypatch.setattr(search, "END_USERS_FEW", few)
            read = partial(search.end_user_conversations, workspace_id=api.workspace_id, words=words, limit=4)
            found[plan] = [conversation.id for conversation in await services.db.read(read)]
        assert found["walk"] == found["index"], words
        assert other["id"] not in found["index"]
        assert len(found["index"]) == (1 if len(words) == 2 else 4), words
