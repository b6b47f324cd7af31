"""The mail outbox (workflow.md 3): mail is queued with its cause and sent by the worker through a real SMTP server,
tried again while the server is away, given up on a permanent refusal and sent again when an admin asks, once per
cause with several workers, and nothing of it is stored readable."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from parley.clock import now_microseconds
from parley.config import Settings
from parley.services.context import Services
from parley.services.notifications import queue_notifications
from parley.webhooks.pruning import prune_outbox
from tests.conftest import Api, running_parley
from tests.support.live import free_port
from tests.support.smtp import Mailbox, smtp_server, text_of
from tests.support.waiting import eventually, polled

QUICK_RETRIES = {"mail_retry_base_seconds": 0.1, "mail_retry_max_seconds": 0.3, "mail_poll_seconds": 0.1}


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as received:
        yield received


def mail_on(settings: Settings, port: int, **changes: Any) -> Settings:
    smtp = SecretStr(f"smtp://127.0.0.1:{port}")
    return settings.model_copy(update={"smtp_url": smtp, "mail_from": "parley@example.com", **changes})


async def invite(api: Api, email: str) -> dict[str, Any]:
    agent = await api.ok("POST", "/agents", json={"serviceUserId": email, "name": "Ann Example", "email": email})
    invitation: dict[str, Any] = await api.ok("POST", f"/agents/{agent['id']}/invite")
    return invitation


async def outbox(api: Api, **params: Any) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = await api.ok("GET", "/mail/outbox", params=params)
    return listed


async def stored_mail_text(services: Services) -> str:
    """Every stored byte of the outbox, as one string."""

    def dump(conn: Any) -> str:
        return repr(conn.execute(text("SELECT * FROM mail_outbox")).all())

    found: str = await services.db.read(dump)
    return found


async def test_mail_queued_while_the_smtp_server_is_away_goes_when_it_answers(settings: Settings) -> None:
    port = free_port()  # nothing listens there yet: every attempt is refused
    async with running_parley(mail_on(settings, port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace()
        invitation = await invite(api, "ann@example.com")
        assert invitation["mailed"] is True  # queued, with the link, in the invitation's transaction
        token = invitation["inviteUrl"].split("#token=")[1]

        waiting = await polled(lambda: outbox(api), lambda found: found[0]["attempts"] >= 2)
        assert [(m["kind"], m["to"], m["status"]) for m in waiting] == [("invitation", "ann@example.com", "pending")]
        assert waiting[0]["lastError"] and waiting[0]["nextAttemptAt"] is not None
        assert "Acme" in waiting[0]["subject"] and "text" not in waiting[0]
        assert token not in await stored_mail_text(parley.services)  # the link is sealed at rest

        with smtp_server(port) as mailbox:
            received = await eventually(lambda: mailbox.to("ann@example.com") or False, what="the invitation")
            sent = await polled(lambda: outbox(api), lambda found: found[0]["status"] == "sent")
        assert len(received) == 1 and invitation["inviteUrl"] in text_of(received[0])
        assert received[0]["Message-ID"] and received[0]["Subject"] == waiting[0]["subject"]
        assert sent[0]["sentAt"] is not None and sent[0]["lastError"] is None and sent[0]["nextAttemptAt"] is None
        assert "sealed:" not in await stored_mail_text(parley.services)  # nothing of the message is kept once sent


async def test_a_permanent_refusal_fails_at_once_and_an_admin_sends_it_again(
    settings: Settings, mailbox: Mailbox
) -> None:
    mailbox.answer = "550 5.1.1 No such mailbox here"
    async with running_parley(mail_on(settings, mailbox.port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace()
        await invite(api, "ann@example.com")
        failed = await polled(lambda: outbox(api), lambda found: found[0]["status"] == "failed")
        assert failed[0]["attempts"] == 1 and failed[0]["lastError"] == "SMTP 550: 5.1.1 No such mailbox here"
        assert await outbox(api, status="failed") == failed and await outbox(api, status="sent") == []

        mailbox.answer = "250 OK"
        again = await api.ok("POST", f"/mail/outbox/{failed[0]['id']}/retry")
        assert again["status"] in ("pending", "sent") and again["attempts"] in (0, 1)
        await eventually(lambda: len(mailbox.to("ann@example.com")) == 1, what="the mail sent again")
        sent = await polled(lambda: outbox(api), lambda found: found[0]["status"] == "sent")
        assert sent[0]["attempts"] == 1 and mailbox.refused == 1

        sent_again = await api.ok("POST", f"/mail/outbox/{failed[0]['id']}/retry")  # only a failed one is sent again
        assert sent_again["status"] == "sent"
        other = await parley.new_workspace("Rival")
        assert (await other.call("POST", f"/mail/outbox/{failed[0]['id']}/retry")).status_code == 404
        assert await outbox(other) == []


async def test_a_server_that_asks_to_try_later_gets_the_mail_later(settings: Settings, mailbox: Mailbox) -> None:
    mailbox.answer = "451 4.3.0 Try again later"
    async with running_parley(mail_on(settings, mailbox.port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace()
        await invite(api, "ann@example.com")
        await polled(lambda: outbox(api), lambda found: found[0]["attempts"] >= 2)
        mailbox.answer = "250 OK"
        sent = await polled(lambda: outbox(api), lambda found: found[0]["status"] == "sent")
        assert len(mailbox.to("ann@example.com")) == 1 and sent[0]["attempts"] == mailbox.refused + 1


async def test_mail_tried_the_most_times_is_given_up(settings: Settings) -> None:
    away = mail_on(settings, free_port(), mail_max_attempts=3, **QUICK_RETRIES)
    async with running_parley(away) as parley:
        api = await parley.new_workspace()
        await invite(api, "ann@example.com")
        failed = await polled(lambda: outbox(api), lambda found: found[0]["status"] == "failed")
        assert failed[0]["attempts"] == 3 and "Connect" in failed[0]["lastError"]


async def test_without_mail_nothing_is_queued_and_the_admins_are_told(api: Api) -> None:
    assert await api.ok("GET", "/mail") == {"enabled": False, "from": None}
    invitation = await invite(api, "ann@example.com")
    assert invitation["mailed"] is False
    assert await outbox(api) == []


async def test_admins_see_whether_mail_is_on_and_the_outbox_and_agents_do_not(settings: Settings) -> None:
    async with running_parley(mail_on(settings, free_port())) as parley:
        api = await parley.new_workspace()
        assert await api.ok("GET", "/mail") == {"enabled": True, "from": "parley@example.com"}
        await invite(api, "ann@example.com")
        for role, allowed in (("admin", True), ("agent", False)):
            agent = await api.agent(f"{role}-1", role=role)
            token = (await api.ok("POST", f"/agents/{agent['id']}/tokens", json={"name": "console"}))["token"]
            headers = {"Authorization": f"Bearer {token}"}
            listed = await api.client.get("/api/agent/v1/mail/outbox", headers=headers)
            assert listed.status_code == (200 if allowed else 403), listed.text
            if allowed:
                assert [m["to"] for m in listed.json()["data"]] == ["ann@example.com"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # on SQLite one process sends
async def test_two_workers_send_each_mail_once(settings: Settings, mailbox: Mailbox) -> None:
    """Two processes (two `Services`) over one PostgreSQL database share the outbox: every mail arrives once."""
    both = mail_on(settings, mailbox.port, mail_poll_seconds=0.05, mail_concurrency=2)
    other = Services.build(both)
    await other.start()
    try:
        async with running_parley(both) as parley:
            api = await parley.new_workspace()
            addresses = [f"agent{n}@example.com" for n in range(24)]
            for address in addresses:
                await invite(api, address)
            await polled(lambda: outbox(api, limit=100), lambda found: all(m["status"] == "sent" for m in found))
    finally:
        await other.close()
    arrived = Counter(recipient for recipients, _ in mailbox.messages for recipient in recipients)
    assert arrived == Counter(addresses)


async def test_finished_mail_is_pruned_with_the_outbox_and_pending_mail_stays(
    settings: Settings, mailbox: Mailbox
) -> None:
    async with running_parley(mail_on(settings, mailbox.port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace()
        await invite(api, "ann@example.com")
        await polled(lambda: outbox(api), lambda found: found[0]["status"] == "sent")
        mailbox.answer = "451 4.3.0 Try again later"
        await invite(api, "bob@example.com")
        await polled(lambda: outbox(api), lambda found: found[0]["attempts"] >= 1)

        a_month_on = now_microseconds() + 31 * 86_400 * 1_000_000
        pruned = await prune_outbox(parley.services.db, a_month_on, retention_days=30)
        assert pruned.mail == 1
        assert [(m["to"], m["status"]) for m in await outbox(api)] == [("bob@example.com", "pending")]


async def test_a_recipient_refused_for_good_fails_at_once(settings: Settings, mailbox: Mailbox) -> None:
    mailbox.recipient_answer = "550 5.1.1 No such user"
    async with running_parley(mail_on(settings, mailbox.port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace()
        await invite(api, "gone@example.com")
        failed = await polled(lambda: outbox(api), lambda found: found[0]["status"] != "pending")
    assert failed[0]["status"] == "failed" and failed[0]["attempts"] == 1  # not retried for hours
    assert "550" in failed[0]["lastError"] and mailbox.messages == []


async def test_a_stalled_smtp_server_cannot_hold_a_send_past_its_lease(settings: Settings) -> None:
    """A server that takes the connection and never answers: aiosmtplib's timeout is per step (30 s), so only the
    bound on the whole attempt (half the lease) ends it before another process could lease the mail again."""
    connections: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # never a greeting

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with running_parley(mail_on(settings, port, mail_lease_seconds=1.0, **QUICK_RETRIES)) as parley:
            api = await parley.new_workspace()
            await invite(api, "ann@example.com")
            waiting = await polled(lambda: outbox(api), lambda found: found[0]["attempts"] >= 1)
    finally:
        server.close()
        for writer in connections:
            writer.close()
    assert waiting[0]["status"] == "pending" and "Timeout" in waiting[0]["lastError"] and connections


async def test_a_replaced_or_used_invitation_is_not_mailed(settings: Settings) -> None:
    async with running_parley(mail_on(settings, free_port(), **QUICK_RETRIES)) as parley:  # mail waits: no server
        api = await parley.new_workspace()
        agent = await api.ok("POST", "/agents", json={"serviceUserId": "ann", "name": "Ann", "email": "ann@x.example"})
        await api.ok("POST", f"/agents/{agent['id']}/invite")
        second = await api.ok("POST", f"/agents/{agent['id']}/invite")  # the first link stops working
        assert [m["status"] for m in await outbox(api)] == ["pending", "cancelled"]  # newest first

        token = second["inviteUrl"].split("#token=")[1]
        chosen = {"token": token, "password": "p" * 12}
        accepted = await api.client.post("/api/agent/v1/invitations/accept", json=chosen)
        assert accepted.status_code == 200, accepted.text
        assert [m["status"] for m in await outbox(api)] == ["cancelled", "cancelled"]  # used: its mail is old news


async def test_names_with_line_breaks_make_one_line_headers(settings: Settings, mailbox: Mailbox) -> None:
    async with running_parley(mail_on(settings, mailbox.port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace("Acme\nCorp\u2028Ltd")
        agent = await api.ok("POST", "/agents", json={"serviceUserId": "ann", "name": "Ann\u2029X", "email": "a@x.io"})
        invited = await api.call("POST", f"/agents/{agent['id']}/invite")
        assert invited.status_code == 200, invited.text  # was a 500: the standard library refuses a broken header
        received = await eventually(lambda: mailbox.to("a@x.io") or False, what="the invitation")
    assert received[0]["Subject"] == "You are invited to Acme Corp Ltd on Parley"
    assert received[0]["From"] == "Acme Corp Ltd <parley@example.com>"
    assert received[0]["Auto-Submitted"] == "auto-generated"  # auto-responders do not answer it


@pytest.mark.parametrize(
    ("error", "outcome"),
    [(RuntimeError("a bug"), ("pending", "RuntimeError: a bug")), (ValueError("bad header"), ("failed", "ValueError"))],
)
async def test_an_unexpected_error_counts_as_an_attempt(
    settings: Settings, mailbox: Mailbox, error: Exception, outcome: tuple[str, str]
) -> None:
    """Fault injected where no test can make one: an error nobody expected must not leave the mail leased and
    uncounted, tried every lease for ever; one the standard library raised writing it (ValueError) fails it."""
    async with running_parley(mail_on(settings, mailbox.port, **QUICK_RETRIES)) as parley:
        api = await parley.new_workspace()
        worker = parley.services.mail

        async def failing(mail: Any) -> None:
            raise error

        worker.compose = failing
        conversation = await api.conversation(name="Vera")
        await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json={"uuid": "u", "text": "hi"})
        await api.agent("ann", name="Ann", email="ann@example.com")
        await queue_notifications(parley.services, now_microseconds() + 121_000_000)
        tried = await polled(lambda: outbox(api), lambda found: bool(found) and found[0]["attempts"] >= 1)
    status, error_text = outcome
    assert tried[0]["status"] == status and error_text in tried[0]["lastError"]
