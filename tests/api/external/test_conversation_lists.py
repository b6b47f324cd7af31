"""The inbox's list through the External API: filters by status, assignee and label combined with AND, sorted newest
first or longest waiting first, paged by `after` within that order."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.external.test_conversation_status import assert_error, set_status
from tests.api.external.test_labels import put_labels
from tests.conftest import Api
from tests.support.waiting import eventually


async def listed(api: Api, **params: Any) -> list[str]:
    return [c["id"] for c in await api.ok("GET", "/conversations", params=params)]


async def walked(api: Api, limit: int, **params: Any) -> list[str]:
    """Every page of the listing, `limit` at a time, following `after`."""
    ids: list[str] = []
    while page := await api.ok("GET", "/conversations", params={**params, "limit": limit, **after_(ids)}):
        assert len(page) <= limit
        ids += [c["id"] for c in page]
    return ids


def after_(ids: list[str]) -> dict[str, str]:
    return {"after": ids[-1]} if ids else {}


async def test_status_filters_one_or_several(api: Api) -> None:
    opened = [(await api.conversation())["id"] for _ in range(5)]
    await set_status(api, opened[0], "pending")
    await set_status(api, opened[1], "resolved")
    await set_status(api, opened[2], "snoozed", snoozedUntil=int(time.time()) + 3600)
    newest_first = opened[::-1]

    assert await listed(api, status="open") == [opened[4], opened[3]]
    assert await listed(api, status="pending") == [opened[0]]
    assert await listed(api, status="resolved,pending") == [opened[1], opened[0]]
    assert await listed(api, status=" open , snoozed,open") == [opened[4], opened[3], opened[2]]
    assert await listed(api, status="open,pending,snoozed,resolved") == newest_first
    assert await listed(api) == newest_first, "no filter: every status"


@pytest.mark.parametrize(
    "params", [{"status": "closed"}, {"status": "open,closed"}, {"status": ""}, {"sort": "oldest"}]
)
async def test_an_unknown_status_or_sort_is_422(api: Api, params: dict[str, str]) -> None:
    await api.conversation()
    assert_error(await api.call("GET", "/conversations", params=params), 422, "validation_error")


async def test_assignee_is_an_agent_or_none_and_an_unknown_one_lists_nothing(api: Api, other_api: Api) -> None:
    ann, bob = await api.agent("ann"), await api.agent("bob")
    theirs = await other_api.agent("theirs")
    first, second, third = [(await api.conversation())["id"] for _ in range(3)]
    await api.ok("POST", f"/conversation/{first}/assign-agent", json={"agentId": ann["id"]})
    await api.ok("POST", f"/conversation/{second}/assign-agent", json={"agentId": bob["id"]})

    assert await listed(api, assignee=ann["id"]) == [first]
    assert await listed(api, assignee=ann["id"].upper()) == [first]
    assert await listed(api, assignee="none") == [third]
    for unknown in (theirs["id"], "00000000-0000-4000-8000-000000000000", "not-an-id"):
        assert await listed(api, assignee=unknown) == []
    assert await listed(api, assignee=bob["id"], agentId=bob["id"]) == [second], "the older filter agrees"
    assert await listed(api, assignee=ann["id"], agentId=bob["id"]) == [], "and combines with AND"
    assert await listed(api, assignee="none", agentId=bob["id"]) == []


async def test_label_filters_as_labels_are_normalised(api: Api) -> None:
    first, second, _ = [(await api.conversation())["id"] for _ in range(3)]
    await put_labels(api, first, ["vip", "billing"])
    await put_labels(api, second, ["vip"])

    assert await listed(api, label="vip") == [second, first]
    assert await listed(api, label="  BILLING ") == [first]
    assert await listed(api, label="refund") == []
    assert_error(await api.call("GET", "/conversations", params={"label": "x" * 51}), 422, "validation_error")
    assert_error(await api.call("GET", "/conversations", params={"label": "  "}), 422, "validation_error")


async def test_filters_combine_with_and(api: Api) -> None:
    ann = await api.agent("ann")
    c = [(await api.conversation())["id"] for _ in range(8)]
    for index in (1, 3, 5, 6):
        await api.ok("POST", f"/conversation/{c[index]}/assign-agent", json={"agentId": ann["id"]})
    for index in (0, 3, 6, 7):
        await put_labels(api, c[index], ["vip"])
    for index in (4, 5, 6, 7):
        await set_status(api, c[index], "pending")

    assert await listed(api, assignee=ann["id"], label="vip", status="pending") == [c[6]]
    assert await listed(api, assignee="none", label="vip", status="open") == [c[0]]
    assert await listed(api, assignee=ann["id"], label="vip", status="open,pending") == [c[6], c[3]]
    assert await listed(api, assignee=ann["id"], status="open") == [c[3], c[1]]
    assert await listed(api, assignee=ann["id"], label="vip", status="resolved") == []


async def next_second() -> None:
    """Until the wall clock's second changes (waits are counted in seconds)."""
    start = int(time.time())
    await eventually(lambda: int(time.time()) > start, what="the next second", interval=0.01)


async def test_sort_waiting_puts_the_longest_wait_first_and_those_not_waiting_last(api: Api) -> None:
    a, b, c, d, e = [(await api.conversation())["id"] for _ in range(5)]

    async def visitor_writes(cid: str) -> int:
        sent = await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "w", "text": "Hi"})
        return int(sent["createdAt"])

    await visitor_writes(d)
    await next_second()
    await visitor_writes(b)
    await visitor_writes(e)  # the same second as b: the older conversation first
    await next_second()
    await visitor_writes(a)

    order = await listed(api, sort="waiting")
    assert order == [d, b, e, a, c]
    waits = {
        row["id"]: row["waitingSince"] for row in await api.ok("GET", "/conversations", params={"sort": "waiting"})
    }
    assert waits[d] < waits[b] == waits[e] < waits[a] and waits[c] is None
    assert await listed(api, sort="newest") == [e, d, c, b, a]


async def test_pages_follow_the_chosen_order_without_gaps_or_repeats(api: Api) -> None:
    conversations = [(await api.conversation())["id"] for _ in range(13)]
    for index, cid in enumerate(conversations):
        if index % 3 == 0:
            await api.ok("POST", f"/conversation/{cid}/send-text-message", json={"uuid": "w", "text": "Hi"})
        if index % 4 == 0:
            await set_status(api, cid, "pending")

    for params in ({}, {"sort": "waiting"}, {"status": "open"}, {"status": "open", "sort": "waiting"}):
        whole = await listed(api, limit=100, **params)
        for limit in (1, 2, 4, 5):
            assert await walked(api, limit, **params) == whole, f"{params}, {limit} a page"


async def test_a_page_continues_after_its_cursor_whatever_came_in_meanwhile(api: Api) -> None:
    """Keyset paging: a conversation opened between two pages neither repeats one nor pushes one off."""
    older = [(await api.conversation())["id"] for _ in range(4)]
    first_page = await listed(api, limit=2)
    newcomer = (await api.conversation())["id"]

    second_page = await listed(api, limit=2, after=first_page[-1])

    assert first_page + second_page == older[::-1]
    assert newcomer not in second_page


async def test_after_is_a_conversation_of_this_workspace(api: Api, other_api: Api) -> None:
    theirs = (await other_api.conversation())["id"]
    await api.conversation()
    response = await api.call("GET", "/conversations", params={"after": theirs, "sort": "waiting"})
    assert_error(response, 404, "not_found")
