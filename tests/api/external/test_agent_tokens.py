"""Agents' console tokens: listed without their secret, revoked one by one, and refused for an inactive agent.

The token cache is long here (five minutes): a revoked token or a deactivated agent must be refused on the very
next request because the cache entry is dropped, not because it expired.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from parley.config import Settings
from parley.services.context import Services
from tests.conftest import Api
from tests.support.waiting import polled

TOKEN_KEYS = {"id", "createdAt", "lastUsedAt"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"token_cache_seconds": 300})


async def _console(api: Api, token: str) -> httpx.Response:
    return await api.client.get("/api/agent/v1/me", headers={"Authorization": f"Bearer {token}"})


async def _agent_with_tokens(api: Api, count: int, service_user_id: str = "agent-1") -> tuple[str, list[str]]:
    agent = await api.agent(service_user_id)
    tokens = [(await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"] for _ in range(count)]
    return agent["id"], tokens


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def test_the_list_shows_each_live_token_without_its_secret(api: Api) -> None:
    agent_id, tokens = await _agent_with_tokens(api, 2)
    before = int(time.time())

    listed = await api.ok("GET", f"/agents/{agent_id}/tokens")

    assert [set(t) for t in listed] == [TOKEN_KEYS, TOKEN_KEYS]
    assert all(t["lastUsedAt"] is None and before - 5 <= t["createdAt"] <= before + 5 for t in listed)
    assert len({t["id"] for t in listed}) == 2
    assert not any(secret in str(listed) for secret in tokens)
    other_id, _ = await _agent_with_tokens(api, 1, "agent-2")
    assert len(await api.ok("GET", f"/agents/{other_id}/tokens")) == 1, "only that agent's tokens"


async def test_a_used_token_shows_when_it_was_last_used(api: Api) -> None:
    agent_id, [used, _unused] = await _agent_with_tokens(api, 2)
    assert (await _console(api, used)).status_code == 200
    now = int(time.time())

    listed = await polled(
        lambda: api.ok("GET", f"/agents/{agent_id}/tokens"), lambda found: found[0]["lastUsedAt"] is not None
    )
    first, second = [t["lastUsedAt"] for t in listed]
    assert now - 5 <= first <= now + 5 and second is None


@pytest.fixture
def token_writes(services: Services) -> Iterator[list[str]]:
    """The statements that write `last_used_at`, as the database receives them."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "last_used_at" in statement and statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)  # every engine: the database's are its own
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


async def test_using_a_token_many_times_writes_its_last_use_once(api: Api, token_writes: list[str]) -> None:
    agent_id, [token] = await _agent_with_tokens(api, 1)

    for _ in range(20):
        assert (await _console(api, token)).status_code == 200

    await polled(lambda: api.ok("GET", f"/agents/{agent_id}/tokens"), lambda found: found[0]["lastUsedAt"] is not None)
    assert len(token_writes) == 1


async def test_a_revoked_token_is_refused_on_its_next_request_and_leaves_the_list(api: Api) -> None:
    agent_id, [revoked, kept] = await _agent_with_tokens(api, 2)
    for token in (revoked, kept):
        assert (await _console(api, token)).status_code == 200  # both now cached for five minutes
    token_id = (await api.ok("GET", f"/agents/{agent_id}/tokens"))[0]["id"]

    assert await api.ok("DELETE", f"/agents/{agent_id}/tokens/{token_id}") == {"id": token_id, "deleted": True}

    _assert_error(await _console(api, revoked), 401, "unauthorized")
    assert (await _console(api, kept)).status_code == 200
    assert [t["id"] for t in await api.ok("GET", f"/agents/{agent_id}/tokens")] != [token_id]
    assert len(await api.ok("GET", f"/agents/{agent_id}/tokens")) == 1
    _assert_error(await api.call("DELETE", f"/agents/{agent_id}/tokens/{token_id}"), 404, "not_found")


async def test_only_a_token_of_that_agent_in_this_workspace_can_be_revoked(api: Api, other_api: Api) -> None:
    agent_id, [token] = await _agent_with_tokens(api, 1)
    other_agent_id, _ = await _agent_with_tokens(api, 1, "agent-2")
    rival_agent_id, _ = await _agent_with_tokens(other_api, 1)
    token_id = (await api.ok("GET", f"/agents/{agent_id}/tokens"))[0]["id"]
    unknown = "0190a0a0-0000-7000-8000-000000000000"

    for path in (
        f"/agents/{agent_id}/tokens/{unknown}",
        f"/agents/{agent_id}/tokens/not-an-id",
        f"/agents/{other_agent_id}/tokens/{token_id}",
        f"/agents/{unknown}/tokens/{token_id}",
    ):
        _assert_error(await api.call("DELETE", path), 404, "not_found")
    _assert_error(await other_api.call("DELETE", f"/agents/{agent_id}/tokens/{token_id}"), 404, "not_found")
    _assert_error(await other_api.call("GET", f"/agents/{agent_id}/tokens"), 404, "not_found")
    _assert_error(await other_api.call("DELETE", f"/agents/{rival_agent_id}/tokens/{token_id}"), 404, "not_found")

    assert (await _console(api, token)).status_code == 200
    assert len(await api.ok("GET", f"/agents/{agent_id}/tokens")) == 1


async def test_a_deactivated_agent_is_refused_on_the_next_request_and_gets_no_new_token(api: Api) -> None:
    agent_id, [token] = await _agent_with_tokens(api, 1)
    conversation = await api.conversation()
    away = {"availability": "away"}
    console = {"Authorization": f"Bearer {token}"}
    assert (await api.client.put("/api/agent/v1/me/availability", json=away, headers=console)).status_code == 200

    await api.ok("PUT", f"/agents/{agent_id}", json={"active": False})

    _assert_error(await _console(api, token), 401, "unauthorized")
    reply = {"uuid": "r1", "text": "still here?"}
    path = f"/api/agent/v1/conversations/{conversation['id']}/messages"
    _assert_error(await api.client.post(path, json=reply, headers=console), 401, "unauthorized")
    refused = await api.client.put("/api/agent/v1/me/availability", json=away, headers=console)
    _assert_error(refused, 401, "unauthorized")
    _assert_error(await api.call("POST", f"/agents/{agent_id}/tokens"), 409, "conflict")
    assert await api.ok("GET", f"/agents/{agent_id}/tokens") == []

    await api.ok("PUT", f"/agents/{agent_id}", json={"active": True})
    fresh = (await api.ok("POST", f"/agents/{agent_id}/tokens"))["token"]
    assert (await _console(api, fresh)).status_code == 200
    _assert_error(await _console(api, token), 401, "unauthorized")  # deactivation ended the old sessions for good
