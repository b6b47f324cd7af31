"""Fan-out across processes through Redis, on PostgreSQL: what one worker commits, every worker's sockets get."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.realtime.conftest import Live, until_every_socket_hears
from tests.support.live import open_socket
from tests.support.waiting import polled


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_message_sent_to_worker_a_reaches_a_socket_on_worker_b(two_workers: tuple[Live, Live]) -> None:
    a, b = two_workers
    ann = await a.visitor()
    token = ann["endUser"]["websocketToken"]
    async with open_socket(f"{b.ws_base}/api/widget/v1/ws?token={token}") as socket:
        sent = await a.widget(token, "POST", "/messages", json={"uuid": "x1", "text": "via A"})
        frame = await socket.events_until(lambda f: f["event"] == "message.created")
    assert frame[-1]["data"]["id"] == sent["id"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_conversation_opened_on_worker_a_takes_the_visitors_next_message_on_worker_b(
    two_workers: tuple[Live, Live],
) -> None:
    """Worker B caches the visitor's current conversation; worker A's `conversation.created` drops it (before B's
    sockets hear of it, so the frame on B's socket says the cache has moved on)."""
    a, b = two_workers
    ann = await a.visitor()
    token = ann["endUser"]["websocketToken"]
    first = await b.widget(token, "POST", "/messages", json={"uuid": "b1", "text": "hi"})
    assert [m["id"] for m in await b.widget(token, "GET", "/messages")] == [first["id"]], "B has its conversation"
    async with open_socket(f"{b.ws_base}/api/widget/v1/ws?token={token}") as socket:
        newer = await a.api.ok("POST", "/conversations", json={"endUserId": ann["endUser"]["id"]})
        await socket.events_until(lambda f: f["event"] == "conversation.created")
    sent = await b.widget(token, "POST", "/messages", json={"uuid": "b2", "text": "again"})
    assert sent["conversationId"] == newer["id"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_presence_counts_consoles_on_every_worker(two_workers: tuple[Live, Live]) -> None:
    a, b = two_workers
    agent, agent_token = await a.agent_with_token()

    async def status() -> str:
        return str((await a.api.ok("GET", f"/agents/{agent['id']}"))["status"])

    def consoles() -> Awaitable[int]:
        return b.services.presence.count(agent["id"])

    async with open_socket(f"{a.ws_base}/api/agent/v1/ws?token={agent_token}"):
        async with open_socket(f"{b.ws_base}/api/agent/v1/ws?token={agent_token}"):
            await polled(consoles, lambda held: held == 2)
            await polled(status, lambda now: now == "online")  # whichever worker counted first says so
        await polled(consoles, lambda held: held == 1)  # B has counted its socket closed; A's is still open
        assert await status() == "online"
    await polled(status, lambda now: now == "offline")


async def test_parley_serve_with_two_workers_delivers_to_every_socket(
    served_with_two_workers: tuple[str, str, str],
) -> None:
    """Sockets land on either worker (the kernel spreads connections); every one gets every message."""
    base, _, site_key = served_with_two_workers
    ws_base = base.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        session = (await http.post("/api/widget/v1/session", json={"siteKey": site_key})).json()["data"]
        token = session["endUser"]["websocketToken"]
        async with AsyncExitStack() as stack:
            sockets = [
                await stack.enter_async_context(open_socket(f"{ws_base}/api/widget/v1/ws?token={token}"))
                for _ in range(8)
            ]
            headers = {"Authorization": f"Bearer {token}"}

            async def ping(text: str) -> httpx.Response:
                return await http.post("/api/widget/v1/messages", json={"uuid": text, "text": text}, headers=headers)

            await until_every_socket_hears(ping, sockets)
            sent = [
                (
                    await http.post("/api/widget/v1/messages", json={"uuid": f"u{i}", "text": f"t{i}"}, headers=headers)
                ).json()["data"]["id"]
                for i in range(6)
            ]
            for socket in sockets:
                frames = await socket.events_until(lambda f, last=sent[-1]: f["data"].get("id") == last)
                assert [f["data"]["id"] for f in frames if f["event"] == "message.created"] == sent


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_one_uuid_posted_to_both_workers_at_once_stores_one_message(two_workers: tuple[Live, Live]) -> None:
    a, b = two_workers
    conversation = await a.api.conversation()
    path = f"/conversation/{conversation['id']}/send-text-message"
    body = {"uuid": "both-at-once", "text": "only once"}
    answers = await asyncio.gather(*(worker.api.ok("POST", path, json=body) for worker in (a, b) for _ in range(10)))
    assert len({answer["id"] for answer in answers}) == 1
    history = await b.api.ok("GET", f"/conversation/{conversation['id']}/messages")
    assert [m["body"] for m in history] == ["only once"]
