"""Agents as people (workflow.md section 2): an email (unique in the workspace, never shown to a visitor), a role,
and a workspace that keeps at least one active owner once it has one."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.widget.test_session import resumed_session
from tests.conftest import Api


def _assert_conflict(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"


async def test_email_role_and_notifications_are_kept_the_email_lower_cased(api: Api) -> None:
    plain = await api.agent("a-0")
    assert (plain["email"], plain["role"], plain["emailNotifications"]) == (None, "agent", True)

    made = await api.agent("a-1", email="Ann.Lee@Example.COM", role="admin", emailNotifications=False)
    assert (made["email"], made["role"], made["emailNotifications"]) == ("ann.lee@example.com", "admin", False)
    assert await api.ok("GET", f"/agents/{made['id']}") == made


async def test_an_email_taken_in_the_workspace_in_any_letters_is_a_conflict(api: Api, other_api: Api) -> None:
    await api.agent("a-1", email="ann@example.com")
    _assert_conflict(
        await api.call("POST", "/agents", json={"serviceUserId": "a-2", "name": "B", "email": "ANN@example.com"})
    )
    second = await api.agent("a-2", email="bo@example.com")
    _assert_conflict(await api.call("PUT", f"/agents/{second['id']}", json={"email": "Ann@Example.com"}))
    assert (await api.ok("GET", f"/agents/{second['id']}"))["email"] == "bo@example.com"
    assert len(await api.ok("GET", "/agents")) == 2

    elsewhere = await other_api.agent("a-1", email="ann@example.com")  # another workspace's people are its own
    assert elsewhere["email"] == "ann@example.com"


async def test_bad_emails_and_roles_are_refused_and_nothing_is_stored(api: Api) -> None:
    for fields in ({"email": "no-at-sign"}, {"email": "a@b"}, {"email": "a b@c.de"}, {"role": "superuser"}):
        response = await api.call("POST", "/agents", json={"serviceUserId": "x", "name": "X", **fields})
        assert response.status_code == 422, (fields, response.text)
    assert await api.ok("GET", "/agents") == []
    agent = await api.agent("a-1", email="ann@example.com")
    response = await api.call("PUT", f"/agents/{agent['id']}", json={"role": "root", "name": "Changed"})
    assert response.status_code == 422
    assert await api.ok("GET", f"/agents/{agent['id']}") == agent


async def test_a_put_changes_the_role_and_a_null_email_removes_it(api: Api) -> None:
    agent = await api.agent("a-1", email="ann@example.com")
    changed = await api.ok("PUT", f"/agents/{agent['id']}", json={"role": "admin", "emailNotifications": False})
    assert (changed["role"], changed["email"], changed["emailNotifications"]) == ("admin", "ann@example.com", False)
    cleared = await api.ok("PUT", f"/agents/{agent['id']}", json={"email": None})
    assert cleared["email"] is None and cleared["role"] == "admin"
    again = await api.agent("a-2", email="ann@example.com")  # the address is free again
    assert again["email"] == "ann@example.com"


async def test_the_last_active_owner_can_be_neither_demoted_nor_deactivated(api: Api) -> None:
    first = await api.agent("owner-1", role="owner")
    for change in ({"role": "admin"}, {"active": False}, {"role": "agent", "active": False}):
        _assert_conflict(await api.call("PUT", f"/agents/{first['id']}", json=change))
    assert await api.ok("GET", f"/agents/{first['id']}") == first

    second = await api.agent("owner-2", role="owner")
    demoted = await api.ok("PUT", f"/agents/{first['id']}", json={"role": "admin"})
    assert demoted["role"] == "admin"
    _assert_conflict(await api.call("PUT", f"/agents/{second['id']}", json={"active": False}))
    # An inactive owner does not count: made active again, the first may take over.
    await api.ok("PUT", f"/agents/{first['id']}", json={"role": "owner"})
    assert (await api.ok("PUT", f"/agents/{second['id']}", json={"active": False}))["active"] is False


async def test_owners_demoted_at_once_keep_one_and_never_deadlock(api: Api) -> None:
    """Each demotion locks the owners, then its agent, in one order: on PostgreSQL two at once once deadlocked (500)."""
    owners = [await api.agent(f"owner-{number}", role="owner") for number in range(3)]
    for _ in range(3):
        demotions = [api.call("PUT", f"/agents/{owner['id']}", json={"role": "admin"}) for owner in owners]
        answers = sorted(response.status_code for response in await asyncio.gather(*demotions))
        assert answers == [200, 200, 409], answers
        kept = [a for a in await api.ok("GET", "/agents") if a["role"] == "owner"]
        assert len(kept) == 1
        for owner in owners:  # all three owners again, for the next round
            await api.ok("PUT", f"/agents/{owner['id']}", json={"role": "owner"})


async def test_a_workspace_without_an_owner_lets_its_agents_change_freely(api: Api) -> None:
    agent = await api.agent("a-1", role="admin")
    assert (await api.ok("PUT", f"/agents/{agent['id']}", json={"role": "agent", "active": False}))["active"] is False


async def test_a_visitor_never_sees_an_agents_email(api: Api) -> None:
    agent = await api.agent("a-1", email="ann@example.com")
    conversation = await api.conversation(name="Visitor")
    await api.ok("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})
    assigned = await api.ok("GET", f"/conversation/{conversation['id']}")
    assert assigned["assignedAgent"]["email"] == "ann@example.com"  # the integrator sees it

    session = await resumed_session(api.client, conversation["endUser"]["websocketToken"])
    assert session["conversation"]["assignedAgent"]["id"] == agent["id"]
    assert session["conversation"]["assignedAgent"]["email"] is None
