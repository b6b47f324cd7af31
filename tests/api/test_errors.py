"""Every refusal is the spec's error envelope, with `status` equal to the HTTP status; health checks answer."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from parley.services.context import Services
from parley.services.workspaces import list_tokens, revoke_token
from tests.conftest import Api
from tests.support.waiting import polled

BASE = "/api/external/v1"


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Exactly `{"status": N, "error": {"code", "message"}}`, N being the HTTP status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "error"}
    assert body["status"] == status
    assert set(body["error"]) == {"code", "message"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return dict(body)


async def test_a_missing_or_wrong_token_is_unauthorized(client: httpx.AsyncClient, api: Api) -> None:
    assert_error(await client.get(f"{BASE}/agents"), 401, "unauthorized")
    for header in ("plt_not-a-real-token", "Bearer plt_not-a-real-token", "Bearer", "Bearer ", "", api.token + "x"):
        response = await client.get(f"{BASE}/agents", headers={"Authorization": header})
        assert_error(response, 401, "unauthorized")


async def test_the_bare_token_and_bearer_token_both_work(client: httpx.AsyncClient, api: Api) -> None:
    for header in (api.token, f"Bearer {api.token}", f"bearer {api.token}", f"  Bearer   {api.token}  "):
        response = await client.get(f"{BASE}/agents", headers={"Authorization": header})
        assert response.status_code == 200, (header, response.text)
        assert response.json() == {"status": 200, "data": []}


async def test_a_revoked_token_stops_working(client: httpx.AsyncClient, api: Api, services: Services) -> None:
    await api.ok("GET", "/agents")  # cached as valid
    [token] = await list_tokens(services, api.workspace_id)

    assert await revoke_token(services, token.id)

    assert_error(await polled(lambda: api.call("GET", "/agents"), lambda r: r.status_code == 401), 401, "unauthorized")
    response = await client.get(f"{BASE}/agents", headers={"Authorization": f"Bearer {api.token}"})
    assert_error(response, 401, "unauthorized")


async def test_malformed_json_and_non_object_bodies_are_validation_errors(api: Api) -> None:
    conversation = await api.conversation()
    path = f"/conversation/{conversation['id']}/send-text-message"
    json_headers = {**api.headers, "Content-Type": "application/json"}
    bodies = [b'{"uuid": "x", "text": ', b"not json", b"[]", b'[{"uuid": "x", "text": "y"}]', b'"text"', b"null"]
    for content in bodies:
        response = await api.client.post(f"{BASE}{path}", content=content, headers=json_headers)
        assert_error(response, 422, "validation_error")
    response = await api.client.post(f"{BASE}/agents", content=b"{", headers=json_headers)
    assert_error(response, 422, "validation_error")
    assert await api.ok("GET", f"/conversation/{conversation['id']}/messages") == []


async def test_unknown_routes_are_not_found(client: httpx.AsyncClient, api: Api) -> None:
    for path in ("/nope", f"{BASE}/nope", f"{BASE}/conversation", f"{BASE}/agents/{uuid.uuid4()}/nope"):
        assert_error(await client.get(path, headers=api.headers), 404, "not_found")


async def test_a_wrong_method_is_405(client: httpx.AsyncClient, api: Api) -> None:
    conversation = await api.conversation()
    calls = [
        ("DELETE", f"{BASE}/agents"),
        ("PATCH", f"{BASE}/agents/{uuid.uuid4()}"),
        ("GET", f"{BASE}/conversation/{conversation['id']}/send-text-message"),
        ("PUT", f"{BASE}/conversations"),
        ("POST", "/healthz"),
    ]
    for method, path in calls:
        assert_error(await client.request(method, path, headers=api.headers), 405)


async def test_a_body_over_the_limit_with_a_content_length_is_413(api: Api, services: Services) -> None:
    conversation = await api.conversation()
    limit = services.settings.max_body_bytes
    assert limit == 1_048_576
    body = json.dumps({"uuid": "big", "text": "x" * limit}).encode()

    response = await api.client.post(
        f"{BASE}/conversation/{conversation['id']}/send-text-message",
        content=body,
        headers={**api.headers, "Content-Type": "application/json"},
    )

    assert int(response.request.headers["content-length"]) > limit
    assert_error(response, 413, "payload_too_large")
    assert await api.ok("GET", f"/conversation/{conversation['id']}/messages") == []


async def test_a_chunked_body_over_the_limit_is_413(api: Api, services: Services) -> None:
    conversation = await api.conversation()
    limit = services.settings.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"uuid": "big", "text": "'
        for _ in range(limit // 65_536 + 2):
            yield b"x" * 65_536
        yield b'"}'

    response = await api.client.post(
        f"{BASE}/conversation/{conversation['id']}/send-text-message",
        content=chunks(),
        headers={**api.headers, "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")
    assert await api.ok("GET", f"/conversation/{conversation['id']}/messages") == []


async def test_a_chunked_body_under_the_limit_is_accepted(api: Api) -> None:
    conversation = await api.conversation()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"uuid": "small", '
        yield b'"text": "in pieces"}'

    response = await api.client.post(
        f"{BASE}/conversation/{conversation['id']}/send-text-message",
        content=chunks(),
        headers={**api.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["body"] == "in pieces"


@pytest.mark.parametrize("bad_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "42", "%20", "a" * 300])
async def test_unknown_and_malformed_ids_are_not_found(api: Api, bad_id: str) -> None:
    agent = await api.agent()
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/end-users/{bad_id}", None),
        ("GET", f"/agents/{bad_id}", None),
        ("PUT", f"/agents/{bad_id}", {"name": "X"}),
        ("GET", f"/conversation/{bad_id}", None),
        ("GET", f"/conversation/{bad_id}/messages", None),
        ("POST", f"/conversation/{bad_id}/send-text-message", {"uuid": "u", "text": "t"}),
        ("POST", f"/conversation/{bad_id}/send-file-message", {"uuid": "u", "file": "http://127.0.0.1:9/x"}),
        ("POST", f"/conversation/{bad_id}/request-review", None),
        ("POST", f"/conversation/{bad_id}/assign-agent", {"agentId": agent["id"]}),
        ("POST", f"/conversation/{bad_id}/unassign-agent", None),
        ("POST", f"/conversation/{bad_id}/lock", None),
        ("POST", f"/conversation/{bad_id}/unlock", None),
        ("POST", "/conversations", {"endUserId": bad_id}),
    ]
    for method, path, body in calls:
        response = await api.call(method, path, json=body)
        assert_error(response, 404, "not_found")


async def test_out_of_range_paging_parameters_are_validation_errors(api: Api) -> None:
    conversation = await api.conversation()
    queries: list[tuple[str, dict[str, Any]]] = [
        (f"/conversation/{conversation['id']}/messages", {"after": -1}),
        (f"/conversation/{conversation['id']}/messages", {"after": 10**30}),
        (f"/conversation/{conversation['id']}/messages", {"after": "soon"}),
        (f"/conversation/{conversation['id']}/messages", {"limit": 0}),
        (f"/conversation/{conversation['id']}/messages", {"limit": 101}),
        ("/conversations", {"limit": 0}),
        ("/conversations", {"limit": 101}),
        ("/agents", {"limit": 0}),
        ("/agents", {"limit": 101}),
        ("/agents", {"limit": -5}),
    ]
    for path, params in queries:
        assert_error(await api.call("GET", path, params=params), 422, "validation_error")
    assert await api.ok("GET", f"/conversation/{conversation['id']}/messages", params={"limit": 100}) == []
    assert await api.ok("GET", "/agents", params={"limit": 1}) == []


async def test_health_checks_answer_200(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status_code == 200, response.text
