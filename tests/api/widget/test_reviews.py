"""The visitor's side of a review: rate, change, confirm, then frozen; only their own reviews."""

from __future__ import annotations

import json
from typing import Any

import httpx

from parley.services.context import Services
from parley.storage.repositories import events as event_repo
from tests.conftest import Api


async def widget(client: httpx.AsyncClient, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await client.request(method, f"/api/widget/v1{path}", headers=headers, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["status"] == status
    assert response.json()["error"]["code"] == code


async def requested_review(api: Api, agent_id: str | None = None) -> tuple[str, str, str]:
    """A visitor's conversation with an assigned agent and a review to rate: (visitor token, review id, conv id)."""
    conversation = await api.conversation(name="Ann")
    path = f"/conversation/{conversation['id']}"
    agent_id = agent_id or (await api.agent())["id"]
    await api.ok("POST", f"{path}/assign-agent", json={"agentId": agent_id})
    message = await api.ok("POST", f"{path}/request-review")
    return conversation["endUser"]["websocketToken"], message["review"]["id"], conversation["id"]


async def review_events(services: Services, workspace_id: str, conversation_id: str) -> list[dict[str, Any]]:
    found = await services.db.read(event_repo.events_after, workspace_id, [conversation_id], 0, 100)
    return [json.loads(e.payload) for e in found if e.name.startswith("review.")]


async def test_the_visitor_rates_changes_and_confirms_then_the_review_is_frozen(
    api: Api, client: httpx.AsyncClient, services: Services
) -> None:
    token, review_id, conversation_id = await requested_review(api)

    first = await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 3})
    assert first.status_code == 200, first.text
    review = first.json()["data"]
    assert (review["id"], review["mark"], review["text"], review["confirmed"]) == (review_id, 3, "", False)
    assert review["endUser"]["websocketToken"] == token, "the visitor sees their own token"

    changed = (await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 5, "text": "Great"})).json()
    assert (changed["data"]["mark"], changed["data"]["text"]) == (5, "Great")
    kept = (await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 4})).json()["data"]
    assert (kept["mark"], kept["text"]) == (4, "Great"), "absent text keeps the current one"
    same = await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 4, "text": "Great"})
    assert same.status_code == 200

    confirmed = await widget(client, token, "POST", f"/reviews/{review_id}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["data"]["confirmed"], confirmed.json()["data"]["mark"]) == (True, 4)

    assert_error(
        await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 1}), 409, "review_confirmed"
    )
    assert_error(await widget(client, token, "POST", f"/reviews/{review_id}/confirm"), 409, "review_confirmed")

    history = await api.ok("GET", f"/conversation/{conversation_id}/messages")
    [message] = [m for m in history if m["type"] == "review"]
    assert (message["review"]["mark"], message["review"]["confirmed"], message["review"]["text"]) == (4, True, "Great")

    events = await review_events(services, api.workspace_id, conversation_id)
    assert [e["event"] for e in events] == ["review.requested"] + ["review.updated"] * 4, "a repeat changes nothing"
    assert [(e["data"]["mark"], e["data"]["confirmed"]) for e in events] == [
        (0, False),
        (3, False),
        (5, False),
        (4, False),
        (4, True),
    ]
    assert all(e["data"]["endUser"]["websocketToken"] is None for e in events)
    assert all(e["conversationId"] == conversation_id for e in events)


async def test_confirming_an_unrated_review_is_a_validation_error(api: Api, client: httpx.AsyncClient) -> None:
    token, review_id, _ = await requested_review(api)
    assert_error(await widget(client, token, "POST", f"/reviews/{review_id}/confirm"), 422, "validation_error")
    assert (await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 2})).status_code == 200


INVALID_BODIES: list[Any] = [
    {},
    {"mark": 0},
    {"mark": 6},
    {"mark": "5"},
    {"mark": 5.0},
    {"mark": True},
    {"mark": None},
    {"mark": 5, "text": 7},
    [5],
]


async def test_a_mark_must_be_an_integer_from_1_to_5(api: Api, client: httpx.AsyncClient) -> None:
    token, review_id, _ = await requested_review(api)
    for body in INVALID_BODIES:
        response = await widget(client, token, "POST", f"/reviews/{review_id}", json=body)
        assert_error(response, 422, "validation_error")


async def test_the_text_is_capped_like_a_message(api: Api, client: httpx.AsyncClient, services: Services) -> None:
    token, review_id, _ = await requested_review(api)
    cap = services.settings.max_text_length
    too_long = await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 5, "text": "x" * (cap + 1)})
    assert_error(too_long, 422, "validation_error")
    at_cap = await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 5, "text": "x" * cap})
    assert at_cap.status_code == 200


async def test_a_visitor_can_only_touch_reviews_of_their_own_conversations(
    api: Api, other_api: Api, client: httpx.AsyncClient
) -> None:
    _, review_id, _ = await requested_review(api)
    neighbour = (await api.conversation(name="Bob"))["endUser"]["websocketToken"]
    stranger = (await other_api.conversation(name="Eve"))["endUser"]["websocketToken"]
    for token in (neighbour, stranger):
        assert_error(await widget(client, token, "POST", f"/reviews/{review_id}", json={"mark": 1}), 404, "not_found")
        assert_error(await widget(client, token, "POST", f"/reviews/{review_id}/confirm"), 404, "not_found")
    for unknown in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
        assert_error(await widget(client, neighbour, "POST", f"/reviews/{unknown}", json={"mark": 1}), 404, "not_found")
    no_token = await client.post(f"/api/widget/v1/reviews/{review_id}", json={"mark": 1})
    assert_error(no_token, 401, "unauthorized")
