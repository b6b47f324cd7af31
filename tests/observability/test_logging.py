"""One structured line per request, request ids, and no secret in any log line.

The last test is the one that matters most: a real `parley serve` in production mode (JSON logs), sent requests
carrying every kind of secret (API and agent tokens, websocket tokens in headers and in websocket query strings,
a webhook secret, message text, a wrong token), whose whole stderr is then searched for each of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from parley.config import Settings
from parley.observability.logging import JsonFormatter, TextFormatter, access_record, log_config, redact
from parley.observability.middleware import MAX_REQUEST_ID, client_request_id
from tests.conftest import Api
from tests.support.live import free_port
from tests.support.waiting import polled

SEND = "/api/external/v1/conversation/{id}/send-text-message"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [dict(r.fields) for r in caplog.records if r.name == "parley.access"]  # type: ignore[attr-defined]


async def test_a_request_id_is_generated_and_returned(client: httpx.AsyncClient) -> None:
    first, second = (
        (await client.get("/healthz")).headers["x-request-id"],
        (await client.get("/healthz")).headers["x-request-id"],
    )
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


async def test_the_clients_request_id_is_kept_sanitised_and_capped(client: httpx.AsyncClient) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2:9_x"})
    assert kept.headers["x-request-id"] == "lb-7f3a.2:9_x"
    dirty = await client.get("/healthz", headers={"X-Request-ID": 'abc def"\\<script>'})
    assert dirty.headers["x-request-id"] == "abcdefscript"
    long = await client.get("/healthz", headers={"X-Request-ID": "a" * 500})
    assert long.headers["x-request-id"] == "a" * MAX_REQUEST_ID
    nothing_left = await client.get("/healthz", headers={"X-Request-ID": "<>!!"})
    assert len(nothing_left.headers["x-request-id"]) == 32


def test_a_request_id_that_looks_like_a_credential_is_replaced() -> None:
    assert client_request_id(b"plt_abcdefghijklmnop") is None
    assert client_request_id(b"eyJhbGciOiJIUzI1NiJ9.e30.x") is None


async def test_one_access_line_per_request_with_route_template_and_workspace(
    api: Api, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    conversation = await api.conversation()
    caplog.set_level(logging.INFO, logger="parley.access")
    caplog.clear()
    sent = await client.post(
        f"/api/external/v1/conversation/{conversation['id']}/send-text-message",
        json={"uuid": "a", "text": "hi"},
        headers={**api.headers, "X-Request-ID": "req-42"},
    )
    assert sent.status_code == 200
    await client.get("/api/external/v1/agents")  # no token: 401, no workspace known
    [line, refused] = access_lines(caplog)
    assert line["method"] == "POST"
    assert line["route"] == SEND
    assert line["status"] == 200
    assert line["request_id"] == "req-42"
    assert line["workspace_id"] == api.workspace_id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert (refused["route"], refused["status"], refused["workspace_id"]) == ("/api/external/v1/agents", 401, None)


def test_the_formats() -> None:
    fields = {"method": "GET", "route": "/healthz", "status": 200, "duration_ms": 0.4, "request_id": "r1"}
    line = json.loads(JsonFormatter().format(access_record({**fields, "workspace_id": None})))
    assert line["level"] == "info" and line["logger"] == "parley.access" and line["message"] == "request"
    assert {key: line[key] for key in fields} == fields
    text = TextFormatter().format(access_record({**fields, "workspace_id": None}))
    assert text.endswith("parley.access request method=GET route=/healthz status=200 duration_ms=0.4 request_id=r1")


def test_json_is_the_default_in_production_and_the_setting_decides_otherwise() -> None:
    def formatter(**values: Any) -> str:
        config = log_config(Settings(**values))
        return str(config["formatters"]["parley"]["()"])

    assert formatter(env="production").endswith("JsonFormatter")
    assert formatter().endswith("TextFormatter")
    assert formatter(env="production", log_format="text").endswith("TextFormatter")
    assert formatter(log_format="json").endswith("JsonFormatter")
    assert log_config(Settings())["loggers"]["uvicorn.access"]["handlers"] == []


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ('127.0.0.1:5 - "WebSocket /api/widget/v1/ws?token=abc.def.ghi&after=5" [accepted]', "abc.def.ghi"),
        ("GET /api/agent/v1/ws?after=1&token=plt_secretsecretsecret HTTP/1.1", "secretsecretsecret"),
        ("headers={'Authorization': 'Bearer plt_zzzzzzzzzzzzzz'}", "zzzzzzzzzzzzzz"),
        ("secret whsec_0123456789abcdef in a message", "0123456789abcdef"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig-nature_ in a message", "eyJzdWIiOiJ4In0"),
        ("1 validation error: input_value='my private text', input_type=str", "my private text"),
    ],
)
def test_redaction(raw: str, secret: str) -> None:
    assert secret not in redact(raw)


@pytest.fixture
def production_server(tmp_path: Path) -> Any:
    """`parley serve` with PARLEY_ENV=production (JSON logs by default), its stderr in a file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    port = free_port()
    env |= {
        "PARLEY_ENV": "production",
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "PARLEY_SECRET_KEY": secrets.token_urlsafe(48),
        "PARLEY_PUBLIC_URL": "https://chat.example.com",
        "PARLEY_BOOTSTRAP_TOKEN": "plt_" + secrets.token_urlsafe(32),
        "PARLEY_FETCH_ALLOWLIST": "127.0.0.1",
        "PARLEY_PRESENCE_GRACE_SECONDS": "0.1",
        "PARLEY_METRICS_TOKEN": secrets.token_urlsafe(32),
    }
    parley = [sys.executable, "-m", "parley.cli"]
    subprocess.run([*parley, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    log = tmp_path / "stderr.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*parley, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=sink
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, env["PARLEY_BOOTSTRAP_TOKEN"], log
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_no_secret_or_message_text_reaches_the_logs(production_server: Any) -> None:
    base, api_token, log = production_server
    text = f"my card number is {secrets.token_hex(8)}"
    webhook_secret = f"hook-{secrets.token_hex(16)}"
    wrong_token = f"plt_{secrets.token_urlsafe(32)}"
    ws_base = base.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=f"{base}/api/external/v1", headers={"Authorization": api_token}) as api:
        end_user = (await api.post("/end-users", json={"name": "Ann"})).json()["data"]
        visitor_token = end_user["websocketToken"]
        conversation = (await api.post("/conversations", json={"endUserId": end_user["id"]})).json()["data"]
        path = f"/conversation/{conversation['id']}"
        assert (await api.post(f"{path}/send-text-message", json={"uuid": "1", "text": text})).status_code == 200
        too_long = {"uuid": "2", "text": text * 2000}
        assert (await api.post(f"{path}/send-text-message", json=too_long)).status_code == 422
        broken = (await api.post(f"{path}/send-text-message", content=f'{{"text": "{text}'.encode())).status_code
        assert broken == 422
        hook = {"url": f"http://127.0.0.1:{free_port()}/hook?key={webhook_secret}", "secret": webhook_secret}
        assert (await api.put("/webhook", json=hook)).status_code == 200
        agent = (await api.post("/agents", json={"serviceUserId": "a1", "name": "Ann Agent"})).json()["data"]
        agent_token = (await api.post(f"/agents/{agent['id']}/tokens")).json()["data"]["token"]
        assert (await api.get("/agents", headers={"Authorization": wrong_token})).status_code == 401
    async with httpx.AsyncClient(base_url=base) as http:
        widget = {"Authorization": f"Bearer {visitor_token}"}
        reply = await http.post("/api/widget/v1/messages", json={"uuid": "w1", "text": text + " again"}, headers=widget)
        assert reply.status_code == 200
        console = {"Authorization": f"Bearer {agent_token}"}
        assert (await http.get("/api/agent/v1/conversations", headers=console)).status_code == 200
    for url in (
        f"{ws_base}/api/widget/v1/ws?token={visitor_token}&after=0",
        f"{ws_base}/api/agent/v1/ws?token={agent_token}",
    ):
        async with websockets.connect(url, open_timeout=5) as socket:
            await socket.close()
    async with websockets.connect(f"{ws_base}/api/agent/v1/ws?token={wrong_token}", open_timeout=5) as socket:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 5)  # refused with 4401
    written = await polled(  # the server writes its log lines after answering: the three sockets' come last
        lambda: asyncio.to_thread(log.read_text), lambda text: text.count("WebSocket") >= 3 and text.endswith("\n")
    )
    for secret in (api_token, visitor_token, agent_token, webhook_secret, wrong_token, text):
        assert secret not in written, f"a log line carries {secret[:12]}..."
    assert "my card number" not in written
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "parley.access"]
    routes = {(line["method"], line["route"], line["status"]) for line in access}
    assert ("POST", SEND, 200) in routes and ("POST", SEND, 422) in routes
    assert ("GET", "/api/external/v1/agents", 401) in routes
    assert all(line["request_id"] and line["duration_ms"] >= 0 for line in access)
    assert {line["workspace_id"] for line in access if line["status"] == 200} - {None}
    sockets = [line["message"] for line in lines if "WebSocket" in line["message"]]
    assert len(sockets) == 3 and all("token=[redacted]" in message for message in sockets)
    assert not [line for line in lines if line["level"] == "error"]
