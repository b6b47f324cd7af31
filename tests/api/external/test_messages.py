"""Sending and reading messages through the External API."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx

from parley.services.context import Services
from tests.conftest import Api


async def test_a_text_message_is_stored_and_read_back_in_order(api: Api) -> None:
    conversation = await api.conversation(name="Ann")
    path = f"/conversation/{conversation['id']}"
    first = await api.ok("POST", f"{path}/send-text-message", json={"uuid": "m-1", "text": "Hello"})
    second = await api.ok("POST", f"{path}/send-text-message", json={"uuid": "m-2", "text": "Are you there?"})

    assert first["type"] == "text" and first["body"] == "Hello"
    assert first["endUser"]["id"] == conversation["endUser"]["id"]
    assert first["agent"] is None and first["bot"] is None and first["file"] is None and first["review"] is None
    assert second["microseconds"] > first["microseconds"]
    assert first["createdAt"] == first["microseconds"] // 1_000_000

    history = await api.ok("GET", f"{path}/messages")
    assert [m["id"] for m in history] == [first["id"], second["id"]]
    after_first = await api.ok("GET", f"{path}/messages", params={"after": first["microseconds"]})
    assert [m["id"] for m in after_first] == [second["id"]]


async def test_twenty_concurrent_sends_with_one_uuid_store_one_message(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}"
    body = {"uuid": "same", "text": "only once"}
    answers = await asyncio.gather(*(api.ok("POST", f"{path}/send-text-message", json=body) for _ in range(20)))

    assert len({a["id"] for a in answers}) == 1
    history = await api.ok("GET", f"{path}/messages")
    assert [m["body"] for m in history] == ["only once"]


MESSAGE_KEYS = {
    "id",
    "status",
    "type",
    "body",
    "file",
    "review",
    "bot",
    "agent",
    "endUser",
    "microseconds",
    "createdAt",
    "updatedAt",
}


async def _history(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    """The whole history, walked page by page."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await api.ok("GET", f"/conversation/{conversation_id}/messages", params={"after": after, "limit": 100})
        found += page
        if len(page) < 100:
            return found
        after = page[-1]["microseconds"]


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def test_the_same_uuid_with_another_text_is_a_uuid_conflict_and_stores_nothing(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}/send-text-message"
    first = await api.ok("POST", path, json={"uuid": "u-1", "text": "Hello"})

    response = await api.call("POST", path, json={"uuid": "u-1", "text": "Goodbye"})

    _assert_error(response, 409, "uuid_conflict")
    history = await _history(api, conversation["id"])
    assert [(m["id"], m["body"]) for m in history] == [(first["id"], "Hello")]


async def test_a_repeated_uuid_returns_the_identical_message_and_stores_one(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}/send-text-message"
    first = await api.ok("POST", path, json={"uuid": "u-1", "text": "Hello"})
    again = await api.ok("POST", path, json={"uuid": "u-1", "text": "Hello"})

    assert again["id"] == first["id"]
    assert again["microseconds"] == first["microseconds"]
    assert again == first
    history = await _history(api, conversation["id"])
    assert [m["id"] for m in history] == [first["id"]]


async def test_text_over_the_cap_is_refused_and_text_at_the_cap_is_accepted(api: Api, services: Services) -> None:
    cap = services.settings.max_text_length
    assert cap == 10_000
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}/send-text-message"

    response = await api.call("POST", path, json={"uuid": "long", "text": "x" * (cap + 1)})
    _assert_error(response, 422, "validation_error")
    assert await _history(api, conversation["id"]) == []

    accepted = await api.ok("POST", path, json={"uuid": "exact", "text": "y" * cap})
    assert accepted["body"] == "y" * cap
    assert [m["body"] for m in await _history(api, conversation["id"])] == ["y" * cap]


INVALID_SENDS: list[dict[str, Any]] = [
    {"uuid": "u-1", "text": ""},
    {"uuid": "u-1"},
    {"text": "Hello"},
    {"uuid": "", "text": "Hello"},
    {"uuid": "u" * 101, "text": "Hello"},
    {"uuid": "u-1", "text": "nul\x00inside"},
    {"uuid": "nul\x00uuid", "text": "Hello"},
    {"uuid": "u-1", "text": 42},
    {"uuid": 7, "text": "Hello"},
]


async def test_an_invalid_send_is_a_validation_error_and_stores_nothing(api: Api) -> None:
    conversation = await api.conversation()

    for body in INVALID_SENDS:
        response = await api.call("POST", f"/conversation/{conversation['id']}/send-text-message", json=body)
        _assert_error(response, 422, "validation_error")

    assert await _history(api, conversation["id"]) == []


async def test_a_uuid_of_exactly_100_characters_is_accepted(api: Api) -> None:
    conversation = await api.conversation()
    sent = await api.ok(
        "POST", f"/conversation/{conversation['id']}/send-text-message", json={"uuid": "u" * 100, "text": "ok"}
    )
    assert sent["body"] == "ok"


def _assert_strictly_increasing(history: list[dict[str, Any]]) -> None:
    stamps = [m["microseconds"] for m in history]
    assert all(a < b for a, b in itertools.pairwise(stamps)), stamps
    assert len({m["id"] for m in history}) == len(history)


async def test_fifty_concurrent_sends_are_all_stored_in_strictly_increasing_order(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}/send-text-message"

    answers = await asyncio.gather(
        *(api.ok("POST", path, json={"uuid": f"c-{i}", "text": f"message {i}"}) for i in range(50))
    )

    history = await _history(api, conversation["id"])
    _assert_strictly_increasing(history)
    assert len(history) == 50
    assert {m["body"] for m in history} == {f"message {i}" for i in range(50)}
    assert {a["id"]: a["microseconds"] for a in answers} == {m["id"]: m["microseconds"] for m in history}


async def test_concurrent_sends_to_two_conversations_keep_each_history_strictly_increasing(api: Api) -> None:
    first, second = await api.conversation(name="Ann"), await api.conversation(name="Bob")
    sends = [
        api.ok("POST", f"/conversation/{c['id']}/send-text-message", json={"uuid": f"k-{i}", "text": f"{i}"})
        for i in range(25)
        for c in (first, second)
    ]

    answers = await asyncio.gather(*sends)

    for conversation in (first, second):
        history = await _history(api, conversation["id"])
        _assert_strictly_increasing(history)
        assert sorted(int(m["body"]) for m in history) == list(range(25))
        assert all(m["conversationId"] in (None, conversation["id"]) for m in history)
    assert len({a["id"] for a in answers}) == 50


async def test_paging_with_after_and_limit_walks_the_history_exactly_once(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}"
    sent = [
        await api.ok("POST", f"{path}/send-text-message", json={"uuid": f"p-{i}", "text": f"text {i}"})
        for i in range(7)
    ]

    walked: list[dict[str, Any]] = []
    pages: list[int] = []
    after = 0
    while True:
        page = await api.ok("GET", f"{path}/messages", params={"after": after, "limit": 3})
        pages.append(len(page))
        if not page:
            break
        walked += page
        after = page[-1]["microseconds"]

    assert pages == [3, 3, 1, 0]
    assert [m["id"] for m in walked] == [m["id"] for m in sent]
    last = await api.ok("GET", f"{path}/messages", params={"after": sent[-1]["microseconds"]})
    assert last == []


async def test_a_locked_conversation_refuses_sends_until_unlocked(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}"
    locked = await api.ok("POST", f"{path}/lock")
    assert locked["locked"] is True

    response = await api.call("POST", f"{path}/send-text-message", json={"uuid": "l-1", "text": "Hello?"})

    _assert_error(response, 423, "conversation_locked")
    assert await _history(api, conversation["id"]) == []

    unlocked = await api.ok("POST", f"{path}/unlock")
    assert unlocked["locked"] is False
    sent = await api.ok("POST", f"{path}/send-text-message", json={"uuid": "l-1", "text": "Hello?"})
    assert [m["id"] for m in await _history(api, conversation["id"])] == [sent["id"]]


async def test_request_review_without_an_assigned_agent_is_a_conflict(api: Api) -> None:
    conversation = await api.conversation()

    response = await api.call("POST", f"/conversation/{conversation['id']}/request-review")

    _assert_error(response, 409, "no_assigned_agent")
    assert await _history(api, conversation["id"]) == []


async def test_request_review_posts_a_bot_message_reviewing_the_assigned_agent(api: Api) -> None:
    conversation = await api.conversation(name="Ann")
    agent = await api.agent("agent-7", name="Vera")
    path = f"/conversation/{conversation['id']}"
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})

    message = await api.ok("POST", f"{path}/request-review")

    assert message["type"] == "review"
    assert message["bot"] is not None and message["bot"]["id"] and message["bot"]["name"]
    assert message["agent"] is None and message["endUser"] is None and message["file"] is None
    review = message["review"]
    assert review["mark"] == 0 and review["confirmed"] is False and review["text"] == ""
    assert review["agent"]["id"] == agent["id"]
    assert review["agent"]["serviceUserId"] == "agent-7"
    assert review["endUser"]["id"] == conversation["endUser"]["id"]
    assert review["endUser"]["websocketToken"] == conversation["endUser"]["websocketToken"]
    assert message.keys() >= MESSAGE_KEYS
    history = await _history(api, conversation["id"])
    assert [m["id"] for m in history] == [message["id"]]
    assert history[0]["review"]["id"] == review["id"]


async def test_request_review_on_a_locked_conversation_is_refused(api: Api) -> None:
    conversation = await api.conversation()
    agent = await api.agent()
    path = f"/conversation/{conversation['id']}"
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent["id"]})
    await api.ok("POST", f"{path}/lock")

    _assert_error(await api.call("POST", f"{path}/request-review"), 423, "conversation_locked")

    assert await _history(api, conversation["id"]) == []
