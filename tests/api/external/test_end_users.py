"""End users through the External API, and the websocket token the integrator hands to the visitor's page."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import jwt

from parley.services.context import Services
from tests.conftest import Api


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


def _b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_create_without_fields_answers_an_end_user_with_a_token(api: Api) -> None:
    person = await api.ok("POST", "/end-users", json={})

    assert uuid.UUID(person["id"])
    assert isinstance(person["websocketToken"], str) and person["websocketToken"]
    assert isinstance(person["createdAt"], int) and person["updatedAt"] == person["createdAt"]
    assert person["name"] is None and person["email"] is None and person["serviceUserId"] is None
    assert await api.ok("GET", f"/end-users/{person['id']}") == person


async def test_create_with_fields_keeps_them(api: Api) -> None:
    fields = {"name": "Ann", "email": "ann@example.com", "serviceUserId": "crm-9", "meta": {"plan": "pro", "n": 3}}

    person = await api.ok("POST", "/end-users", json=fields)

    assert {k: person[k] for k in fields} == fields
    assert await api.ok("GET", f"/end-users/{person['id']}") == person


async def test_the_websocket_token_is_an_hs256_jwt_whose_subject_is_the_end_user(api: Api, services: Services) -> None:
    person = await api.ok("POST", "/end-users", json={"name": "Ann"})
    token = person["websocketToken"]

    parts = token.split(".")
    assert len(parts) == 3 and all(parts)
    assert all(set(p) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for p in parts)
    assert _b64url_json(parts[0])["alg"] == "HS256"
    claims = jwt.decode(token, services.settings.signing_key, algorithms=["HS256"])
    assert claims["sub"] == person["id"]


async def test_the_same_end_user_always_shows_the_same_token(api: Api) -> None:
    first = await api.ok("POST", "/end-users", json={})
    second = await api.ok("POST", "/end-users", json={})

    read = await api.ok("GET", f"/end-users/{first['id']}")
    conversation = await api.ok("POST", "/conversations", json={"endUserId": first["id"]})

    assert read["websocketToken"] == first["websocketToken"]
    assert conversation["endUser"]["websocketToken"] == first["websocketToken"]
    assert second["websocketToken"] != first["websocketToken"]


async def test_a_duplicate_service_user_id_is_a_conflict(api: Api, other_api: Api) -> None:
    await api.ok("POST", "/end-users", json={"serviceUserId": "crm-9"})

    _assert_error(await api.call("POST", "/end-users", json={"serviceUserId": "crm-9"}), 409, "conflict")
    assert (await other_api.ok("POST", "/end-users", json={"serviceUserId": "crm-9"}))["serviceUserId"] == "crm-9"
    without = [await api.ok("POST", "/end-users", json={}) for _ in range(2)]
    assert without[0]["id"] != without[1]["id"]


async def test_get_an_unknown_or_malformed_end_user_is_not_found(api: Api) -> None:
    for end_user_id in (str(uuid.uuid4()), "not-a-uuid"):
        _assert_error(await api.call("GET", f"/end-users/{end_user_id}"), 404, "not_found")


async def test_invalid_fields_are_a_validation_error(api: Api) -> None:
    for body in ({"name": "x" * 201}, {"serviceUserId": ""}, {"meta": [1, 2]}, {"name": "nul\x00"}):
        _assert_error(await api.call("POST", "/end-users", json=body), 422, "validation_error")
