"""A relay in front of PostgreSQL that counts round trips as the wire carries them.

A round trip is what the server answers with ReadyForQuery: a simple Query message ('Q'), or a Sync ('S') ending an
extended-protocol exchange (Parse, Bind, Execute, ...). Counted on the client's side of the relay, so it sees what
any driver or pool sends: pings, BEGIN and COMMIT included. https://www.postgresql.org/docs/current/protocol.html
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy import make_url

from tests.support.relay import relay

_NOT_STARTUP = {80877103, 80877104}  # SSLRequest, GSSENCRequest: answered by one byte, then the startup comes
_ROUND_TRIP_ENDS = {ord("Q"), ord("S")}


@dataclass
class RoundTrips:
    count: int = 0


def _counted(round_trips: RoundTrips) -> Callable[[bytes], None]:
    """A connection's client stream parsed into messages: untyped ones until the startup message, then type and
    length."""
    buffered = bytearray()
    started = False

    def feed(data: bytes) -> None:
        nonlocal started
        buffered.extend(data)
        while True:
            if not started:
                if len(buffered) < 8 or len(buffered) < int.from_bytes(buffered[:4], "big"):
                    return
                length = int.from_bytes(buffered[:4], "big")
                started = int.from_bytes(buffered[4:8], "big") not in _NOT_STARTUP
                del buffered[:length]
                continue
            if len(buffered) < 5 or len(buffered) < 1 + int.from_bytes(buffered[1:5], "big"):
                return
            if buffered[0] in _ROUND_TRIP_ENDS:
                round_trips.count += 1
            del buffered[: 1 + int.from_bytes(buffered[1:5], "big")]

    return feed


@contextlib.asynccontextmanager
async def counting_relay(url: str) -> AsyncIterator[tuple[str, RoundTrips]]:
    """`url` (SQLAlchemy's) reached through a relay on another port; yields that URL and the running count."""
    target = make_url(url)
    round_trips = RoundTrips()
    async with relay(target.host or "127.0.0.1", target.port or 5432, watching=lambda: _counted(round_trips)) as port:
        yield target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False), round_trips
