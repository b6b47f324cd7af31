"""`parley port-db`: a populated SQLite install moved to PostgreSQL keeps its history, its tokens and its cursors."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from parley.app import create_app
from parley.ops.backup import sqlite_path
from parley.services.context import Services
from parley.services.workspaces import create_workspace
from parley.storage.database import Database
from tests.conftest import Api
from tests.ops.conftest import install_settings, parley_env, run_parley
from tests.support.live import Socket, live_server, open_socket
from tests.support.tables import dump_tables
from tests.support.upstream import FileServer, image_bytes


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _drain(socket: Socket, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Every frame until the socket has been quiet for `quiet` seconds (the replay is over)."""
    frames: list[dict[str, Any]] = []
    while True:
        try:
            frames.append(await socket.next_event(within=quiet))
        except TimeoutError:
            return frames


async def _ok(http: httpx.AsyncClient, method: str, url: str, token: str, **kwargs: Any) -> Any:
    response = await http.request(method, url, headers=_bearer(token), **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_populated_install_moves_to_postgresql_with_its_history_tokens_and_cursors(
    sqlite_install: tuple[Path, str], empty_postgres_url: str, file_server: FileServer
) -> None:
    data_dir, sqlite_url = sqlite_install
    picture = file_server.add("/port/picture.png", image_bytes("PNG", size=(300, 200)), "image/png")

    # A populated install: a webhook with deliveries, an agent with a console token, a visitor, messages of
    # every type (text from the API, the widget and the console, a file, a review), status changes, receipts.
    app = create_app(install_settings(data_dir, sqlite_url))
    async with live_server(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        services: Services = app.state.services
        workspace, token = await create_workspace(services, "Acme")
        api = Api(http, token, workspace.id)
        await api.ok("PUT", "/webhook", json={"url": file_server.url("/port/hook")})  # POSTs refused: retries
        agent = await api.agent()
        agent_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
        conversation = await api.conversation(name="Ann", email="ann@example.com", meta={"plan": "pro"})
        cid = conversation["id"]
        visitor_token = (await api.ok("GET", f"/end-users/{conversation['endUser']['id']}"))["websocketToken"]
        await api.ok("POST", f"/conversation/{cid}/assign-agent", json={"agentId": agent["id"]})
        await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "t1", "text": "Hello"})
        await _ok(http, "POST", "/api/widget/v1/messages", visitor_token, json={"uuid": "t2", "text": "Widget"})
        console = f"/api/agent/v1/conversations/{cid}"
        await _ok(http, "POST", f"{console}/messages", agent_token, json={"uuid": "a1", "text": "Agent here"})
        await api.ok("POST", f"/conversation/{cid}/send-file-message", json={"file": picture, "uuid": "f1"})
        await api.ok("POST", f"/conversation/{cid}/request-review")
        await api.ok("POST", f"/conversation/{cid}/lock")
        await api.ok("POST", f"/conversation/{cid}/unlock")
        await _ok(http, "POST", "/api/widget/v1/read", visitor_token, json={"until": 2**60})
        history = await api.ok("GET", f"/conversation/{cid}/messages?limit=100")
        assert {m["type"] for m in history} == {"text", "file", "review"}
        cursor = history[1]["microseconds"]
        resume = f"{base.replace('http', 'ws')}/api/widget/v1/ws?token={visitor_token}&after={cursor}"
        async with open_socket(resume) as socket:
            replay_before = await _drain(socket)
        assert len(replay_before) >= 6
        deliveries_before = {d["id"] for d in await api.ok("GET", "/webhook/deliveries?limit=100")}
        assert deliveries_before
    sqlite_db = Database(sqlite_url)
    sqlite_rows = await dump_tables(sqlite_db)
    await sqlite_db.dispose()

    ran = await run_parley(parley_env(data_dir, sqlite_url), "port-db", "--to", empty_postgres_url, "--batch-size", "3")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "migrating the target database" in ran.stdout
    assert "MISMATCH" not in ran.stdout
    counted = {line.split()[0]: line.split()[1:] for line in ran.stdout.splitlines() if line.endswith(" ok")}
    assert set(counted) >= {"workspaces", "api_tokens", "files", "messages", "reviews", "events", "webhook_deliveries"}
    assert counted["messages"] == [str(len(history)), str(len(history)), "ok"]
    postgres_db = Database(empty_postgres_url)
    assert await dump_tables(postgres_db) == sqlite_rows, "every row of every table, value for value"
    await postgres_db.dispose()

    # Parley on PostgreSQL: the same history, tokens and cursors; new rows get new positions.
    app = create_app(install_settings(data_dir, empty_postgres_url))
    async with live_server(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        api = Api(http, token, workspace.id)
        assert await api.ok("GET", f"/conversation/{cid}/messages?limit=100") == history
        assert {d["id"] for d in await api.ok("GET", "/webhook/deliveries?limit=100")} >= deliveries_before
        assert (await _ok(http, "GET", "/api/agent/v1/me", agent_token))["id"] == agent["id"]
        widget_history = await _ok(http, "GET", "/api/widget/v1/messages?limit=100", visitor_token)
        assert [m["id"] for m in widget_history] == [m["id"] for m in history]
        resume = f"{base.replace('http', 'ws')}/api/widget/v1/ws?token={visitor_token}&after={cursor}"
        async with open_socket(resume) as socket:
            replay_after = await _drain(socket)
            assert [f["id"] for f in replay_after] == [f["id"] for f in replay_before]
            sent = await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "t3", "text": "New"})
            live = await socket.events_until(lambda f: f["event"] == "message.created")
        assert live[-1]["data"]["id"] == sent["id"]
        assert sent["microseconds"] > max(m["microseconds"] for m in history)
        newest = await api.ok("GET", "/webhook/deliveries?limit=1")
        assert newest[0]["eventId"] == live[-1]["id"], "a new delivery, after the copied ones"
        stream = f"{base.replace('http', 'ws')}/api/agent/v1/ws?token={agent_token}&after=0"
        async with open_socket(stream) as socket:
            replayed = await _drain(socket)
            assert [f["position"] for f in replayed] == list(range(1, len(replayed) + 1))
            await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "t4", "text": "Next"})
            following = await socket.events_until(lambda f: f["event"] == "message.created")
        assert following[-1]["position"] == len(replayed) + 1, "the workspace's stream goes on where it was"

    again = await run_parley(parley_env(data_dir, sqlite_url), "port-db", "--to", empty_postgres_url)
    assert again.returncode == 1 and "not empty" in again.stderr


async def test_port_db_refuses_what_it_cannot_port(sqlite_install: tuple[Path, str]) -> None:
    data_dir, sqlite_url = sqlite_install
    env = parley_env(data_dir, sqlite_url)
    postgres_url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    not_postgres, from_postgres = await asyncio.gather(
        run_parley(env, "port-db", "--to", "sqlite+aiosqlite:///elsewhere.db"),
        run_parley(parley_env(data_dir, postgres_url), "port-db", "--to", postgres_url),
    )
    assert not_postgres.returncode == 1 and "postgresql+asyncpg" in not_postgres.stderr
    assert from_postgres.returncode == 1 and "SQLite" in from_postgres.stderr


async def test_port_db_repairs_json_an_earlier_parley_let_in_and_says_which_rows(
    sqlite_install: tuple[Path, str], empty_postgres_url: str
) -> None:
    data_dir, sqlite_url = sqlite_install
    app = create_app(install_settings(data_dir, sqlite_url))
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://parley.test") as http,
    ):
        workspace, token = await create_workspace(app.state.services, "Acme")
        api = Api(http, token, workspace.id)
        people = [await api.conversation(name=name, meta={"plan": "pro"}) for name in "ABCD"]
        numbers, text, deep, fine = [person["endUser"]["id"] for person in people]
    # What an earlier Parley stored (its JSON encoder writes NaN and Infinity, and \ud83d escapes, as they are).
    stored_before = {
        numbers: '{"score": NaN, "limits": [Infinity, -Infinity, 1], "plan": "pro"}',
        text: '{"note": "broken \\ud83d here", "\\udc00key": "nul \\u0000 inside"}',
        deep: '{"a": ' * 600 + "1" + "}" * 600,
    }
    with sqlite3.connect(sqlite_path(sqlite_url)) as raw:
        for end_user_id, meta in stored_before.items():
            raw.execute("UPDATE end_users SET meta = ? WHERE id = ?", (meta, end_user_id))

    ran = await run_parley(parley_env(data_dir, sqlite_url), "port-db", "--to", empty_postgres_url)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    repairs = [line for line in ran.stdout.splitlines() if line.startswith("repaired ")]
    assert len(repairs) == 3 and "MISMATCH" not in ran.stdout
    for end_user_id in stored_before:
        assert any(line.startswith(f"repaired end_users {end_user_id}: meta ") for line in repairs), repairs
    app = create_app(install_settings(data_dir, empty_postgres_url))
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://parley.test") as http,
    ):
        api = Api(http, token, workspace.id)
        assert (await api.ok("GET", f"/end-users/{numbers}"))["meta"] == {
            "score": None,
            "limits": [None, None, 1],
            "plan": "pro",
        }
        assert (await api.ok("GET", f"/end-users/{text}"))["meta"] == {
            "note": "broken \ufffd here",
            "\ufffdkey": "nul \ufffd inside",
        }
        assert (await api.ok("GET", f"/end-users/{deep}"))["meta"] == {}
        assert (await api.ok("GET", f"/end-users/{fine}"))["meta"] == {"plan": "pro"}
        assert len(await api.ok("GET", "/conversations?limit=10")) == 4
