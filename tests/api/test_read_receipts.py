"""A read receipt is one event however many messages it marks: "read up to here", for the newest one it marked."""

from __future__ import annotations

import json
from typing import Any

from parley.services.context import Services
from parley.storage.repositories import events as event_repo
from tests.conftest import Api

UNTIL_THE_END = 2**62


async def status_events(services: Services, workspace_id: str, conversation_id: str) -> list[dict[str, Any]]:
    """The stored `message.status_changed` events: what webhooks deliver and sockets replay."""
    found = await services.db.read(event_repo.events_after, workspace_id, [conversation_id], 0, 1000)
    return [json.loads(e.payload) for e in found if e.name == "message.status_changed"]


async def test_marking_a_conversation_read_is_one_event_for_its_newest_message(api: Api, services: Services) -> None:
    conversation = await api.conversation(name="Ann")
    cid, visitor = conversation["id"], conversation["endUser"]["websocketToken"]
    agent = await api.agent()
    agent_token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    as_agent = {"Authorization": f"Bearer {agent_token}"}
    as_visitor = {"Authorization": f"Bearer {visitor}"}
    replies, questions = [], []
    for n in range(30):
        body = {"uuid": f"q{n}", "text": f"question {n}"}
        questions.append(
            (await api.client.post("/api/widget/v1/messages", json=body, headers=as_visitor)).json()["data"]
        )
        body = {"uuid": f"a{n}", "text": f"answer {n}"}
        path = f"/api/agent/v1/conversations/{cid}/messages"
        replies.append((await api.client.post(path, json=body, headers=as_agent)).json()["data"])

    read = await api.client.post("/api/widget/v1/read", json={"until": UNTIL_THE_END}, headers=as_visitor)
    assert read.json()["data"] == {"marked": 30}
    [receipt] = await status_events(services, api.workspace_id, cid)
    assert receipt["data"]["id"] == replies[-1]["id"] and receipt["data"]["status"] == "read"
    history = await api.ok("GET", f"/conversation/{cid}/messages", params={"limit": 100})
    assert {m["status"] for m in history if m["agent"]} == {"read"}, "every earlier reply is read too"

    path = f"/api/agent/v1/conversations/{cid}/read"
    halfway = questions[14]["microseconds"]
    read = await api.client.post(path, json={"until": halfway}, headers=as_agent)
    assert read.json()["data"] == {"marked": 15}
    again = await api.client.post(path, json={"until": halfway}, headers=as_agent)
    assert again.json()["data"] == {"marked": 0}, "nothing left to mark: no event"
    receipts = await status_events(services, api.workspace_id, cid)
    assert [(r["data"]["id"], r["data"]["status"]) for r in receipts[1:]] == [(questions[14]["id"], "read")]
