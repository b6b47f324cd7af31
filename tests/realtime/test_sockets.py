"""Websockets for visitors and agents: the right events, in order, to the right people, and nothing lost."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable
from functools import partial
from typing import Any

import pytest
import websockets

from parley.realtime.sockets import ConversationFeed
from parley.services import visitors
from tests.realtime.conftest import Live
from tests.support.live import open_socket
from tests.support.waiting import eventually, polled


async def close_code(url: str) -> int:
    """The code the server closes a refused socket with."""
    async with open_socket(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.next_event()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def is_message(text: str) -> Any:
    return lambda frame: frame["event"] == "message.created" and frame["data"]["body"] == text


async def test_a_visitor_receives_their_conversation_in_order_and_nothing_of_anyone_else(live: Live) -> None:
    ann, bob = await live.visitor_in_conversation(), await live.visitor()
    conversation = ann["conversation"]["id"]
    agent, agent_token = await live.agent_with_token()
    url = f"{live.ws_base}/api/widget/v1/ws?token={ann['endUser']['websocketToken']}"
    async with open_socket(url) as socket:
        await live.api.ok("POST", f"/conversation/{conversation}/assign-agent", json={"agentId": agent["id"]})
        await live.widget(ann["endUser"]["websocketToken"], "POST", "/messages", json={"uuid": "a1", "text": "Hi"})
        await live.widget(bob["endUser"]["websocketToken"], "POST", "/messages", json={"uuid": "b1", "text": "Bob"})
        await live.console(
            agent_token, "POST", f"/conversations/{conversation}/messages", json={"uuid": "r", "text": "Hello Ann"}
        )

        frames = await socket.events_until(is_message("Hello Ann"))
        assert [f["event"] for f in frames] == ["conversation.assigned", "message.created", "message.created"]
        assert frames[1]["data"]["endUser"]["id"] == ann["endUser"]["id"]
        assert frames[2]["data"]["agent"]["id"] == agent["id"] and frames[2]["data"]["endUser"] is None
        assert all(f["conversationId"] == conversation for f in frames)
        microseconds = [f["microseconds"] for f in frames]
        assert microseconds == sorted(set(microseconds))
        assert await socket.silent_for(0.3), "nothing of Bob's conversation"


async def test_a_socket_is_subscribed_by_the_time_the_client_sees_it_open(live: Live) -> None:
    """What is committed right after the handshake reaches the socket, even without `after`."""
    ann = await live.visitor()
    _, agent_token = await live.agent_with_token()
    for url in (
        f"{live.ws_base}/api/widget/v1/ws?token={ann['endUser']['websocketToken']}",
        f"{live.ws_base}/api/agent/v1/ws?token={agent_token}",
    ):
        async with open_socket(url):
            assert live.services.hub.connections() == 1
        await eventually(lambda: live.services.hub.connections() == 0, what="the closed socket to leave the hub")


async def test_frames_have_the_event_shape_and_never_carry_a_websocket_token(live: Live) -> None:
    ann = await live.visitor()
    _, agent_token = await live.agent_with_token()
    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}") as socket:
        await live.widget(ann["endUser"]["websocketToken"], "POST", "/messages", json={"uuid": "a1", "text": "Hi"})
        frame = (await socket.events_until(is_message("Hi")))[-1]
    assert set(frame) >= {"event", "id", "workspaceId", "conversationId", "createdAt", "data", "microseconds"}
    assert frame["workspaceId"] == live.api.workspace_id
    assert frame["data"]["endUser"]["websocketToken"] is None
    uuid.UUID(frame["id"])


@pytest.mark.parametrize("token", ["", "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"])
async def test_a_bad_visitor_token_is_closed_with_4401(live: Live, token: str) -> None:
    assert await close_code(f"{live.ws_base}/api/widget/v1/ws?token={token}") == 4401


@pytest.mark.parametrize("after", ["yesterday", "-5", "1.5", str(2**63), "²", "9" * 5000])
async def test_a_cursor_that_is_not_microseconds_is_closed_with_4400(live: Live, after: str) -> None:
    ann = await live.visitor()
    for path in ("/api/widget/v1/ws", "/api/agent/v1/ws"):
        url = f"{live.ws_base}{path}?token={ann['endUser']['websocketToken']}&after={after}"
        assert await close_code(url) == 4400


async def test_an_agent_token_is_not_a_visitor_token_and_back(live: Live) -> None:
    ann = await live.visitor()
    _, agent_token = await live.agent_with_token()
    for url in (
        f"{live.ws_base}/api/widget/v1/ws?token={agent_token}",
        f"{live.ws_base}/api/agent/v1/ws?token={ann['endUser']['websocketToken']}",
        f"{live.ws_base}/api/agent/v1/ws?token={live.api.token}",
    ):
        assert await close_code(url) == 4401


async def test_resume_replays_what_was_missed_then_goes_live_without_repeats(live: Live) -> None:
    ann = await live.visitor()
    token = ann["endUser"]["websocketToken"]
    url = f"{live.ws_base}/api/widget/v1/ws?token={token}"
    async with open_socket(url) as socket:
        await live.widget(token, "POST", "/messages", json={"uuid": "m0", "text": "m0"})
        cursor = (await socket.events_until(is_message("m0")))[-1]["microseconds"]
    for i in range(1, 6):
        await live.widget(token, "POST", "/messages", json={"uuid": f"m{i}", "text": f"m{i}"})
    async with open_socket(f"{url}&after={cursor}") as socket:
        replayed = await socket.events_until(is_message("m5"))
        await live.widget(token, "POST", "/messages", json={"uuid": "m6", "text": "m6"})
        live_frames = await socket.events_until(is_message("m6"))
    assert [f["data"]["body"] for f in replayed] == ["m1", "m2", "m3", "m4", "m5"]
    assert [f["data"]["body"] for f in live_frames] == ["m6"]


async def test_a_socket_opened_before_the_first_message_carries_the_conversation_it_opens(live: Live) -> None:
    await live.api.ok("PUT", "/widget-settings", json={"greeting": "Welcome"})
    ann = await live.visitor()
    token = ann["endUser"]["websocketToken"]
    _, agent_token = await live.agent_with_token()
    url = f"{live.ws_base}/api/widget/v1/ws?token={token}"
    async with open_socket(url) as socket:
        first = await live.widget(token, "POST", "/messages", json={"uuid": "q", "text": "Is anyone there?"})
        conversation = first["conversationId"]
        opened = await socket.events_until(is_message("Is anyone there?"))
        await live.console(
            agent_token, "POST", f"/conversations/{conversation}/messages", json={"uuid": "r", "text": "Yes!"}
        )
        cursor = (await socket.events_until(is_message("Yes!")))[-1]["microseconds"]
    assert [(f["event"], f["data"].get("body")) for f in opened] == [
        ("conversation.created", None),
        ("message.created", "Welcome"),
        ("message.created", "Is anyone there?"),
    ]
    await live.console(
        agent_token, "POST", f"/conversations/{conversation}/messages", json={"uuid": "s", "text": "Hm?"}
    )
    async with open_socket(f"{url}&after={opened[0]['microseconds']}") as socket:
        replayed = await socket.events_until(is_message("Hm?"))
    assert [f["data"].get("body") for f in replayed] == ["Welcome", "Is anyone there?", "Yes!", "Hm?"]
    assert replayed[-2]["microseconds"] == cursor


async def test_a_conversation_opened_while_the_socket_opens_is_carried_whole(live: Live) -> None:
    """The socket read the visitor's conversations (none), then the first message opened one before it subscribed:
    that conversation's events were refused live, so they are replayed once it is subscribed."""
    ann = await live.visitor()
    token = ann["endUser"]["websocketToken"]
    visitor = await visitors.authenticate_visitor(live.services, token)
    audience = await visitors.audience(live.services, visitor)  # before the first message: no conversation
    first = await live.widget(token, "POST", "/messages", json={"uuid": "q", "text": "Hello?"})
    sent = CollectedFrames()
    feed = ConversationFeed(
        live.services.db, audience, None, partial(visitors.conversation_ids, live.services, visitor)
    )
    subscription = feed.subscribe(live.services.hub)
    await feed.catch_up(sent)  # type: ignore[arg-type]  # only send_text is used
    assert [(f["event"], f["data"].get("body")) for f in sent.frames] == [
        ("conversation.created", None),
        ("message.created", "Hello?"),
    ]
    assert first["conversationId"] in subscription.conversation_ids, "its later events are carried live"
    live.services.hub.unsubscribe(subscription)


class CollectedFrames:
    """Stands in for the websocket a feed writes to."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


async def test_cutting_connections_while_a_writer_sends_loses_and_repeats_nothing(live: Live) -> None:
    ann = await live.visitor()
    token = ann["endUser"]["websocketToken"]
    url = f"{live.ws_base}/api/widget/v1/ws?token={token}"
    sent: list[str] = []

    async def writer() -> None:
        for i in range(60):
            text = f"w{i}"
            await live.widget(token, "POST", "/messages", json={"uuid": text, "text": text})
            sent.append(text)
            await asyncio.sleep(0.005)  # spread the sends over the connections the reader keeps cutting

    received: list[str] = []
    cursor = 0  # from the very beginning: the writer may have sent before the first connection
    writing = asyncio.create_task(writer())
    while not writing.done() or (sent and (not received or received[-1] != sent[-1])):
        async with open_socket(f"{url}&after={cursor}") as socket:
            for _ in range(7):  # read a few frames, then drop the connection mid-stream
                try:
                    frame = await socket.next_event(within=1.0)
                except TimeoutError:
                    break
                if frame["event"] == "message.created":
                    received.append(frame["data"]["body"])
                cursor = frame["microseconds"]
    await writing
    assert received == sent


async def test_an_agent_is_online_while_a_console_is_open_and_offline_after(live: Live) -> None:
    agent, agent_token = await live.agent_with_token()
    assert agent["status"] == "offline"

    async def status() -> str:
        return str((await live.api.ok("GET", f"/agents/{agent['id']}"))["status"])

    def consoles() -> Awaitable[int]:
        return live.services.presence.count(agent["id"])

    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}") as first:
        async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}"):
            changed = await first.events_until(lambda f: f["event"] == "agent.status_changed")
            assert changed[-1]["data"]["status"] == "online"
            assert await status() == "online"
            await polled(consoles, lambda held: held == 2)
        await polled(consoles, lambda held: held == 1)  # one console closed, one still open
        assert await status() == "online"
    await polled(status, lambda now: now == "offline")


async def test_the_visitor_sees_their_agent_go_online(live: Live) -> None:
    ann = await live.visitor_in_conversation()
    agent, agent_token = await live.agent_with_token()
    _, other_token = await live.agent_with_token("agent-2")
    conversation = ann["conversation"]["id"]
    await live.api.ok("POST", f"/conversation/{conversation}/assign-agent", json={"agentId": agent["id"]})
    async with open_socket(f"{live.ws_base}/api/widget/v1/ws?token={ann['endUser']['websocketToken']}") as socket:
        async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={other_token}"):
            assert await socket.silent_for(0.3), "another agent's status is not the visitor's business"
        async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}"):
            frame = await socket.next_event()
    assert frame["event"] == "agent.status_changed" and frame["data"]["id"] == agent["id"]
    assert frame["data"]["status"] == "online"


async def test_typing_is_relayed_to_the_other_side_only(live: Live) -> None:
    ann = await live.visitor_in_conversation()
    token = ann["endUser"]["websocketToken"]
    agent, agent_token = await live.agent_with_token()
    conversation = ann["conversation"]["id"]
    async with (
        open_socket(f"{live.ws_base}/api/widget/v1/ws?token={token}") as visitor_socket,
        open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}") as agent_socket,
    ):
        await agent_socket.events_until(lambda f: f["event"] == "agent.status_changed")
        await live.widget(token, "POST", "/typing", json={"typing": True})
        seen = await agent_socket.next_event()
        assert seen["event"] == "typing" and seen["data"]["author"] == "endUser" and seen["data"]["typing"] is True
        await live.console(agent_token, "POST", f"/conversations/{conversation}/typing", json={"typing": True})
        seen = await visitor_socket.next_event()
        assert seen["event"] == "typing" and seen["data"]["authorId"] == agent["id"]
        assert await visitor_socket.silent_for(0.2) and await agent_socket.silent_for(0.2)


async def test_read_receipts_mark_the_other_sides_messages_read_with_an_event(live: Live) -> None:
    ann = await live.visitor_in_conversation("Question")
    token = ann["endUser"]["websocketToken"]
    _, agent_token = await live.agent_with_token()
    conversation = ann["conversation"]["id"]
    [question] = await live.widget(token, "GET", "/messages")
    answer = await live.console(
        agent_token, "POST", f"/conversations/{conversation}/messages", json={"uuid": "a", "text": "Answer"}
    )
    assert answer["status"] == "delivered"
    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}") as socket:
        await socket.events_until(lambda f: f["event"] == "agent.status_changed")
        receipt = await live.widget(token, "POST", "/read", json={"until": answer["microseconds"]})
        frame = await socket.events_until(lambda f: f["event"] == "message.status_changed")
    assert receipt == {"marked": 1}
    assert frame[-1]["data"]["id"] == answer["id"] and frame[-1]["data"]["status"] == "read"
    history = {m["id"]: m["status"] for m in await live.widget(token, "GET", "/messages")}
    assert history == {question["id"]: "delivered", answer["id"]: "read"}
    summaries = await live.console(agent_token, "GET", "/conversations")
    assert summaries[0]["unreadCount"] == 1 and summaries[0]["lastMessage"]["id"] == answer["id"]
    await live.console(
        agent_token, "POST", f"/conversations/{conversation}/read", json={"until": question["microseconds"]}
    )
    assert (await live.console(agent_token, "GET", "/conversations"))[0]["unreadCount"] == 0


async def test_a_rolled_back_change_is_never_seen(live: Live) -> None:
    ann = await live.visitor_in_conversation()
    conversation = ann["conversation"]["id"]
    agent = await live.api.agent()
    await live.api.ok("POST", f"/conversation/{conversation}/assign-agent", json={"agentId": agent["id"]})
    await live.api.ok("POST", f"/conversation/{conversation}/lock")
    async with open_socket(f"{live.ws_base}/api/widget/v1/ws?token={ann['endUser']['websocketToken']}") as socket:
        refused = await live.api.call("POST", f"/conversation/{conversation}/request-review")
        assert refused.status_code == 423
        assert await socket.silent_for(0.3), "the review.requested of the rolled-back transaction never leaves"


@pytest.mark.parametrize("realtime_settings", [{"ws_queue_limit": 2}], indirect=True)
async def test_a_client_that_falls_behind_is_closed_to_resume_by_cursor(live: Live) -> None:
    await live.api.ok("PUT", "/widget-settings", json={"greeting": "Welcome"})
    ann = await live.visitor()
    token = ann["endUser"]["websocketToken"]
    async with open_socket(f"{live.ws_base}/api/widget/v1/ws?token={token}") as socket:
        # conversation.created, the greeting and the message: three events in one commit, one more than the limit
        await live.widget(token, "POST", "/messages", json={"uuid": "q", "text": "Hello"})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await socket.next_event()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008


async def test_uploads_from_the_widget_and_the_console_arrive_as_file_messages(live: Live) -> None:
    from tests.support.upstream import image_bytes

    ann = await live.visitor_in_conversation()
    token = ann["endUser"]["websocketToken"]
    agent, agent_token = await live.agent_with_token()
    conversation = ann["conversation"]["id"]
    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={agent_token}") as socket:
        await socket.events_until(lambda f: f["event"] == "agent.status_changed")
        picture = {"file": ("holiday.png", image_bytes("PNG", (800, 600)), "image/png")}
        sent = await live.widget(token, "POST", "/files", files=picture, data={"uuid": "p1"})
        frame = (await socket.events_until(lambda f: f["event"] == "message.created"))[-1]
    assert sent["type"] == "file" and sent["file"]["type"] == "image" and sent["file"]["info"]["name"] == "holiday"
    assert sent["file"]["meta"] == {"width": 800, "height": 600}
    assert frame["data"]["id"] == sent["id"]
    again = await live.widget(token, "POST", "/files", files=picture, data={"uuid": "p1"})
    assert again["id"] == sent["id"]
    thumbnail = await live.http.get(sent["file"]["url"]["520x400"].replace("http://parley.test", ""))
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/png"

    document = {"file": ("notes.txt", b"plain words", "text/plain")}
    reply = await live.console(
        agent_token, "POST", f"/conversations/{conversation}/files", files=document, data={"uuid": "d"}
    )
    assert reply["agent"]["id"] == agent["id"] and reply["file"]["type"] == "file" and reply["file"]["meta"] is None

    too_big = {"file": ("big.bin", b"x" * (live.services.settings.max_file_bytes + 1), "application/octet-stream")}
    refused = await live.http.post(
        "/api/widget/v1/files", files=too_big, data={"uuid": "big"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "file_too_large"


async def test_an_oversized_inbound_frame_closes_the_socket(live: Live) -> None:
    ann = await live.visitor()
    limit = live.services.settings.ws_max_message_bytes
    async with open_socket(f"{live.ws_base}/api/widget/v1/ws?token={ann['endUser']['websocketToken']}") as socket:
        await socket.connection.send("x" * (limit + 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.next_event()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_peer_that_stops_answering_pings_is_dropped(live: Live) -> None:
    """A raw TCP client completes the handshake and then goes silent: the server's heartbeat gives up on it."""
    ann = await live.visitor()
    host, port = live.base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (
            f"GET /api/widget/v1/ws?token={ann['endUser']['websocketToken']} HTTP/1.1\r\nHost: {host}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        ).encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    interval = live.services.settings.ws_ping_interval_seconds
    async with asyncio.timeout(interval * 2 + 3):
        while await reader.read(4096):  # pings arrive and go unanswered, until the server hangs up
            pass
    writer.close()
