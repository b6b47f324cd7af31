"""Agents are people (workflow.md 2): they sign in with an email and a password, out again, choose a password from
an invitation or a reset mailed to them (through a real SMTP server), and their failed attempts are limited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from parley.clock import now_seconds
from parley.config import Settings
from parley.services import sessions, workspaces
from tests.conftest import Api
from tests.support.smtp import Mailbox, smtp_server, text_of
from tests.support.waiting import eventually, polled

LIMIT_WINDOW_SECONDS = 15 * 60  # of the sign-in limits' defaults


@pytest.fixture(autouse=True)
async def away_from_a_limit_windows_edge() -> None:
    """The sign-in limits are sliding-window counters over windows aligned to the clock: at an edge the last
    window's count is weighed by its overlap and rounded down, so a test counting up to a limit across one sees one
    attempt more pass (CI once started this module at 17:15:00). Each test starts at least a minute from an edge."""
    await eventually(
        lambda: time.time() % LIMIT_WINDOW_SECONDS < LIMIT_WINDOW_SECONDS - 60, within=61, what="a window's middle"
    )


PASSWORD = "correct horse battery"
DAY = 86_400


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    """Mail on, through the test's SMTP server."""
    return settings.model_copy(update={"smtp_url": SecretStr(mailbox.url), "mail_from": "parley@example.com"})


async def console(api: Api, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.client.request(method, f"/api/agent/v1{path}", headers=headers, **kwargs)


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def link_token(url: str) -> str:
    return url.split("#token=", 1)[1]


async def invited_agent(api: Api, email: str = "ann@example.com", role: str = "agent") -> dict[str, Any]:
    """An agent who accepted their invitation with PASSWORD: {agent, token (their session), expiresAt}."""
    agent = await api.ok("POST", "/agents", json={"serviceUserId": email, "name": "Ann", "email": email, "role": role})
    invitation = await api.ok("POST", f"/agents/{agent['id']}/invite")
    accepted = await console(
        api, "POST", "/invitations/accept", json={"token": link_token(invitation["inviteUrl"]), "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    session: dict[str, Any] = accepted.json()["data"]
    return session


async def sign_in(api: Api, email: str, password: str = PASSWORD) -> httpx.Response:
    return await console(
        api, "POST", "/sessions", json={"workspaceId": api.workspace_id, "email": email, "password": password}
    )


async def test_an_agent_signs_in_with_email_and_password_and_out_again(api: Api) -> None:
    ann = (await invited_agent(api))["agent"]
    signed_in = await sign_in(api, "Ann@Example.COM")  # an address is the same in other letters
    assert signed_in.status_code == 200, signed_in.text
    session = signed_in.json()["data"]
    assert session["agent"]["id"] == ann["id"] and session["agent"]["email"] == "ann@example.com"
    assert session["expiresAt"] == pytest.approx(now_seconds() + 30 * DAY, abs=60)
    me = await console(api, "GET", "/me", session["token"])
    assert me.json()["data"]["role"] == "agent"
    listed = await api.ok("GET", f"/agents/{ann['id']}/tokens")
    assert len(listed) == 2  # the invitation's session and this one
    assert all(set(entry) == {"id", "createdAt", "lastUsedAt"} for entry in listed)

    out = await console(api, "DELETE", "/sessions/current", session["token"])
    assert out.status_code == 200 and out.json()["data"]["deleted"] is True
    assert refusal(await console(api, "GET", "/me", session["token"])) == (401, "unauthorized")
    assert len(await api.ok("GET", f"/agents/{ann['id']}/tokens")) == 1


async def test_a_wrong_email_a_wrong_password_and_an_inactive_agent_get_the_same_401(api: Api) -> None:
    ann = (await invited_agent(api))["agent"]
    await invited_agent(api, "bob@example.com")
    wrong_email = await sign_in(api, "nobody@example.com")
    wrong_password = await sign_in(api, "ann@example.com", "not the password")
    other_workspace = await console(
        api, "POST", "/sessions", json={"workspaceId": "not-a-workspace", "email": "a@b.co", "password": PASSWORD}
    )
    bob = next(a for a in await api.ok("GET", "/agents") if a["email"] == "bob@example.com")
    await api.ok("PUT", f"/agents/{bob['id']}", json={"active": False})
    inactive = await sign_in(api, "bob@example.com")
    bodies = {r.text for r in (wrong_email, wrong_password, other_workspace, inactive)}
    assert len(bodies) == 1 and wrong_email.status_code == 401, bodies

    failed = await api.ok("GET", "/audit-log", params={"action": "session.failed"})
    targets = [entry["target"] for entry in failed]
    assert {"type": "agent", "id": ann["id"]} in targets and None in targets  # null: nobody has that email
    assert {entry["actor"]["id"] for entry in failed} == {None}, "whoever tried is not the agent tried"


async def test_failed_sign_ins_are_limited_per_email_and_a_refused_attempt_does_not_count(api: Api) -> None:
    await invited_agent(api)
    for _ in range(3):
        assert (await sign_in(api, "ann@example.com")).status_code == 200  # successes count for nothing
    for _ in range(10):
        assert (await sign_in(api, "ann@example.com", "wrong password")).status_code == 401
    refused = await sign_in(api, "ann@example.com")  # even the right password, now
    assert refusal(refused) == (429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    failures = await api.ok("GET", "/audit-log", params={"action": "session.failed", "limit": 100})
    assert len(failures) == 10, "the refused attempt was not tried"
    await invited_agent(api, "bob@example.com")
    assert (await sign_in(api, "bob@example.com")).status_code == 200, "another email is not limited"


async def test_a_burst_of_guesses_is_tried_one_at_a_time_so_the_limit_holds(api: Api) -> None:
    await invited_agent(api)
    guesses = [sign_in(api, "ann@example.com", f"guess {number}") for number in range(20)]
    answers = await asyncio.gather(*guesses, sign_in(api, "ann@example.com"))
    assert [r.status_code for r in answers].count(401) == 10
    assert answers[-1].status_code == 429, "the right password, after ten failures, is refused too"
    assert len(await api.ok("GET", "/audit-log", params={"action": "session.failed", "limit": 100})) == 10


async def test_the_workspaces_id_in_other_letters_is_the_same_allowance(api: Api) -> None:
    await invited_agent(api)
    for _ in range(10):
        assert (await sign_in(api, "ann@example.com", "wrong password")).status_code == 401
    shouted = {"workspaceId": api.workspace_id.upper(), "email": "ann@example.com", "password": PASSWORD}
    assert refusal(await console(api, "POST", "/sessions", json=shouted)) == (429, "rate_limited")


async def test_failed_sign_ins_are_limited_per_address(api: Api) -> None:
    for number in range(30):
        assert (await sign_in(api, f"guess{number}@example.com", "wrong")).status_code == 401
    assert refusal(await sign_in(api, "guess-next@example.com", "wrong")) == (429, "rate_limited")


async def test_an_invitation_lasts_seven_days_is_single_use_and_survives_a_short_password(
    api: Api, mailbox: Mailbox
) -> None:
    agent = await api.ok("POST", "/agents", json={"serviceUserId": "c", "name": "Cleo", "email": "cleo@example.com"})
    invitation = await api.ok("POST", f"/agents/{agent['id']}/invite")
    assert invitation["inviteUrl"].startswith("http://parley.test/console/invite#token=")
    assert invitation["expiresAt"] == pytest.approx(now_seconds() + 7 * DAY, abs=60)
    assert invitation["mailed"] is True
    mailed = await eventually(lambda: mailbox.to("cleo@example.com") or False, what="the invitation's mail")
    assert invitation["inviteUrl"] in text_of(mailed[0])
    token = link_token(invitation["inviteUrl"])

    short = await console(api, "POST", "/invitations/accept", json={"token": token, "password": "too short"})
    assert refusal(short) == (422, "validation_error")
    accepted = await console(api, "POST", "/invitations/accept", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 200 and accepted.json()["data"]["agent"]["id"] == agent["id"]
    again = await console(api, "POST", "/invitations/accept", json={"token": token, "password": PASSWORD})
    assert refusal(again) == (404, "not_found")
    assert (await sign_in(api, "cleo@example.com")).status_code == 200


async def test_a_new_invitation_replaces_the_last_and_an_expired_one_is_gone(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await api.ok("POST", "/agents", json={"serviceUserId": "d", "name": "Dan", "email": "dan@example.com"})
    first = link_token((await api.ok("POST", f"/agents/{agent['id']}/invite"))["inviteUrl"])
    second = link_token((await api.ok("POST", f"/agents/{agent['id']}/invite"))["inviteUrl"])
    replaced = await console(api, "POST", "/invitations/accept", json={"token": first, "password": PASSWORD})
    assert refusal(replaced) == (404, "not_found")

    in_eight_days = now_seconds() + 8 * DAY
    monkeypatch.setattr(sessions, "now_seconds", lambda: in_eight_days)
    expired = await console(api, "POST", "/invitations/accept", json={"token": second, "password": PASSWORD})
    assert refusal(expired) == (404, "not_found")

    await api.ok("PUT", f"/agents/{agent['id']}", json={"active": False})
    assert refusal(await api.call("POST", f"/agents/{agent['id']}/invite")) == (409, "conflict")


async def test_a_password_reset_is_mailed_used_once_and_ends_the_other_sessions(api: Api, mailbox: Mailbox) -> None:
    old_session = (await invited_agent(api))["token"]
    asked = await console(
        api, "POST", "/password-reset", json={"workspaceId": api.workspace_id, "email": "ann@example.com"}
    )
    assert asked.status_code == 200 and asked.json()["data"] == {"requested": True}
    mailed = await eventually(lambda: len(mailbox.to("ann@example.com")) == 2 and mailbox.to("ann@example.com"))
    reset = next(message for message in mailed if "/console/reset#token=" in text_of(message))  # not the invitation
    url = next(word for word in text_of(reset).split() if "/console/reset#token=" in word)
    assert reset["From"] == "Acme <parley@example.com>" and "1 hour" in text_of(reset)  # the workspace names it

    new_password = {"token": link_token(url), "password": "a brand new password"}
    confirmed = await console(api, "POST", "/password-reset/confirm", json=new_password)
    assert confirmed.status_code == 200, confirmed.text
    assert (await console(api, "GET", "/me", confirmed.json()["data"]["token"])).status_code == 200
    assert refusal(await console(api, "GET", "/me", old_session)) == (401, "unauthorized")
    assert (await sign_in(api, "ann@example.com")).status_code == 401
    assert (await sign_in(api, "ann@example.com", "a brand new password")).status_code == 200
    reused = await console(api, "POST", "/password-reset/confirm", json=new_password)
    assert refusal(reused) == (404, "not_found")


async def test_reset_requests_always_answer_200_lock_nobody_out_and_mail_at_most_five_an_hour(
    api: Api, mailbox: Mailbox
) -> None:
    await invited_agent(api)
    asked = {"workspaceId": api.workspace_id, "email": "ann@example.com"}
    for _ in range(12):
        assert (await console(api, "POST", "/password-reset", json=asked)).status_code == 200
    assert (await sign_in(api, "ann@example.com")).status_code == 200, "resets are no failed sign-ins"
    # Five links at most, each replacing the one before: a replaced link's mail, if not gone yet, is not sent.
    resets = await polled(
        lambda: api.ok("GET", "/mail/outbox", params={"limit": 100}),
        lambda found: all(m["status"] != "pending" for m in found),
    )
    statuses = sorted(m["status"] for m in resets if m["kind"] == "password_reset")
    assert len(statuses) == 5 and statuses[-1] == "sent" and set(statuses) <= {"cancelled", "sent"}
    sent = statuses.count("sent")
    await eventually(lambda: len(mailbox.to("ann@example.com")) == 1 + sent or False, what="the invitation and resets")


async def test_an_email_change_or_a_deactivation_ends_the_links_sent(api: Api) -> None:
    for change in ({"email": "right@example.com"}, {"active": False}):
        body = {"serviceUserId": str(change), "name": "Eve", "email": f"{len(change)}-{change.get('active')}@x.io"}
        agent = await api.ok("POST", "/agents", json=body)
        token = link_token((await api.ok("POST", f"/agents/{agent['id']}/invite"))["inviteUrl"])
        await api.ok("PUT", f"/agents/{agent['id']}", json=change)
        if change.get("active") is False:
            await api.ok("PUT", f"/agents/{agent['id']}", json={"active": True})
        late = await console(api, "POST", "/invitations/accept", json={"token": token, "password": PASSWORD})
        assert refusal(late) == (404, "not_found"), change


async def test_a_reset_for_an_unknown_or_inactive_email_answers_alike_and_mails_nothing(
    api: Api, mailbox: Mailbox
) -> None:
    bob = (await invited_agent(api, "bob@example.com"))["agent"]
    await api.ok("PUT", f"/agents/{bob['id']}", json={"active": False})
    answers = set()
    for email in ("nobody@example.com", "bob@example.com"):
        asked = await console(api, "POST", "/password-reset", json={"workspaceId": api.workspace_id, "email": email})
        answers.add((asked.status_code, asked.text))
    assert answers == {(200, '{"status":200,"data":{"requested":true}}')}
    invited = await invited_agent(api, "carl@example.com")  # a mail that is sent, to know the server has caught up
    await api.ok("POST", f"/agents/{invited['agent']['id']}/invite")
    await eventually(lambda: len(mailbox.to("carl@example.com")) == 2 or False, what="Carl's two invitations")
    assert mailbox.to("nobody@example.com") == [] and len(mailbox.to("bob@example.com")) == 1  # his invitation


async def test_a_session_ends_when_it_expires(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    session = await invited_agent(api)
    assert (await console(api, "GET", "/me", session["token"])).status_code == 200
    monkeypatch.setattr(workspaces, "now_seconds", lambda: session["expiresAt"])
    assert refusal(await console(api, "GET", "/me", session["token"])) == (401, "unauthorized")
    assert await api.ok("GET", f"/agents/{session['agent']['id']}/tokens") == [], "an ended session leaves the list"
