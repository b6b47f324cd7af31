"""Erasure (`DELETE /end-users/{id}`) and export (`GET /end-users/{id}/export`) of a visitor's data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, select, update

from parley.files.local import LocalFileStore
from parley.services.context import Services
from parley.storage.database import Transaction
from parley.storage.models import EndUser, Event, Message, Review, StoredFile
from tests.conftest import Api
from tests.support.tables import dump_tables
from tests.support.upstream import FileServer, image_bytes

SECRETS = ("Ann Secretname", "ann@secret.example", "crm-ann-77", "Elm Street 12", "rated it because Ann", "ann-pic")


def _stored(services: Services, path: str) -> list[Path]:
    """The original and both thumbnails of a stored image, on disk."""
    store = services.files
    assert isinstance(store, LocalFileStore)
    return [store.local_path(path, box) for box in (None, "120x120", "520x400")]


async def _console(client: httpx.AsyncClient, token: str, path: str, body: dict[str, Any]) -> Any:
    response = await client.post(f"/api/agent/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _populate(api: Api, services: Services, file_server: FileServer) -> dict[str, Any]:
    """Ann (to erase) and Bob, each in a conversation with the agent; Ann sent a picture of her own and one that
    Bob sent too (the same bytes); Ann rated the agent with a comment."""
    own = file_server.add("/erase/ann-pic.png", image_bytes("PNG", (300, 200), (10, 200, 10)), "image/png")
    shared = file_server.add("/erase/shared.png", image_bytes("PNG", (300, 200), (10, 10, 200)), "image/png")
    bob_copy = file_server.add("/erase/bob-copy.png", file_server.files["/erase/shared.png"][1], "image/png")
    agent = await api.agent()
    agent_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    ann = await api.conversation(name="Ann Secretname", email="ann@secret.example", serviceUserId="crm-ann-77")
    bob = await api.conversation(name="Bob")
    for conversation in (ann, bob):
        await api.ok("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})
    path = f"/conversation/{ann['id']}"
    text = await api.ok("POST", f"{path}/send-text-message", json={"uuid": "t1", "text": "I live at Elm Street 12"})
    await _console(api.client, agent_token, f"/conversations/{ann['id']}/messages", {"uuid": "r1", "text": "Noted"})
    own_file = await api.ok("POST", f"{path}/send-file-message", json={"file": own, "uuid": "f1"})
    shared_file = await api.ok("POST", f"{path}/send-file-message", json={"file": shared, "uuid": "f2"})
    review = await api.ok("POST", f"{path}/request-review")

    def rate(tx: Transaction) -> None:  # as the widget's rating would leave it
        stmt = update(Review).where(Review.id == review["review"]["id"])
        tx.conn.execute(stmt.values(mark=5, confirmed=True, text="rated it because Ann was helped"))

    await services.db.write(rate)
    bob_path = f"/conversation/{bob['id']}"
    bob_file = await api.ok("POST", f"{bob_path}/send-file-message", json={"file": bob_copy, "uuid": "f1"})
    return {
        "ann": ann,
        "bob": bob,
        "agent": agent,
        "text": text,
        "own_path": own_file["file"]["info"]["path"],
        "shared_path": shared_file["file"]["info"]["path"],
        "bob_file": bob_file,
    }


async def test_erasure_forgets_the_visitor_but_keeps_the_conversation_readable(
    api: Api, services: Services, file_server: FileServer
) -> None:
    world = await _populate(api, services, file_server)
    ann_id = world["ann"]["endUser"]["id"]
    assert world["shared_path"] == world["bob_file"]["file"]["info"]["path"], "the same bytes, stored once"
    assert all(p.is_file() for p in _stored(services, world["own_path"]) + _stored(services, world["shared_path"]))
    before = await dump_tables(services.db)
    assert all(secret in before for secret in SECRETS)

    def her_message_ids(conn: Connection) -> list[str]:
        return list(conn.execute(select(Message.id).where(Message.end_user_id == ann_id)).scalars())

    messages_before = await services.db.read(her_message_ids)

    erased = await api.ok("DELETE", f"/end-users/{ann_id}")

    assert erased["id"] == ann_id and erased["name"] == "Erased visitor"
    assert (erased["email"], erased["serviceUserId"], erased["meta"]) == (None, None, {})
    assert await api.ok("GET", f"/end-users/{ann_id}") == erased
    # The database: no trace of what she wrote or who she is, in any table (the outbox included)
    after = await dump_tables(services.db)
    assert [secret for secret in SECRETS if secret in after] == []

    def assert_forgotten(conn: Connection) -> None:
        rows = conn.execute(select(Message).where(Message.end_user_id == ann_id)).mappings().all()
        assert len(rows) == len(messages_before), "her messages stay, as placeholders"
        assert all(r["body"] is None and r["file_id"] is None and r["request_digest"] is None for r in rows)
        [review] = conn.execute(select(Review).where(Review.end_user_id == ann_id)).mappings().all()
        assert review["text"] == "" and review["mark"] == 5
        end_user = conn.execute(select(EndUser).where(EndUser.id == ann_id)).mappings().one()
        assert (end_user["name"], end_user["email"], end_user["meta"]) == ("Erased visitor", None, {})
        paths = {r[0] for r in conn.execute(select(StoredFile.path))}
        assert paths == {world["shared_path"]}, "her File rows are gone; Bob's remains"
        erased_events = conn.execute(select(Event).where(Event.name == "end_user.erased")).mappings().all()
        assert len(erased_events) == 1 and "Erased visitor" in erased_events[0]["payload"]
        assert 'websocketToken":null' in erased_events[0]["payload"].replace(" ", "")

    await services.db.read(assert_forgotten)
    # The disk: her own picture and its thumbnails are gone; the bytes Bob sent too are not
    assert not any(p.exists() for p in _stored(services, world["own_path"]))
    assert all(p.is_file() for p in _stored(services, world["shared_path"]))
    assert (await api.client.get(f"/static{world['shared_path']}")).status_code == 200
    assert (await api.client.get(f"/static{world['own_path']}")).status_code == 404
    # The agent still reads the conversation: their replies intact, hers as placeholders by "Erased visitor"
    history = await api.ok("GET", f"/conversation/{world['ann']['id']}/messages")
    assert [m["type"] for m in history] == ["text", "text", "file", "file", "review"]
    assert history[1]["body"] == "Noted" and history[1]["agent"]["id"] == world["agent"]["id"]
    for message in (history[0], history[2], history[3]):
        assert message["body"] is None and message["file"] is None
        assert message["endUser"]["name"] == "Erased visitor"
    assert history[4]["review"]["text"] == "" and history[4]["review"]["mark"] == 5
    bob_history = await api.ok("GET", f"/conversation/{world['bob']['id']}/messages")
    assert bob_history[0]["file"] == world["bob_file"]["file"]
    # Erasing again answers the same; another workspace cannot erase her
    again = await api.ok("DELETE", f"/end-users/{ann_id}")
    assert {k: v for k, v in again.items() if k != "updatedAt"} == {k: v for k, v in erased.items() if k != "updatedAt"}


async def test_erasure_is_an_event_a_webhook_can_ask_for_and_is_confined_to_the_workspace(
    api: Api, other_api: Api, file_server: FileServer
) -> None:
    hook = await api.ok("PUT", "/webhook", json={"url": file_server.url("/hook"), "events": ["end_user.erased"]})
    assert hook["events"] == ["end_user.erased"]
    ann = await api.conversation(name="Ann")
    ann_id = ann["endUser"]["id"]

    assert (await other_api.call("DELETE", f"/end-users/{ann_id}")).status_code == 404
    assert (await other_api.call("GET", f"/end-users/{ann_id}/export")).status_code == 404
    assert (await api.call("DELETE", "/end-users/00000000-0000-0000-0000-000000000000")).status_code == 404
    assert (await api.call("DELETE", "/end-users/not-an-id")).status_code == 404
    await api.ok("DELETE", f"/end-users/{ann_id}")

    deliveries = await api.ok("GET", "/webhook/deliveries")
    assert [d["event"] for d in deliveries] == ["end_user.erased"], "only what the webhook asked for"


async def test_export_holds_everything_stored_about_the_visitor(
    api: Api, services: Services, file_server: FileServer
) -> None:
    world = await _populate(api, services, file_server)
    ann_id = world["ann"]["endUser"]["id"]

    document = await api.ok("GET", f"/end-users/{ann_id}/export")

    assert document["endUser"] == await api.ok("GET", f"/end-users/{ann_id}")
    assert [c["id"] for c in document["conversations"]] == [world["ann"]["id"]]
    history = await api.ok("GET", f"/conversation/{world['ann']['id']}/messages")
    assert document["messages"] == history
    [review] = document["reviews"]
    assert review["text"] == "rated it because Ann was helped" and review["endUser"]["id"] == ann_id
    assert sorted(f["info"]["path"] for f in document["files"]) == sorted([world["own_path"], world["shared_path"]])
    assert isinstance(document["exportedAt"], int)
    bob = await api.ok("GET", f"/end-users/{world['bob']['endUser']['id']}/export")
    assert [c["id"] for c in bob["conversations"]] == [world["bob"]["id"]] and bob["reviews"] == []
