"""`parley purge --older-than DAYS`: old conversations go with everything of theirs; nothing else does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, update

from parley.files.local import LocalFileStore
from parley.ops.purge import MICROSECONDS_PER_DAY, purge
from parley.services.context import Services
from parley.services.workspaces import create_workspace
from parley.storage.database import Database, Transaction
from parley.storage.models import Conversation, Event, Message, Review, StoredFile, WebhookDelivery
from tests.conftest import Api, running_parley
from tests.ops.conftest import install_settings, parley_env, run_parley
from tests.support.tables import dump_tables
from tests.support.upstream import FileServer, image_bytes

AGE = 40 * MICROSECONDS_PER_DAY


async def _age(db: Database, conversation_id: str) -> None:
    """Make a conversation look 40 days old: its messages and its creation."""

    def age(tx: Transaction) -> None:
        messages = update(Message).where(Message.conversation_id == conversation_id)
        tx.conn.execute(messages.values(microseconds=Message.microseconds - AGE))
        stmt = update(Conversation).where(Conversation.id == conversation_id)
        tx.conn.execute(stmt.values(created_us=Conversation.created_us - AGE))

    await db.write(age)


async def _count(db: Database, table: Any, *where: Any) -> int:

    def count(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return await db.read(count)


def _conversation_ids(conn: Connection) -> set[str]:
    return {r[0] for r in conn.execute(select(Conversation.id))}


def _stored(services: Services, path: str) -> list[Path]:
    store = services.files
    assert isinstance(store, LocalFileStore)
    return [store.local_path(path, box) for box in (None, "120x120", "520x400")]


async def test_purge_deletes_old_conversations_with_their_rows_and_files_nobody_else_has(
    api: Api, services: Services, file_server: FileServer
) -> None:
    own = file_server.add("/purge/own.png", image_bytes("PNG", (300, 200), (200, 200, 10)), "image/png")
    shared = file_server.add("/purge/shared.png", image_bytes("PNG", (300, 200), (20, 200, 200)), "image/png")
    await api.ok("PUT", "/webhook", json={"url": file_server.url("/hook")})  # deliveries for every event
    agent = await api.agent()
    old, empty, recent = [await api.conversation(name=name) for name in ("Old", "Empty", "Recent")]
    path = f"/conversation/{old['id']}"
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})
    await api.ok("POST", f"{path}/send-text-message", json={"uuid": "t", "text": "an old secret"})
    own_file = await api.ok("POST", f"{path}/send-file-message", json={"file": own, "uuid": "f1"})
    await api.ok("POST", f"{path}/send-file-message", json={"file": shared, "uuid": "f2"})
    await api.ok("POST", f"{path}/request-review")
    recent_path = f"/conversation/{recent['id']}"
    await api.ok("POST", f"{recent_path}/send-text-message", json={"uuid": "t", "text": "a recent note"})
    recent_file = await api.ok("POST", f"{recent_path}/send-file-message", json={"file": shared, "uuid": "f"})
    for conversation in (old, empty):
        await _age(services.db, conversation["id"])
    gone = [old["id"], empty["id"]]
    assert await _count(services.db, WebhookDelivery, WebhookDelivery.conversation_id.in_(gone)) > 0
    echo: list[str] = []

    dry = await purge(services.db, services.files, 30, echo.append, dry_run=True, invalidate=services.invalidate)
    assert dry.conversations == 2 and await _count(services.db, Conversation) == 3

    report = await purge(services.db, services.files, 30, echo.append, invalidate=services.invalidate)

    assert (report.conversations, report.messages, report.reviews) == (2, 4, 1)
    assert report.events > 0 and report.deliveries > 0 and report.file_records == 2 and report.stored_files == 1
    db = services.db
    assert await db.read(_conversation_ids) == {recent["id"]}
    for table, column in ((Message, Message.conversation_id), (Review, Review.conversation_id)):
        assert await _count(db, table, column.in_(gone)) == 0
    assert await _count(db, Event, Event.conversation_id.in_(gone)) == 0
    assert await _count(db, WebhookDelivery, WebhookDelivery.conversation_id.in_(gone)) == 0
    assert await _count(db, StoredFile) == 1, "only the recent conversation's File row"
    tables = await dump_tables(db)
    assert "an old secret" not in tables and "a recent note" in tables
    assert not any(p.exists() for p in _stored(services, own_file["file"]["info"]["path"]))
    assert all(p.is_file() for p in _stored(services, recent_file["file"]["info"]["path"])), "shared bytes stay"
    assert (await api.call("GET", f"/conversation/{old['id']}")).status_code == 404
    assert len(await api.ok("GET", f"{recent_path}/messages")) == 2
    assert await api.ok("GET", f"/end-users/{old['endUser']['id']}"), "people stay"
    assert (await purge(db, services.files, 30, echo.append, invalidate=services.invalidate)).conversations == 0


async def test_the_purge_command(sqlite_install: tuple[Path, str]) -> None:
    data_dir, url = sqlite_install
    async with running_parley(install_settings(data_dir, url)) as parley:
        api = await parley.new_workspace()
        old, recent = await api.conversation(), await api.conversation()
        for conversation in (old, recent):
            body = {"uuid": "t", "text": "hello"}
            await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json=body)
        await _age(parley.services.db, old["id"])
    env = parley_env(data_dir, url)

    dry, refused = await asyncio.gather(
        run_parley(env, "purge", "--older-than", "30", "--dry-run"), run_parley(env, "purge", "--older-than", "-1")
    )
    assert dry.returncode == 0 and "would delete 1 conversations" in dry.stdout, dry.stderr
    assert refused.returncode == 2
    done = await run_parley(env, "purge", "--older-than", "30")
    assert done.returncode == 0 and "deleted 1 conversations, 1 messages" in done.stdout, done.stderr

    db = Database(url)
    try:
        assert await db.read(_conversation_ids) == {recent["id"]}
    finally:
        await db.dispose()


async def test_a_conversation_purged_while_the_server_runs_answers_404_to_a_send(
    database_url: str, tmp_path: Path
) -> None:
    """The server cached the conversation (and the visitor's current one) on earlier sends; `parley purge` ran in
    another process. A send is then 404, as a read is, never 423; the visitor's next message opens a new
    conversation."""
    settings = install_settings(tmp_path, database_url).model_copy(update={"token_cache_seconds": 300})
    async with running_parley(settings) as parley:
        services, client = parley.services, parley.client
        workspace, token = await create_workspace(services, "Acme")
        api = parley.api(token, workspace.id)
        session = (await client.post("/api/widget/v1/session", json={"siteKey": workspace.site_key})).json()["data"]
        visitor = {"Authorization": f"Bearer {session['endUser']['websocketToken']}"}
        widget_send = await client.post("/api/widget/v1/messages", json={"uuid": "w1", "text": "hi"}, headers=visitor)
        assert widget_send.status_code == 200, widget_send.text
        conversation_id = widget_send.json()["data"]["conversationId"]
        send = f"/conversation/{conversation_id}/send-text-message"
        await api.ok("POST", send, json={"uuid": "t1", "text": "hello"})
        await _age(services.db, conversation_id)

        purged = await run_parley(parley_env(tmp_path, database_url), "purge", "--older-than", "30")
        assert purged.returncode == 0 and "deleted 1 conversations" in purged.stdout, purged.stderr

        for response in (
            await api.call("POST", send, json={"uuid": "t2", "text": "anyone?"}),
            await api.call("GET", f"/conversation/{conversation_id}/messages"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "not_found"
        reopened = await client.post("/api/widget/v1/messages", json={"uuid": "w2", "text": "hello?"}, headers=visitor)
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["data"]["conversationId"] != conversation_id
        again = await client.post("/api/widget/v1/session", headers=visitor)
        assert again.json()["data"]["conversation"]["id"] == reopened.json()["data"]["conversationId"]
