"""The SMTP listener on its own (a real SMTP client talking to it): what it answers for each way storing a mail can
fail, permanently or for now; and a serving process whose listener cannot bind its port does not start, nor leave
its services running."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosmtplib
import pytest
from pydantic import SecretStr

from parley.config import Settings
from parley.errors import ParleyError
from parley.mail.listener import ReplyHandler, SmtpListener
from tests.conftest import running_parley
from tests.support.live import free_port

MAIL = b"To: reply+x@in.example.com\nMessage-ID: <m@d>\nSubject: Re: hello\n\nThanks!\n"


@asynccontextmanager
async def failing(failure: Exception) -> AsyncIterator[int]:
    """A listener whose storing fails with `failure`; yields its port."""

    async def receive(raw: bytes, recipients: list[str]) -> None:
        raise failure

    port = free_port()
    listener = SmtpListener("127.0.0.1", port, ReplyHandler(lambda address: True, receive), 1_000_000, "parley")
    await listener.start()
    try:
        yield port
    finally:
        await listener.stop()


def refused(status: int) -> ParleyError:
    return ParleyError(status, "refused", "Refused for the test.")


@pytest.mark.parametrize(
    ("failure", "answer"),
    [
        (refused(404), 550),  # no such reply address: permanent
        (refused(413), 552),  # too large: permanent
        (refused(422), 554),  # not a mail: permanent
        (refused(409), 451),  # a concurrent write won a race: the next try stores it
        (refused(429), 451),
        (refused(503), 451),  # a dependency is down
        (RuntimeError("the database went away"), 451),  # anything unforeseen
    ],
)
async def test_only_what_no_retry_changes_is_refused_for_good(failure: Exception, answer: int) -> None:
    async with failing(failure) as port:
        with pytest.raises(aiosmtplib.SMTPDataError) as answered:
            await aiosmtplib.send(
                MAIL, sender="vera@example.net", recipients=["reply+x@in.example.com"], hostname="127.0.0.1", port=port
            )
        assert answered.value.code == answer


async def test_a_listener_that_cannot_bind_stops_the_start_and_closes_the_services(settings: Settings) -> None:
    with socket.socket() as blocker:  # no SO_REUSEPORT: the listener's socket cannot share the port
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        taken = settings.model_copy(
            update={
                "inbound_email_domain": "in.example.com",
                "inbound_email_secret": SecretStr("secret"),
                "inbound_smtp_host": "127.0.0.1",
                "inbound_smtp_port": port,
            }
        )
        running_before = asyncio.all_tasks()
        with pytest.raises(OSError, match="in use"):
            async with running_parley(taken):
                pytest.fail("the app started without its listener")
    # The services had started their background tasks (the notifier, the mail worker, the message writer...):
    # closed, none of them outlives the failed start.
    assert {task.get_name() for task in asyncio.all_tasks() - running_before} == set()
