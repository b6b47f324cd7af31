"""The built-in SMTP listener (`PARLEY_INBOUND_SMTP_PORT`): the domain's MX points here, and visitors' email replies
arrive as they would at any mail server.

aiosmtpd's SMTP protocol, served on the process's own event loop (`loop.create_server`) by every serving process
of `parley serve`, sharing the port (`SO_REUSEPORT`: the kernel spreads connections among the workers). A recipient
that is not a conversation's reply address is refused at `RCPT TO` (550), so nothing of a stray or forged mail is
read; the mail itself is answered by what storing it said: 250 stored (or stored before, or an automatic reply
dropped), and a permanent refusal only for what no retry changes: 550 no such address, 552 too large, 554 not a
mail. Anything else (a conflict with a concurrent write, a rate limit, a database down, a bug) is 451: the sender
keeps the mail and tries again later, rather than bouncing the visitor's reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from parley.errors import ParleyError

log = logging.getLogger(__name__)

IsReplyAddress = Callable[[str], bool]
Receive = Callable[[bytes, list[str]], Awaitable[object]]
REFUSALS = {
    404: "550 5.1.1 No such reply address",
    413: "552 5.3.4 The mail is too large",
    422: "554 5.6.0 The mail could not be read",
}
TRY_AGAIN = "451 4.3.0 The mail could not be stored now: try again later"


class ReplyHandler:
    """aiosmtpd's handler hooks (`handle_RCPT`, `handle_DATA`)."""

    def __init__(self, is_reply_address: IsReplyAddress, receive: Receive) -> None:
        self._is_reply_address = is_reply_address
        self._receive = receive

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self._is_reply_address(address):
            return REFUSALS[404]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        if not isinstance(content, bytes):
            return REFUSALS[422]
        try:
            await self._receive(content, [str(address) for address in envelope.rcpt_tos])
        except ParleyError as refused:
            if refused.status in REFUSALS:
                return REFUSALS[refused.status]
            log.warning(
                "an inbound mail was not stored now (%s %s); the sender is told to try again",
                refused.status,
                refused.code,
            )
            return TRY_AGAIN
        except Exception:
            log.exception("an inbound mail could not be stored; the sender is told to try again")
            return TRY_AGAIN
        return "250 OK"


class SmtpListener:
    def __init__(self, host: str, port: int, handler: ReplyHandler, max_bytes: int, hostname: str) -> None:
        self._host, self._port = host, port
        self._handler = handler
        self._max_bytes = max_bytes
        self._hostname = hostname
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                self._handler,
                data_size_limit=self._max_bytes,
                enable_SMTPUTF8=True,
                hostname=self._hostname,
                timeout=60,
                loop=loop,
            )

        self._server = await loop.create_server(protocol, self._host, self._port, reuse_port=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
