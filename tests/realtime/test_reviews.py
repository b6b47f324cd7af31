"""A review over the visitor's websocket: requested, then each change as it happens."""

from __future__ import annotations

from typing import Any

from tests.realtime.conftest import Live
from tests.support.live import open_socket


def is_confirmation(frame: dict[str, Any]) -> bool:
    return frame["event"] == "review.updated" and frame["data"]["confirmed"] is True


async def test_the_visitors_socket_gets_review_requested_then_review_updated(live: Live) -> None:
    session = await live.visitor_in_conversation()
    token, conversation = session["endUser"]["websocketToken"], session["conversation"]["id"]
    agent = await live.api.agent()
    await live.api.ok("POST", f"/conversation/{conversation}/assign-agent", json={"agentId": agent["id"]})
    async with open_socket(f"{live.ws_base}/api/widget/v1/ws?token={token}&after=0") as socket:
        message = await live.api.ok("POST", f"/conversation/{conversation}/request-review")
        review_id = message["review"]["id"]
        frames = await socket.events_until(lambda f: f["event"] == "review.requested")
        await live.widget(token, "POST", f"/reviews/{review_id}", json={"mark": 4, "text": "Quick and kind"})
        await live.widget(token, "POST", f"/reviews/{review_id}/confirm")
        frames += await socket.events_until(is_confirmation)

    async with open_socket(f"{live.ws_base}/api/widget/v1/ws?token={token}&after=0") as socket:
        replayed = await socket.events_until(is_confirmation)
    assert [f["id"] for f in replayed] == [f["id"] for f in frames], "a resume replays the same story"
    reviews = [f for f in frames if f["event"].startswith("review.")]
    assert [f["event"] for f in reviews] == ["review.requested", "review.updated", "review.updated"]
    assert [(f["data"]["mark"], f["data"]["text"], f["data"]["confirmed"]) for f in reviews] == [
        (0, "", False),
        (4, "Quick and kind", False),
        (4, "Quick and kind", True),
    ]
    assert {f["data"]["id"] for f in reviews} == {review_id}
    assert all(f["conversationId"] == conversation for f in reviews)
    assert [f["data"]["endUser"]["websocketToken"] for f in reviews] == [None] * 3, "frames never carry a token"
