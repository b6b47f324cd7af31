"""Canned responses through the External API: reply templates, one per shortcut in a workspace."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import Api


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]["code"] == code and body["error"]["message"]


async def shortcuts(api: Api, **params: Any) -> list[str]:
    return [r["shortcut"] for r in await api.ok("GET", "/canned-responses", params=params)]


async def test_a_canned_response_is_created_listed_changed_and_deleted(api: Api) -> None:
    assert await api.ok("GET", "/canned-responses") == []
    body = {"shortcut": "refund", "text": "Your refund is on its way."}
    created = await api.ok("POST", "/canned-responses", json=body)
    assert set(created) == {"id", "shortcut", "text", "createdAt", "updatedAt"}
    assert (created["shortcut"], created["text"]) == ("refund", "Your refund is on its way.")
    assert created["createdAt"] == created["updatedAt"] > 0
    assert await api.ok("GET", "/canned-responses") == [created]

    path = f"/canned-responses/{created['id']}"
    text_changed = await api.ok("PUT", path, json={"text": "Refunded: 3-5 working days."})
    assert (text_changed["shortcut"], text_changed["text"]) == ("refund", "Refunded: 3-5 working days.")
    assert text_changed["createdAt"] == created["createdAt"] and text_changed["updatedAt"] >= created["updatedAt"]
    renamed = await api.ok("PUT", path, json={"shortcut": "refunded", "text": None})
    assert (renamed["shortcut"], renamed["text"]) == ("refunded", "Refunded: 3-5 working days.")
    assert await api.ok("PUT", path, json={}) == renamed
    assert await api.ok("GET", "/canned-responses") == [renamed]

    assert await api.ok("DELETE", path) == {"id": created["id"], "deleted": True}
    assert await api.ok("GET", "/canned-responses") == []
    assert_error(await api.call("DELETE", path), 404, "not_found")
    assert_error(await api.call("PUT", path, json={"text": "back?"}), 404, "not_found")


async def test_the_list_is_sorted_by_shortcut_byte_by_byte_and_pages_after_an_id(api: Api) -> None:
    """Both databases order `-` before digits before `_` before letters: a locale collation would not."""
    for shortcut in ("refund", "ab", "a_b", "0day", "a-b"):
        await api.ok("POST", "/canned-responses", json={"shortcut": shortcut, "text": f"Text of {shortcut}"})
    listed = await api.ok("GET", "/canned-responses")
    assert [r["shortcut"] for r in listed] == ["0day", "a-b", "a_b", "ab", "refund"]

    first = await api.ok("GET", "/canned-responses", params={"limit": 2})
    assert [r["shortcut"] for r in first] == ["0day", "a-b"]
    assert await shortcuts(api, limit=2, after=first[-1]["id"]) == ["a_b", "ab"]
    assert await shortcuts(api, after=listed[-1]["id"]) == []
    unknown = await api.call("GET", "/canned-responses", params={"after": "00000000-0000-4000-8000-000000000000"})
    assert_error(unknown, 404, "not_found")


INVALID = [
    *(("shortcut", value) for value in ("", "x" * 33, "Refund", "re fund", "/refund", "remboursé", "refund\n", 42)),
    *(("text", value) for value in ("", "x" * 10_001, "nul \x00 inside", 5)),
]


@pytest.mark.parametrize(("field", "value"), INVALID)
async def test_a_shortcut_is_1_to_32_of_a_z_0_9_underscore_dash_and_the_text_has_message_limits(
    api: Api, field: str, value: object
) -> None:
    valid = {"shortcut": "refund", "text": "Your refund is on its way."}
    assert_error(await api.call("POST", "/canned-responses", json={**valid, field: value}), 422, "validation_error")
    kept = await api.ok("POST", "/canned-responses", json={"shortcut": "kept", "text": "Kept as it is."})
    assert_error(await api.call("PUT", f"/canned-responses/{kept['id']}", json={field: value}), 422, "validation_error")
    assert await api.ok("GET", "/canned-responses") == [kept]


@pytest.mark.parametrize("body", [{"shortcut": "refund"}, {"text": "No shortcut."}, {}])
async def test_a_new_canned_response_needs_both_fields(api: Api, body: dict[str, str]) -> None:
    assert_error(await api.call("POST", "/canned-responses", json=body), 422, "validation_error")
    assert await api.ok("GET", "/canned-responses") == []


async def test_the_longest_shortcut_and_text_are_taken(api: Api) -> None:
    body = {"shortcut": "a-z_0-9" + "x" * 25, "text": "y" * 10_000}
    created = await api.ok("POST", "/canned-responses", json=body)
    assert (created["shortcut"], created["text"]) == (body["shortcut"], body["text"])


async def test_a_shortcut_is_unique_in_its_workspace_only(api: Api, other_api: Api) -> None:
    first = await api.ok("POST", "/canned-responses", json={"shortcut": "hello", "text": "Hello!"})
    again = await api.call("POST", "/canned-responses", json={"shortcut": "hello", "text": "Hi!"})
    assert_error(again, 409, "conflict")
    theirs = await other_api.ok("POST", "/canned-responses", json={"shortcut": "hello", "text": "Howdy!"})

    second = await api.ok("POST", "/canned-responses", json={"shortcut": "bye", "text": "Bye!"})
    taken = await api.call("PUT", f"/canned-responses/{second['id']}", json={"shortcut": "hello", "text": "Hi!"})
    assert_error(taken, 409, "conflict")
    assert await api.ok("GET", "/canned-responses") == [second, first]  # the refused change changed nothing
    assert await api.ok("PUT", f"/canned-responses/{first['id']}", json={"shortcut": "hello"}) == first
    assert await other_api.ok("GET", "/canned-responses") == [theirs]


async def test_concurrent_creations_of_one_shortcut_store_one(api: Api) -> None:
    bodies = [{"shortcut": "thanks", "text": f"Thank you ({n})"} for n in range(8)]
    answers = await asyncio.gather(*(api.call("POST", "/canned-responses", json=body) for body in bodies))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 7, [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 409):
        assert_error(refused, 409, "conflict")
    [stored] = [a.json()["data"] for a in answers if a.status_code == 200]
    assert await api.ok("GET", "/canned-responses") == [stored]


async def test_another_workspaces_canned_response_is_not_found(api: Api, other_api: Api) -> None:
    theirs = await other_api.ok("POST", "/canned-responses", json={"shortcut": "secret", "text": "Theirs."})
    path = f"/canned-responses/{theirs['id']}"
    assert_error(await api.call("PUT", path, json={"text": "Mine now"}), 404, "not_found")
    assert_error(await api.call("DELETE", path), 404, "not_found")
    assert_error(await api.call("GET", "/canned-responses", params={"after": theirs["id"]}), 404, "not_found")
    assert await api.ok("GET", "/canned-responses") == []
    assert await other_api.ok("GET", "/canned-responses") == [theirs]
