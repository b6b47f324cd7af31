"""Agents are told by email of a visitor's burst left unanswered and unread (workflow.md 3): one mail a burst to the
assignee or, unassigned, to every agent who wants them, none once someone answered or read, through a real SMTP
server. The sweeps are run at a chosen time (`queue_notifications`); one test waits for the real one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from parley.clock import now_microseconds
from parley.config import Settings
from parley.services import notifications
from parley.services.notifications import queue_notifications
from tests.conftest import Api, Parley, running_parley
from tests.support.smtp import Mailbox, smtp_server, text_of
from tests.support.waiting import eventually, polled

LATER_US = 121 * 1_000_000  # past PARLEY_NOTIFY_AGENT_AFTER_SECONDS (120)


@dataclass
class Team:
    parley: Parley
    api: Api
    agents: dict[str, dict[str, Any]]  # by name
    tokens: dict[str, str]  # console tokens, by name


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as received:
        yield received


def with_mail(settings: Settings, mailbox: Mailbox, **changes: Any) -> Settings:
    update = {
        "smtp_url": SecretStr(mailbox.url),
        "mail_from": "parley@example.com",
        "mail_poll_seconds": 0.05,
        "mail_retry_base_seconds": 0.05,
        "mail_retry_max_seconds": 0.2,
        "mail_max_attempts": 1000,
    }
    return settings.model_copy(update={**update, **changes})


@pytest.fixture
def mail_changes(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings a test changes from `with_mail`'s, with `parametrize("mail_changes", [{...}], indirect=True)`."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
async def team(settings: Settings, mailbox: Mailbox, mail_changes: dict[str, Any]) -> AsyncIterator[Team]:
    """Ann and Bob want mail; Cid turned it off; Dee has no email; Eve is deactivated."""
    async with running_parley(with_mail(settings, mailbox, **mail_changes)) as parley:
        api = await parley.new_workspace()
        agents, tokens = {}, {}
        for name, fields in {
            "Ann": {"email": "ann@example.com"},
            "Bob": {"email": "bob@example.com"},
            "Cid": {"email": "cid@example.com", "emailNotifications": False},
            "Dee": {},
            "Eve": {"email": "eve@example.com"},
        }.items():
            agents[name] = await api.agent(name.lower(), name=name, **fields)
            tokens[name] = (await api.ok("POST", f"/agents/{agents[name]['id']}/tokens", json={"name": "c"}))["token"]
        await api.ok("PUT", f"/agents/{agents['Eve']['id']}", json={"active": False})
        yield Team(parley, api, agents, tokens)


async def visitor_says(api: Api, conversation: dict[str, Any], *texts: str) -> list[dict[str, Any]]:
    return [
        await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json={"uuid": t, "text": t})
        for t in texts
    ]


async def console(team: Team, name: str, path: str, body: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {team.tokens[name]}"}
    answered = await team.api.client.post(f"/api/agent/v1{path}", json=body, headers=headers)
    assert answered.status_code == 200, answered.text


async def sweep(team: Team) -> int:
    """A sweep as it would run two minutes from now."""
    return await queue_notifications(team.parley.services, now_microseconds() + LATER_US)


async def outbox(api: Api) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = await api.ok("GET", "/mail/outbox", params={"limit": 100})
    return listed


async def test_an_unanswered_burst_is_mailed_once_to_every_agent_who_wants_it(team: Team, mailbox: Mailbox) -> None:
    conversation = await team.api.conversation(name="Vera Visitor")
    await visitor_says(team.api, conversation, "Hello?", "My order 1234 never came")
    assert await queue_notifications(team.parley.services, now_microseconds()) == 0  # not due yet
    assert await sweep(team) == 2
    assert await sweep(team) == 0  # one mail a burst, however many sweeps (and processes) see it

    await eventually(lambda: len(mailbox.messages) == 2, what="two notifications")
    assert sorted(r for recipients, _ in mailbox.messages for r in recipients) == ["ann@example.com", "bob@example.com"]
    mail = mailbox.to("ann@example.com")[0]
    assert mail["Subject"] == "Vera Visitor is waiting for an answer on Acme"
    assert mail["To"] == "Ann <ann@example.com>" and mail["From"] == "Acme <parley@example.com>"
    body = text_of(mail)
    assert body.index("> Hello?") < body.index("> My order 1234 never came")  # in order
    assert f"conversation={conversation['id']}" in body
    assert mail["In-Reply-To"] == mail["References"] == f"<conversation-{conversation['id']}@example.com>"
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and "My order 1234 never came" in html.get_content()  # type: ignore[attr-defined]

    await visitor_says(team.api, conversation, "Anyone there?")  # the same burst: no new mail
    assert await sweep(team) == 0


async def test_the_assignee_alone_is_told_and_a_new_burst_after_a_read_is_told_again(
    team: Team, mailbox: Mailbox
) -> None:
    conversation = await team.api.conversation(name="Vera Visitor")
    await team.api.ok(
        "POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": team.agents["Bob"]["id"]}
    )
    said = await visitor_says(team.api, conversation, "Hi Bob")
    await console(team, "Bob", f"/conversations/{conversation['id']}/read", {"until": said[-1]["microseconds"]})
    assert await sweep(team) == 0  # read: nothing to tell

    await visitor_says(team.api, conversation, "Are you still there?")  # a new burst, after the read
    assert await sweep(team) == 1
    mail = await eventually(lambda: mailbox.to("bob@example.com") or False, what="Bob's notification")
    assert "> Are you still there?" in text_of(mail[0]) and "Hi Bob" not in text_of(mail[0])
    assert mailbox.to("ann@example.com") == []


async def test_a_burst_answered_before_its_mail_goes_is_never_sent(
    settings: Settings, mailbox: Mailbox, team: Team
) -> None:
    mailbox.answer = "451 4.3.0 Try again later"  # the mail waits for a retry
    conversation = await team.api.conversation(name="Vera Visitor")
    await visitor_says(team.api, conversation, "Hello?")
    assert await sweep(team) == 2
    await polled(lambda: outbox(team.api), lambda found: all(m["attempts"] >= 1 for m in found))

    # Each next attempt composes the mail from the conversation as it is now, answered: cancelled, never sent.
    await console(team, "Ann", f"/conversations/{conversation['id']}/messages", {"uuid": "a1", "text": "Hi, Ann here"})
    cancelled = await polled(lambda: outbox(team.api), lambda found: all(m["status"] == "cancelled" for m in found))
    assert len(cancelled) == 2 and mailbox.messages == []


async def test_the_running_server_tells_agents_by_itself(settings: Settings, mailbox: Mailbox) -> None:
    async with running_parley(with_mail(settings, mailbox, notify_agent_after_seconds=0.2)) as parley:
        api = await parley.new_workspace()
        await api.agent("ann", name="Ann", email="ann@example.com")
        conversation = await api.conversation(name="Vera Visitor")
        await visitor_says(api, conversation, "Hello?")
        mail = await eventually(lambda: mailbox.to("ann@example.com") or False, what="the notification")
        assert "> Hello?" in text_of(mail[0])
        sent = await polled(lambda: outbox(api), lambda found: [m["status"] for m in found] == ["sent"])
        assert sent[0]["kind"] == "agent_notification" and sent[0]["conversationId"] == conversation["id"]


async def test_a_burst_after_a_read_late_in_a_long_wait_is_told(team: Team, mailbox: Mailbox) -> None:
    conversation = await team.api.conversation(name="Vera Visitor")
    said = await visitor_says(team.api, conversation, "Hello?")
    await console(team, "Ann", f"/conversations/{conversation['id']}/read", {"until": said[-1]["microseconds"]})

    def two_days_of_waiting(conn: Any) -> None:  # the wait began long before the sweep's lookback
        conn.execute(text("UPDATE conversations SET waiting_since = waiting_since - 172800"))

    await team.parley.services.db.write(lambda tx: two_days_of_waiting(tx.conn))
    await visitor_says(team.api, conversation, "Still nobody?")  # a new burst, after the read
    assert await sweep(team) == 2
    mail = await eventually(lambda: mailbox.to("ann@example.com") or False, what="Ann's notification")
    assert "> Still nobody?" in text_of(mail[0]) and "Hello?" not in text_of(mail[0])


async def test_a_sweep_queues_a_bounded_page_and_the_next_one_the_rest(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "SWEEP_LIMIT", 3)
    for name in ("Vera", "Walt"):
        await visitor_says(team.api, await team.api.conversation(name=name), "Hello?")
    assert [await sweep(team) for _ in range(3)] == [3, 1, 0]  # two bursts, two agents each
    causes = {(m["conversationId"], m["to"]) for m in await outbox(team.api)}
    assert len(causes) == 4


async def test_a_visitors_name_with_a_line_break_is_one_line_in_the_subject(team: Team, mailbox: Mailbox) -> None:
    conversation = await team.api.conversation(name="Vera\u2028Visitor")
    await visitor_says(team.api, conversation, "Hello?")
    assert await sweep(team) == 2
    mail = await eventually(lambda: mailbox.to("ann@example.com") or False, what="Ann's notification")
    assert mail[0]["Subject"] == "Vera Visitor is waiting for an answer on Acme"
    assert mail[0]["Auto-Submitted"] == "auto-generated"


# The retry an hour away: an attempt under way as the erasure commits could still go (SMTP takes its time).
@pytest.mark.parametrize(
    "mail_changes", [{"mail_retry_base_seconds": 3600, "mail_retry_max_seconds": 3600}], indirect=True
)
async def test_an_erased_visitor_is_not_mailed_and_their_address_is_not_kept(team: Team, mailbox: Mailbox) -> None:
    mailbox.answer = "451 4.3.0 Try again later"  # the visitor's mail waits for a retry
    conversation = await team.api.conversation(name="Vera", email="vera@example.net")
    answered = {"uuid": "a1", "text": "Could you send me the parcel number?"}
    await console(team, "Ann", f"/conversations/{conversation['id']}/messages", answered)
    assert await queue_notifications(team.parley.services, now_microseconds() + 301 * 1_000_000) == 1
    await polled(lambda: outbox(team.api), lambda found: found[0]["attempts"] >= 1)

    await team.api.ok("DELETE", f"/end-users/{conversation['endUser']['id']}")
    mailbox.answer = "250 OK"
    [mail] = await outbox(team.api)
    assert (mail["kind"], mail["status"], mail["to"]) == ("visitor_notification", "cancelled", "")
    assert await queue_notifications(team.parley.services, now_microseconds() + 301 * 1_000_000) == 0
    assert mailbox.messages == []


async def test_an_agent_turns_their_own_email_notifications_off(team: Team, mailbox: Mailbox) -> None:
    headers = {"Authorization": f"Bearer {team.tokens['Ann']}"}
    turned = await team.api.client.put(
        "/api/agent/v1/me/notifications", json={"emailNotifications": False}, headers=headers
    )
    assert turned.status_code == 200 and turned.json()["data"]["emailNotifications"] is False
    refused = await team.api.client.put(
        "/api/agent/v1/me/notifications", json={"emailNotifications": "x"}, headers=headers
    )
    assert refused.status_code == 422

    await visitor_says(team.api, await team.api.conversation(name="Vera"), "Hello?")
    assert await sweep(team) == 1
    await eventually(lambda: mailbox.to("bob@example.com") or False, what="Bob's notification")
    assert mailbox.to("ann@example.com") == []
