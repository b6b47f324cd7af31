"""An agent's reviews through the External API: the list (newest first, keyset pages) and the summary."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.widget.test_reviews import assert_error, requested_review, widget
from tests.conftest import Api


async def rated(api: Api, client: httpx.AsyncClient, agent_id: str, mark: int, confirm: bool = True) -> str:
    token, review_id, _ = await requested_review(api, agent_id)
    assert (await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": mark})).status_code == 200
    if confirm:
        assert (await widget(client, token, "POST", f"/reviews/{review_id}/confirm")).status_code == 200
    return review_id


async def test_an_agents_reviews_are_listed_newest_first_in_keyset_pages(api: Api, client: httpx.AsyncClient) -> None:
    agent, other = await api.agent("a-1"), await api.agent("a-2")
    ids = [await rated(api, client, agent["id"], mark) for mark in (5, 4)]
    ids.append(await rated(api, client, agent["id"], 2, confirm=False))
    ids.append((await requested_review(api, agent["id"]))[1])  # not rated yet: listed too
    await rated(api, client, other["id"], 1)

    everything = await api.ok("GET", f"/agents/{agent['id']}/reviews")
    assert sorted(r["id"] for r in everything) == sorted(ids)
    keys = [(r["createdAt"], r["id"]) for r in everything]
    assert keys == sorted(keys, reverse=True), "newest first, ties by id"
    assert all(r["agent"]["id"] == agent["id"] for r in everything)
    assert {r["endUser"]["websocketToken"] is not None for r in everything} == {True}, "the integrator sees tokens"

    pages: list[list[dict[str, Any]]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"after": after} if after else {})
        page = await api.ok("GET", f"/agents/{agent['id']}/reviews", params=params)
        pages.append(page)
        if len(page) < 3:
            break
        after = page[-1]["id"]
    assert [r["id"] for page in pages for r in page] == [r["id"] for r in everything]
    assert [len(p) for p in pages] == [3, 1]


async def test_the_summary_counts_confirmed_reviews_only(api: Api, client: httpx.AsyncClient) -> None:
    agent = await api.agent()
    empty = await api.ok("GET", f"/agents/{agent['id']}/reviews/summary")
    assert empty == {"count": 0, "average": None, "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}

    for mark in (5, 4, 4):
        await rated(api, client, agent["id"], mark)
    await rated(api, client, agent["id"], 1, confirm=False)
    await requested_review(api, agent["id"])

    summary = await api.ok("GET", f"/agents/{agent['id']}/reviews/summary")
    assert summary == {"count": 3, "average": 4.33, "distribution": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}}


async def test_another_workspaces_agent_or_review_is_unknown(
    api: Api, other_api: Api, client: httpx.AsyncClient
) -> None:
    agent = await api.agent()
    review_id = await rated(api, client, agent["id"], 3)
    theirs = await other_api.agent()
    for path in (f"/agents/{agent['id']}/reviews", f"/agents/{agent['id']}/reviews/summary"):
        assert_error(await other_api.call("GET", path), 404, "not_found")
    for path in (f"/agents/{theirs['id']}/reviews", "/agents/not-an-id/reviews/summary"):
        assert_error(await api.call("GET", path), 404, "not_found")
    foreign_cursor = await other_api.call("GET", f"/agents/{theirs['id']}/reviews", params={"after": review_id})
    assert_error(foreign_cursor, 404, "not_found")
    assert_error(await api.call("GET", f"/agents/{agent['id']}/reviews", params={"limit": 0}), 422, "validation_error")
