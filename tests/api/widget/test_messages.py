"""The visitor's messages go to their current conversation, also once the integrator opens a newer one."""

from __future__ import annotations

import httpx

from tests.api.widget.test_reviews import widget
from tests.conftest import Api


async def test_a_newer_conversation_takes_the_visitors_next_message(api: Api, client: httpx.AsyncClient) -> None:
    first = await api.conversation(name="Ann")
    token = first["endUser"]["websocketToken"]
    sent = await widget(client, token, "POST", "/messages", json={"uuid": "m1", "text": "About my order"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["conversationId"] == first["id"]

    newer = await api.ok("POST", "/conversations", json={"endUserId": first["endUser"]["id"]})
    again = await widget(client, token, "POST", "/messages", json={"uuid": "m2", "text": "And another thing"})
    assert again.status_code == 200, again.text
    assert again.json()["data"]["conversationId"] == newer["id"]
    history = await widget(client, token, "GET", "/messages")
    assert [m["body"] for m in history.json()["data"]] == ["And another thing"]
