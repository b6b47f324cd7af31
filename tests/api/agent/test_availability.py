"""An agent's availability is their own choice and holds until they change it; the status visitors see is derived
from it: `online` only while available with a console open (and a moment after it closes)."""

from __future__ import annotations

from tests.realtime.conftest import Live
from tests.support.live import Socket, open_socket
from tests.support.waiting import polled


async def next_status(socket: Socket) -> str:
    frames = await socket.events_until(lambda f: f["event"] == "agent.status_changed")
    return str(frames[-1]["data"]["status"])


async def test_away_holds_across_closing_and_reopening_the_console(live: Live) -> None:
    agent, token = await live.agent_with_token()
    assert (agent["availability"], agent["status"]) == ("online", "offline"), "a new agent: available, no console"
    _, colleague_token = await live.agent_with_token("agent-2")
    console = f"{live.ws_base}/api/agent/v1/ws?token={token}"

    async def status() -> str:
        return str((await live.api.ok("GET", f"/agents/{agent['id']}"))["status"])

    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={colleague_token}") as watcher:
        await next_status(watcher)  # the colleague's own console
        async with open_socket(console):
            assert await next_status(watcher) == "online"
            away = await live.console(token, "PUT", "/me/availability", json={"availability": "away"})
            assert (away["availability"], away["status"]) == ("away", "offline")
            assert await next_status(watcher) == "offline"
        async with open_socket(console):
            me = await live.console(token, "GET", "/me")
            assert (me["availability"], me["status"]) == ("away", "offline"), "the choice outlived the console"
            assert await watcher.silent_for(0.5), "a console opening while away changes nothing visitors see"
            back = await live.console(token, "PUT", "/me/availability", json={"availability": "online"})
            assert (back["availability"], back["status"]) == ("online", "online")
            assert await next_status(watcher) == "online"
        await polled(status, lambda now: now == "offline")  # the last console closed, the grace passed


async def test_a_change_of_availability_without_a_console_is_stored_and_emits_nothing(live: Live) -> None:
    agent, token = await live.agent_with_token()
    _, colleague_token = await live.agent_with_token("agent-2")
    async with open_socket(f"{live.ws_base}/api/agent/v1/ws?token={colleague_token}") as watcher:
        await next_status(watcher)
        away = await live.api.ok("PUT", f"/agents/{agent['id']}", json={"availability": "away"})
        assert (away["availability"], away["status"]) == ("away", "offline")
        back = await live.console(token, "PUT", "/me/availability", json={"availability": "online"})
        assert (back["availability"], back["status"]) == ("online", "offline"), "available, but no console open"
        assert await watcher.silent_for(0.5), "visitors see the same offline agent throughout"
