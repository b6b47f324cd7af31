"""Fan-out across processes through Redis, on PostgreSQL: what one worker commits, every worker's sockets get."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from parley.config import Settings
from tests.realtime.conftest import Live, running_workers, until_every_socket_hears
from tests.support.live import Socket, open_socket
from tests.support.relay import relay
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


async def message_frames(socket: Socket, expected: int) -> list[dict[str, Any]]:
    """The socket's `message.created` frames until `expected` of them have come (others are read past)."""
    frames: list[dict[str, Any]] = []
    while len(frames) < expected:
        frame = await socket.next_event(within=10)
        if frame["event"] == "message.created":
            frames.append(frame)
    return frames


@pytest.fixture
async def a_late_through_redis(
    settings: Settings, redis_url: str, postgres_url: str
) -> AsyncIterator[tuple[Live, Live]]:
    """Two workers, the first reaching Redis through a link 30 ms slow: B hears A's commits that late."""
    redis_address = make_url(redis_url)
    async with relay(redis_address.host or "127.0.0.1", redis_address.port or 6379, delay=0.03) as port:
        late = redis_address.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        async with running_workers(settings, [late, redis_url]) as workers:
            yield workers


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_writing_one_conversation_at_once_deliver_every_frame_once_and_in_order(
    a_late_through_redis: tuple[Live, Live],
) -> None:
    """A visitor writes through worker A while an agent answers through worker B, as fast as they can. Each worker
    hears its own commits at once and the other's later through Redis (A's, here, 30 ms late): sockets on both must
    still get every message once, in the conversation's order, and a console every stream position once, in order.
    """
    a, b = a_late_through_redis
    session = await a.visitor_in_conversation()
    visitor_token, conversation_id = session["endUser"]["websocketToken"], session["conversation"]["id"]
    _, agent_token = await a.agent_with_token()
    rounds = 60
    async with AsyncExitStack() as stack:
        visitors = [
            await stack.enter_async_context(open_socket(f"{live.ws_base}/api/widget/v1/ws?token={visitor_token}"))
            for live in (a, b)
        ]
        consoles = [
            await stack.enter_async_context(open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}"))
            for live in (a, b)
        ]
        sends: list[Awaitable[Any]] = []
        for index in range(rounds):
            sends.append(a.widget(visitor_token, "POST", "/messages", json={"uuid": f"v{index}", "text": f"v{index}"}))
            path = f"/conversations/{conversation_id}/messages"
            sends.append(b.console(agent_token, "POST", path, json={"uuid": f"a{index}", "text": f"a{index}"}))
        sent = await asyncio.gather(*sends)
        heard = [await message_frames(socket, 2 * rounds) for socket in (*visitors, *consoles)]

    stored = sorted(sent, key=lambda message: message["microseconds"])
    for frames in heard:
        assert [f["data"]["id"] for f in frames] == [m["id"] for m in stored], "each once, in the conversation's order"
    for console in heard[2:]:
        positions = [frame["position"] for frame in console]
        assert positions == list(range(positions[0], positions[0] + len(positions))), "the stream, gapless"
