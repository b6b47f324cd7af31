"""Revoking an agent's token, or deactivating the agent, closes their open websockets with 4401 and refuses their
next request: in this process, on another worker (over Redis), and from the `parley` command beside the server.

Tokens are cached for five minutes here, so nothing passes by waiting for an entry to expire.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis
import websockets

from parley.config import Settings
from parley.realtime.broker import CHANNEL, INVALIDATIONS
from tests.realtime.conftest import Live
from tests.support.live import Socket, free_port, open_socket
from tests.support.processes import parley_env, run_parley, serving

LONG_CACHE = 300


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"token_cache_seconds": LONG_CACHE})


async def closed_with(socket: Socket) -> int:
    """The code the server closes an open socket with (frames before it are skipped)."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await socket.next_event(within=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def console_status(base: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        response = await http.get("/api/agent/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def test_revoking_a_token_closes_its_sockets_and_only_its_own(live: Live) -> None:
    agent, revoked = await live.agent_with_token()
    [listed] = await live.api.ok("GET", f"/agents/{agent['id']}/tokens")
    kept = (await live.api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    async with (
        open_socket(f"{live.ws_base}/api/agent/v1/ws?token={revoked}") as doomed,
        open_socket(f"{live.ws_base}/api/agent/v1/ws?token={kept}") as spared,
    ):
        await live.api.ok("DELETE", f"/agents/{agent['id']}/tokens/{listed['id']}")
        assert await closed_with(doomed) == 4401
        await live.api.conversation()
        assert await spared.events_until(lambda f: f["event"] == "conversation.created")
    assert await console_status(live.base, revoked) == 401
    assert await console_status(live.base, kept) == 200


async def test_deactivating_an_agent_closes_every_socket_of_theirs(live: Live) -> None:
    agent, first = await live.agent_with_token()
    second = (await live.api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    async with (
        open_socket(f"{live.ws_base}/api/agent/v1/ws?token={first}") as one,
        open_socket(f"{live.ws_base}/api/agent/v1/ws?token={second}") as other,
    ):
        await live.api.ok("PUT", f"/agents/{agent['id']}", json={"active": False})
        assert await closed_with(one) == 4401
        assert await closed_with(other) == 4401
    assert await console_status(live.base, first) == 401


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_token_revoked_on_one_worker_is_refused_and_closed_on_the_other(
    two_workers: tuple[Live, Live],
) -> None:
    a, b = two_workers
    agent, token = await a.agent_with_token()
    deactivated, other_token = await a.agent_with_token("agent-2")
    assert await console_status(b.base, token) == 200  # cached on B
    assert await console_status(b.base, other_token) == 200
    async with (
        open_socket(f"{b.ws_base}/api/agent/v1/ws?token={token}") as revoked_socket,
        open_socket(f"{b.ws_base}/api/agent/v1/ws?token={other_token}") as deactivated_socket,
    ):
        [listed] = await a.api.ok("GET", f"/agents/{agent['id']}/tokens")
        await a.api.ok("DELETE", f"/agents/{agent['id']}/tokens/{listed['id']}")
        assert await console_status(b.base, token) == 401
        assert await closed_with(revoked_socket) == 4401

        await a.api.ok("PUT", f"/agents/{deactivated['id']}", json={"active": False})
        assert await console_status(b.base, other_token) == 401
        assert await closed_with(deactivated_socket) == 4401


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_sign_out_and_a_role_change_on_one_worker_hold_on_the_other_at_once(
    two_workers: tuple[Live, Live],
) -> None:
    a, b = two_workers
    admin, _ = await a.agent_with_token(role="admin")
    invitation = await a.api.ok("POST", f"/agents/{admin['id']}/invite")
    token = invitation["inviteUrl"].split("#token=")[1]
    accepted = await a.http.post(
        "/api/agent/v1/invitations/accept", json={"token": token, "password": "a long enough password"}
    )
    session = accepted.json()["data"]["token"]
    async with httpx.AsyncClient(base_url=b.base, timeout=10) as on_b:
        headers = {"Authorization": f"Bearer {session}"}
        assert (await on_b.get("/api/agent/v1/agents", headers=headers)).status_code == 200  # cached on B
        await a.api.ok("PUT", f"/agents/{admin['id']}", json={"role": "agent"})
        assert (await on_b.get("/api/agent/v1/agents", headers=headers)).status_code == 403
        async with open_socket(f"{b.ws_base}/api/agent/v1/ws?token={session}") as socket:
            signed_out = await a.http.delete("/api/agent/v1/sessions/current", headers=headers)
            assert signed_out.status_code == 200
            assert (await on_b.get("/api/agent/v1/me", headers=headers)).status_code == 401
            assert await closed_with(socket) == 4401


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_message_a_worker_cannot_read_does_not_deafen_it(
    two_workers: tuple[Live, Live], redis_url: str
) -> None:
    """Another version's message (a rolling upgrade) is skipped; the invalidation after it still arrives."""
    a, b = two_workers
    agent, token = await a.agent_with_token()
    assert await console_status(b.base, token) == 200
    client = redis.Redis.from_url(redis_url)
    try:
        for channel, body in ((CHANNEL, {"origin": "v9", "events": [{"field": 1}]}), (INVALIDATIONS, {"x": 1})):
            await client.publish(channel, json.dumps(body))
    finally:
        await client.aclose()

    [listed] = await a.api.ok("GET", f"/agents/{agent['id']}/tokens")
    await a.api.ok("DELETE", f"/agents/{agent['id']}/tokens/{listed['id']}")

    assert await console_status(b.base, token) == 401


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_erased_visitor_never_shows_their_old_name_on_another_worker(two_workers: tuple[Live, Live]) -> None:
    a, b = two_workers
    person = await a.api.ok("POST", "/end-users", json={"name": "Ann Secret"})
    token = person["websocketToken"]
    await b.api.ok("POST", "/conversations", json={"endUserId": person["id"]})
    session = await b.widget(token, "POST", "/session")  # B caches the end user
    assert session["endUser"]["name"] == "Ann Secret"
    assert (await b.api.ok("GET", f"/end-users/{person['id']}"))["name"] == "Ann Secret"

    await a.api.ok("DELETE", f"/end-users/{person['id']}")

    assert (await b.widget(token, "POST", "/session"))["endUser"]["name"] != "Ann Secret"
    assert (await b.api.ok("GET", f"/end-users/{person['id']}"))["name"] != "Ann Secret"


@pytest.fixture
def served(redis_url: str, postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """`parley serve --workers 2` on PostgreSQL + Redis; yields (base URL, the operator's env, an API token)."""
    env = parley_env(
        PARLEY_DATABASE_URL=postgres_url,
        PARLEY_REDIS_URL=redis_url,
        PARLEY_DATA_DIR=str(tmp_path),
        PARLEY_SECRET_KEY="a-secret-shared-by-every-worker-0123456789",
        PARLEY_TOKEN_CACHE_SECONDS=str(LONG_CACHE),
    )
    workspace = json.loads(run_parley(env, "workspaces", "create", "Acme", "--json").stdout)
    with serving(env, free_port(), "--workers", "2") as base:
        yield base, env | {"WORKSPACE": workspace["id"]}, workspace["token"]


async def test_parley_tokens_revoke_reaches_every_worker_of_a_running_server(
    served: tuple[str, dict[str, str], str],
) -> None:
    """Sockets and requests land on either worker (the kernel spreads connections): every one is refused."""
    base, env, api_token = served
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        headers = {"Authorization": api_token}
        body = {"serviceUserId": "a-1", "name": "Bo"}
        agent = (await http.post("/api/external/v1/agents", json=body, headers=headers)).json()["data"]
    token = run_parley(env, "agents", "token", "-w", env["WORKSPACE"], agent["id"]).stdout.strip()
    assert all(status == 200 for status in await asyncio.gather(*(console_status(base, token) for _ in range(12))))
    listed = json.loads(run_parley(env, "tokens", "list", "-w", env["WORKSPACE"], "--json").stdout)
    [console] = [row for row in listed if row["agent"] == agent["id"]]
    ws_base = base.replace("http://", "ws://")
    async with AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(open_socket(f"{ws_base}/api/agent/v1/ws?token={token}")) for _ in range(8)
        ]

        assert run_parley(env, "tokens", "revoke", console["id"]).returncode == 0

        assert set(await asyncio.gather(*(console_status(base, token) for _ in range(12)))) == {401}
        assert [await closed_with(socket) for socket in sockets] == [4401] * 8
