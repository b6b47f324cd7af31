"""The console's `GET /search`: the External API's entries, with visitors' `websocketToken` null."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


async def _console_search(api: Api, token: str, **params: Any) -> Any:
    response = await api.client.get("/api/agent/v1/search", params=params, headers={"Authorization": f"Bearer {token}"})
    return response


async def test_the_console_finds_what_the_external_api_finds_without_websocket_tokens(api: Api, other_api: Api) -> None:
    agent = await api.agent()
    token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    by_message = await api.conversation(name="Ann")
    by_name = await api.conversation(name="Tracking Tom")
    await api.ok(
        "POST", f"/conversation/{by_message['id']}/send-text-message", json={"uuid": "m1", "text": "tracking?"}
    )
    theirs = await other_api.conversation(name="Tracking")
    await other_api.ok(
        "POST", f"/conversation/{theirs['id']}/send-text-message", json={"uuid": "m1", "text": "tracking"}
    )

    external = await api.ok("GET", "/search", params={"q": "tracking"})
    response = await _console_search(api, token, q="tracking")
    assert response.status_code == 200, response.text
    console = response.json()["data"]
    assert [e["conversation"]["id"] for e in console] == [by_message["id"], by_name["id"]]
    assert [e["conversation"]["id"] for e in external] == [by_message["id"], by_name["id"]]
    assert external[1]["conversation"]["endUser"]["websocketToken"]
    for entry in console:
        assert entry["conversation"]["endUser"]["websocketToken"] is None
        if entry["message"]:
            assert entry["message"]["endUser"] is None or entry["message"]["endUser"]["websocketToken"] is None
    assert console[0]["message"]["id"] == external[0]["message"]["id"]
    assert console[1]["message"] is None


async def test_bad_input_is_a_422_envelope(api: Api) -> None:
    agent = await api.agent()
    token = (await api.ok("POST", f"/agents/{agent['id']}/tokens"))["token"]
    for params in ({"q": ""}, {"q": "z" * 201}, {"q": "z", "limit": 101}):
        response = await _console_search(api, token, **params)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"]
