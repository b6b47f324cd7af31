"""Labels through the External API: a conversation's set replaced whole (normalised, at most 20), each change one
`conversation.labels_changed`, and the workspace's labels counted by name."""

from __future__ import annotations

from typing import Any

import pytest

from parley.ops.purge import purge
from parley.services.context import Services
from tests.api.external.test_conversation_status import assert_error, events_of
from tests.conftest import Api

LABELS_CHANGED = "conversation.labels_changed"


async def put_labels(api: Api, conversation_id: str, labels: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = await api.ok("PUT", f"/conversation/{conversation_id}/labels", json={"labels": labels})
    return found


async def label_events(services: Services, workspace_id: str, conversation_id: str) -> list[list[str]]:
    events = await events_of(services, workspace_id, conversation_id)
    return [e["data"]["labels"] for e in events if e["event"] == LABELS_CHANGED]


async def test_labels_are_trimmed_lower_cased_collapsed_and_sorted(api: Api, services: Services) -> None:
    cid = (await api.conversation())["id"]

    labelled = await put_labels(api, cid, ["  VIP ", "vip", "Billing", "été", "ÉTÉ", "refund\trequest"])

    assert labelled["labels"] == ["billing", "refund\trequest", "vip", "été"]
    assert await api.ok("GET", f"/conversation/{cid}") == labelled
    [event] = [e for e in await events_of(services, api.workspace_id, cid) if e["event"] == LABELS_CHANGED]
    assert event["data"] == {**labelled, "endUser": {**labelled["endUser"], "websocketToken": None}}


async def test_the_set_is_replaced_and_an_equal_set_changes_nothing(api: Api, services: Services) -> None:
    cid = (await api.conversation())["id"]
    await put_labels(api, cid, ["vip", "billing"])
    assert (await put_labels(api, cid, ["Billing", "VIP"]))["labels"] == ["billing", "vip"]
    assert (await put_labels(api, cid, ["billing", "refund"]))["labels"] == ["billing", "refund"]
    assert (await put_labels(api, cid, []))["labels"] == []

    assert await label_events(services, api.workspace_id, cid) == [["billing", "vip"], ["billing", "refund"], []]


async def test_the_limits_are_inclusive(api: Api) -> None:
    cid = (await api.conversation())["id"]
    longest = "x" * 50
    assert (await put_labels(api, cid, [f"  {longest.upper()}  "]))["labels"] == [longest]
    twenty = [f"label-{n:02}" for n in range(20)]
    assert (await put_labels(api, cid, twenty + [label.upper() for label in twenty]))["labels"] == twenty


@pytest.mark.parametrize(
    "body",
    [
        {"labels": [""]},
        {"labels": ["   "]},
        {"labels": ["ok", "x" * 51]},
        {"labels": [f"label-{n}" for n in range(21)]},
        {"labels": [f"label-{n}" for n in range(101)]},
        {"labels": ["x" * 201]},
        {"labels": "vip"},
        {"labels": [7]},
        {"labels": [None]},
        {"labels": ["bad\x00label"]},
        {"labels": None},
        {},
    ],
)
async def test_bad_labels_are_422_and_change_nothing(api: Api, services: Services, body: dict[str, Any]) -> None:
    cid = (await api.conversation())["id"]
    before = await put_labels(api, cid, ["vip"])
    events_before = await events_of(services, api.workspace_id, cid)

    response = await api.call("PUT", f"/conversation/{cid}/labels", json=body)

    assert_error(response, 422, "validation_error")
    assert await api.ok("GET", f"/conversation/{cid}") == before
    assert await events_of(services, api.workspace_id, cid) == events_before
    assert await api.ok("GET", "/labels") == [{"name": "vip", "count": 1}]


async def test_the_workspaces_labels_are_counted_by_name(api: Api, other_api: Api) -> None:
    first, second, third = [(await api.conversation())["id"] for _ in range(3)]
    await put_labels(api, first, ["vip", "billing"])
    await put_labels(api, second, ["billing"])
    await put_labels(api, third, ["angry", "billing"])
    await put_labels(other_api, (await other_api.conversation())["id"], ["billing", "theirs"])

    assert await api.ok("GET", "/labels") == [
        {"name": "angry", "count": 1},
        {"name": "billing", "count": 3},
        {"name": "vip", "count": 1},
    ]
    await put_labels(api, third, ["billing"])
    assert [label["name"] for label in await api.ok("GET", "/labels")] == ["billing", "vip"], "none carry angry"


async def test_another_workspaces_conversation_is_not_found(api: Api, other_api: Api) -> None:
    theirs = await other_api.conversation()
    response = await api.call("PUT", f"/conversation/{theirs['id']}/labels", json={"labels": ["mine"]})
    assert_error(response, 404, "not_found")
    assert (await other_api.ok("GET", f"/conversation/{theirs['id']}"))["labels"] == []
    assert await api.ok("GET", "/labels") == []


async def test_a_purged_conversation_takes_its_labels_along(api: Api, services: Services) -> None:
    """Labels are the conversation's rows: `parley purge` deleting it deletes them, so the counts stay true."""
    first, second = (await api.conversation())["id"], (await api.conversation())["id"]
    await put_labels(api, first, ["vip", "billing"])
    await put_labels(api, second, ["billing"])

    report = await purge(
        services.db,
        services.files,
        0,
        lambda _line: None,
        workspace_id=api.workspace_id,
        invalidate=services.invalidate,
    )

    assert report.conversations == 2
    assert await api.ok("GET", "/labels") == []
