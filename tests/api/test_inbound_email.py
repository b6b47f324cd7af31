"""Email replies continue the chat (workflow.md 3), through both ways in: the built-in SMTP listener (a real SMTP
client talking to it) and `POST /api/inbound/email`. Each mail is stored once, as the visitor's message from
`email`, part by part (a retry stores what a failed delivery did not); forged or unknown addresses store nothing,
nor do automatic replies; a locked conversation's reply opens a new one. And the whole loop: an agent's unread answer
mailed to the visitor, whose reply to that mail lands in the conversation and reads the answers it quoted, so the
next answer is mailed in turn."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, NoReturn

import aiosmtplib
import pytest
from pydantic import SecretStr

from parley.clock import now_microseconds
from parley.config import Settings
from parley.errors import ParleyError
from parley.services import messages
from parley.services.inbound_email import reply_address
from parley.services.notifications import queue_notifications
from tests.conftest import Api, Parley, running_parley
from tests.mail.conftest import sample_mail
from tests.mail.test_inbound import SAMPLE_TEXTS
from tests.support.live import free_port
from tests.support.smtp import Mailbox, smtp_server, text_of
from tests.support.waiting import eventually, polled

DOMAIN = "in.example.com"
SECRET = "the-mail-providers-shared-secret"
NOTIFY_AFTER_US = 301 * 1_000_000  # past PARLEY_NOTIFY_VISITOR_AFTER_SECONDS (300)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
async def parley(settings: Settings, mailbox: Mailbox) -> AsyncIterator[Parley]:
    """Mail on both ways: out through the test's SMTP server, in on a listener of Parley's own."""
    both_ways = settings.model_copy(
        update={
            "smtp_url": SecretStr(mailbox.url),
            "mail_from": "parley@example.com",
            "mail_poll_seconds": 0.05,
            "inbound_email_domain": DOMAIN,
            "inbound_email_secret": SecretStr(SECRET),
            "inbound_smtp_port": free_port(),
            "inbound_smtp_host": "127.0.0.1",
        }
    )
    async with running_parley(both_ways) as running:
        yield running


async def post_mail(parley: Parley, raw: bytes, secret: str | None = SECRET) -> Any:
    headers = {"Content-Type": "message/rfc822", **({"Authorization": f"Bearer {secret}"} if secret else {})}
    return await parley.client.post("/api/inbound/email", content=raw, headers=headers)


async def smtp_send(parley: Parley, raw: bytes, to: str) -> None:
    port = parley.services.settings.inbound_smtp_port
    assert port is not None
    await aiosmtplib.send(raw, sender="vera@example.net", recipients=[to], hostname="127.0.0.1", port=port)


async def history(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = await api.ok("GET", f"/conversation/{conversation_id}/messages")
    return listed


async def reply(parley: Parley, way: str, raw: bytes, to: str) -> None:
    """The visitor's mail, through the listener or the forwarding route."""
    if way == "smtp":
        await smtp_send(parley, raw, to)
    else:
        answered = await post_mail(parley, raw)
        assert answered.status_code == 200, answered.text


async def console_of(api: Api) -> dict[str, str]:
    """The headers of an agent's console (the agent API), as Anna."""
    agent = await api.agent("anna", name="Anna")
    token = (await api.ok("POST", f"/agents/{agent['id']}/tokens", json={"name": "console"}))["token"]
    return {"Authorization": f"Bearer {token}"}


async def agent_says(parley: Parley, console: dict[str, str], conversation_id: str, text: str) -> dict[str, Any]:
    path = f"/api/agent/v1/conversations/{conversation_id}/messages"
    sent = await parley.client.post(path, json={"uuid": uuid.uuid4().hex, "text": text}, headers=console)
    assert sent.status_code == 200, sent.text
    said: dict[str, Any] = sent.json()["data"]
    return said


async def statuses_in_console(parley: Parley, console: dict[str, str], conversation_id: str) -> dict[str, str]:
    listed = await parley.client.get(f"/api/agent/v1/conversations/{conversation_id}/messages", headers=console)
    assert listed.status_code == 200, listed.text
    return {m["id"]: m["status"] for m in listed.json()["data"]}


async def started(parley: Parley) -> tuple[Api, dict[str, Any], str]:
    api = await parley.new_workspace()
    conversation = await api.conversation(name="Vera Visitor", email="vera@example.net")
    address = reply_address(parley.services.settings, conversation["id"])
    assert address is not None and address.startswith("reply+") and address.endswith(f"@{DOMAIN}")
    return api, conversation, address


@pytest.mark.parametrize("way", ["smtp", "http"])
@pytest.mark.parametrize("sample", SAMPLE_TEXTS)
async def test_every_common_clients_reply_arrives_both_ways_as_its_own_words(
    parley: Parley, sample: str, way: str
) -> None:
    api, conversation, address = await started(parley)
    raw = sample_mail(sample, address)
    if way == "smtp":
        await smtp_send(parley, raw, address)
    else:
        assert (await post_mail(parley, raw)).status_code == 200
    stored = await polled(lambda: history(api, conversation["id"]), lambda found: len(found) >= 1)
    assert stored[0]["body"] == SAMPLE_TEXTS[sample] and stored[0]["source"] == "email"
    assert [m["type"] for m in stored] == ["text"] + (["file"] if sample == "apple_mail" else [])


async def test_a_forwarded_reply_is_the_visitors_message_once(parley: Parley) -> None:
    api, conversation, address = await started(parley)
    raw = sample_mail("gmail", address)
    answered = await post_mail(parley, raw)
    assert answered.status_code == 200, answered.text
    message_id = answered.json()["data"]["messageId"]
    [stored] = await history(api, conversation["id"])
    assert stored["id"] == message_id and stored["source"] == "email" and stored["type"] == "text"
    assert stored["body"].startswith("Thanks Anna, the parcel number is 1Z999") and "wrote:" not in stored["body"]
    assert stored["endUser"]["id"] == conversation["endUser"]["id"]

    again = await post_mail(parley, raw)  # the provider retries
    assert again.status_code == 200 and again.json() == {"status": 200, "data": {"messageId": None}}
    assert len(await history(api, conversation["id"])) == 1


async def test_a_reply_over_smtp_with_an_attachment_is_stored_once(parley: Parley) -> None:
    api, conversation, address = await started(parley)
    raw = sample_mail("apple_mail", address)
    await smtp_send(parley, raw, address)
    stored = await polled(lambda: history(api, conversation["id"]), lambda found: len(found) == 2)
    assert [m["type"] for m in stored] == ["text", "file"]
    assert stored[0]["body"] == "Here is a photo of the damaged box." and stored[1]["file"]["type"] == "image"
    assert {m["source"] for m in stored} == {"email"}

    await smtp_send(parley, raw, address)  # delivered twice: stored once
    await smtp_send(parley, sample_mail("no_message_id", address), address)  # a later mail, to know both were read
    after = await polled(lambda: history(api, conversation["id"]), lambda found: len(found) >= 3)
    assert [m["body"] for m in after][2:] == ["A reply without a Message-ID."] and len(after) == 3


async def test_forged_and_unknown_addresses_are_refused_and_nothing_is_stored(parley: Parley) -> None:
    api, conversation, address = await started(parley)
    local = address.split("@")[0]
    forged = f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{DOMAIN}"  # one digit of the HMAC changed
    other_conversation = f"reply+{uuid.uuid4().hex}{local[-24:]}@{DOMAIN}"  # another id with this tag
    for refused in (forged, other_conversation, f"{local}@elsewhere.example", f"support@{DOMAIN}"):
        answered = await post_mail(parley, sample_mail("gmail", refused))
        assert answered.status_code == 404 and answered.json()["error"]["code"] == "not_found", refused
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as smtp_refusal:
            await smtp_send(parley, sample_mail("gmail", refused), refused)
        assert smtp_refusal.value.recipients[0].code == 550
    assert await history(api, conversation["id"]) == []


async def test_an_erased_visitors_replies_are_refused_and_nothing_is_stored(parley: Parley) -> None:
    api, conversation, address = await started(parley)
    await api.ok("DELETE", f"/end-users/{conversation['endUser']['id']}")
    answered = await post_mail(parley, sample_mail("gmail", address))
    assert answered.status_code == 404 and answered.json()["error"]["code"] == "not_found"
    with pytest.raises(aiosmtplib.SMTPDataError) as smtp_refusal:
        await smtp_send(parley, sample_mail("gmail", address), address)
    assert smtp_refusal.value.code == 550
    assert await history(api, conversation["id"]) == []


async def test_the_forwarding_route_wants_the_shared_secret(parley: Parley, settings: Settings) -> None:
    api, conversation, address = await started(parley)
    for secret in (None, "wrong", SECRET + "x"):
        answered = await post_mail(parley, sample_mail("gmail", address), secret)
        assert answered.status_code == 401 and answered.json()["error"]["code"] == "unauthorized"
    assert await history(api, conversation["id"]) == []

    async with running_parley(settings) as unset:  # no secret set: nobody is let in
        refused = await post_mail(unset, sample_mail("gmail", address), "")
        assert refused.status_code == 401


async def test_a_reply_to_a_locked_conversation_opens_a_new_one(parley: Parley) -> None:
    api, conversation, address = await started(parley)
    await api.ok("POST", f"/conversation/{conversation['id']}/lock")
    raw = sample_mail("outlook", address)
    first = (await post_mail(parley, raw)).json()["data"]["messageId"]
    assert await history(api, conversation["id"]) == []
    listed = await api.ok("GET", "/conversations", params={"endUserId": conversation["endUser"]["id"]})
    newer = next(c for c in listed if c["id"] != conversation["id"])
    [stored] = await history(api, newer["id"])
    assert stored["id"] == first and stored["body"] == "Café order #12 \u2013 I was charged twice."
    assert (await post_mail(parley, raw)).json()["data"]["messageId"] is None  # not a third conversation
    assert len(await api.ok("GET", "/conversations", params={"endUserId": conversation["endUser"]["id"]})) == 2


async def test_bad_mail_is_refused_clearly_and_an_oversize_attachment_is_left_out(
    settings: Settings, parley: Parley
) -> None:
    api, conversation, address = await started(parley)
    for raw in (b"", b"no headers at all", f"To: {address}\nSubject: empty\n\n".encode()):
        answered = await post_mail(parley, raw)
        assert answered.status_code == 422 and answered.json()["error"]["code"] == "validation_error"
    with pytest.raises(aiosmtplib.SMTPDataError) as smtp_refusal:
        await smtp_send(parley, f"To: {address}\nSubject: empty\n\n".encode(), address)
    assert smtp_refusal.value.code == 554
    assert await history(api, conversation["id"]) == []

    small_files = settings.model_copy(
        update={"max_file_bytes": 64, "inbound_email_domain": DOMAIN, "inbound_email_secret": SecretStr(SECRET)}
    )
    async with running_parley(small_files) as strict:
        answered = await post_mail(strict, sample_mail("apple_mail", address))
        assert answered.status_code == 200, answered.text
        [stored] = await history(strict.api(api.token, api.workspace_id), conversation["id"])
        assert stored["body"] == (
            "Here is a photo of the damaged box.\n\n(The attachment box.png was not kept: it is larger than 0 MB.)"
        )


async def test_an_unread_answer_is_mailed_to_the_visitor_and_their_reply_continues_the_chat(
    parley: Parley, mailbox: Mailbox
) -> None:
    api, conversation, address = await started(parley)
    agent = await api.agent("anna", name="Anna")
    await api.ok("POST", f"/conversation/{conversation['id']}/assign-agent", json={"agentId": agent["id"]})
    token = (await api.ok("POST", f"/agents/{agent['id']}/tokens", json={"name": "console"}))["token"]
    console = {"Authorization": f"Bearer {token}"}
    path = f"/api/agent/v1/conversations/{conversation['id']}"
    await parley.client.post(f"{path}/notes", json={"uuid": "n1", "text": "Internal: refund?"}, headers=console)
    for n, text in enumerate(["Could you send me the parcel number?", "And the order date?"]):
        sent = await parley.client.post(f"{path}/messages", json={"uuid": f"a{n}", "text": text}, headers=console)
        assert sent.status_code == 200, sent.text

    later = now_microseconds() + 301 * 1_000_000  # past PARLEY_NOTIFY_VISITOR_AFTER_SECONDS (300)
    assert await queue_notifications(parley.services, now_microseconds()) == 0
    assert await queue_notifications(parley.services, later) == 1
    assert await queue_notifications(parley.services, later) == 0  # one mail per run
    [mail] = await eventually(lambda: mailbox.to("vera@example.net") or False, what="the visitor's mail")
    body = text_of(mail)
    assert mail["Subject"] == "Anna answered you on Acme" and mail["Reply-To"] == f"Acme <{address}>"
    assert body.index("> Could you send me the parcel number?") < body.index("> And the order date?")
    assert "Internal" not in body and "Internal" not in str(mail.get_body(preferencelist=("html",)))  # never notes

    await smtp_send(parley, sample_mail("gmail", address), address)  # the visitor answers the mail
    stored = await polled(lambda: history(api, conversation["id"]), lambda found: found[-1]["source"] == "email")
    assert stored[-1]["body"].startswith("Thanks Anna") and stored[-1]["endUser"] is not None


async def test_a_run_the_visitor_read_is_not_mailed(parley: Parley, mailbox: Mailbox) -> None:
    api, conversation, _ = await started(parley)
    agent = await api.agent("anna", name="Anna")
    token = (await api.ok("POST", f"/agents/{agent['id']}/tokens", json={"name": "console"}))["token"]
    sent = await parley.client.post(
        f"/api/agent/v1/conversations/{conversation['id']}/messages",
        json={"uuid": "a1", "text": "Hello Vera"},
        headers={"Authorization": f"Bearer {token}"},
    )
    session = await parley.client.post("/api/widget/v1/session", json={"siteKey": (await site_key(api))})
    assert session.status_code == 200
    visitor = {"Authorization": f"Bearer {conversation['endUser']['websocketToken']}"}
    read = await parley.client.post(
        "/api/widget/v1/read", json={"until": sent.json()["data"]["microseconds"]}, headers=visitor
    )
    assert read.status_code == 200, read.text
    assert await queue_notifications(parley.services, now_microseconds() + 301 * 1_000_000) == 0


async def site_key(api: Api) -> str:
    settings: dict[str, Any] = await api.ok("GET", "/widget-settings")
    return str(settings["siteKey"])


@pytest.mark.parametrize("way", ["smtp", "http"])
async def test_an_email_reply_reads_the_answers_it_quoted_and_the_next_answer_is_mailed(
    parley: Parley, mailbox: Mailbox, way: str
) -> None:
    api, conversation, address = await started(parley)
    console = await console_of(api)
    asked = await agent_says(parley, console, conversation["id"], "Could you send me the parcel number?")
    assert await queue_notifications(parley.services, now_microseconds() + NOTIFY_AFTER_US) == 1
    await eventually(lambda: mailbox.to("vera@example.net") or False, what="the visitor's first mail")

    await reply(parley, way, sample_mail("gmail", address), address)  # the visitor answers that mail
    stored = await polled(lambda: history(api, conversation["id"]), lambda found: found[-1]["source"] == "email")
    assert [(m["id"], m["status"]) for m in stored[:-1]] == [(asked["id"], "read")]  # as the External API shows it
    assert (await statuses_in_console(parley, console, conversation["id"]))[asked["id"]] == "read"  # and the console

    thanks = await agent_says(parley, console, conversation["id"], "Thank you, I found it: it arrives on Monday.")
    assert (await statuses_in_console(parley, console, conversation["id"]))[thanks["id"]] != "read"
    assert await queue_notifications(parley.services, now_microseconds() + NOTIFY_AFTER_US) == 1  # a new run
    await eventually(lambda: len(mailbox.to("vera@example.net")) == 2 or False, what="the visitor's second mail")
    [_, second] = mailbox.to("vera@example.net")
    assert "> Thank you, I found it" in text_of(second) and "parcel number?" not in text_of(second)


async def test_a_reply_moved_by_a_lock_reads_the_answers_of_the_conversation_it_answered(parley: Parley) -> None:
    api, conversation, address = await started(parley)
    console = await console_of(api)
    asked = await agent_says(parley, console, conversation["id"], "Could you send me the parcel number?")
    await api.ok("POST", f"/conversation/{conversation['id']}/lock")

    moved = (await post_mail(parley, sample_mail("gmail", address))).json()["data"]["messageId"]
    assert moved is not None
    assert [(m["id"], m["status"]) for m in await history(api, conversation["id"])] == [(asked["id"], "read")]


async def file_store_down(*args: object, **kwargs: object) -> NoReturn:
    """Storing an attachment, as it fails while a dependency is down."""
    raise ParleyError(503, "unavailable", "The file store is unavailable.")


@pytest.mark.parametrize("way", ["smtp", "http"])
async def test_a_retry_stores_the_parts_a_delivery_that_failed_halfway_did_not(
    parley: Parley, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    api, conversation, address = await started(parley)
    raw = sample_mail("apple_mail", address)  # a text and an attachment

    with monkeypatch.context() as broken:
        broken.setattr(messages, "send_visitor_upload", file_store_down)
        if way == "smtp":
            with pytest.raises(aiosmtplib.SMTPDataError) as deferred:
                await smtp_send(parley, raw, address)
            assert deferred.value.code == 451  # the sender keeps the mail and tries again
        else:
            assert (await post_mail(parley, raw)).status_code == 503
    [text] = await history(api, conversation["id"])  # stored before the attachment failed

    await reply(parley, way, raw, address)  # the retry
    stored = await polled(lambda: history(api, conversation["id"]), lambda found: len(found) >= 2)
    assert [(m["type"], m["source"]) for m in stored] == [("text", "email"), ("file", "email")]
    assert stored[0]["id"] == text["id"] and stored[1]["file"]["type"] == "image"  # the text once, the photo kept

    again = await post_mail(parley, raw)  # every part stored: nothing more
    assert again.json()["data"]["messageId"] is None and len(await history(api, conversation["id"])) == 2


async def test_the_retry_answers_the_first_message_it_stored(parley: Parley, monkeypatch: pytest.MonkeyPatch) -> None:
    api, conversation, address = await started(parley)
    raw = sample_mail("apple_mail", address)

    with monkeypatch.context() as broken:
        broken.setattr(messages, "send_visitor_upload", file_store_down)
        assert (await post_mail(parley, raw)).status_code == 503
    retried = await post_mail(parley, raw)
    assert retried.status_code == 200, retried.text
    [_, file] = await history(api, conversation["id"])
    assert retried.json()["data"]["messageId"] == file["id"]


@pytest.mark.parametrize("way", ["smtp", "http"])
@pytest.mark.parametrize("sample", ["out_of_office", "delivery_report"])
async def test_an_automatic_reply_is_accepted_and_dropped(parley: Parley, sample: str, way: str) -> None:
    api, conversation, address = await started(parley)
    console = await console_of(api)
    asked = await agent_says(parley, console, conversation["id"], "Could you send me the parcel number?")
    raw = sample_mail(sample, address)
    if way == "smtp":
        await smtp_send(parley, raw, address)  # 250: the sender neither retries nor bounces it
    else:
        answered = await post_mail(parley, raw)
        assert answered.status_code == 200 and answered.json() == {"status": 200, "data": {"messageId": None}}
    [only] = await history(api, conversation["id"])  # both ways answer once done: nothing was stored
    assert only["id"] == asked["id"] and only["status"] != "read"  # nobody read it: it is still mailed
