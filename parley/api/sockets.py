"""The websockets' way in: a dispatcher around the HTTP stack, the query they take, and the shared handshake.

An idle websocket lives inside every layer that handed it on, and each layer keeps a coroutine frame (FastAPI's
router also an exit stack and its scope copies) for as long as the connection lasts. Idle connections are most of
a chat server's memory, so `SocketRoutes`, in front of the whole app, hands the two socket paths straight to their
handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from parley.errors import ParleyError
from parley.realtime.sockets import FORBIDDEN, UNAUTHORIZED
from parley.schemas import MAX_CURSOR

if TYPE_CHECKING:
    from parley.services.context import Services

T = TypeVar("T")
BAD_REQUEST = 4400

SocketHandler = Callable[[WebSocket, "Services", "SocketQuery"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SocketQuery:
    """`token` (the credential) and `after` (resume after this cursor, or None for live events only): a
    `microseconds` on a visitor's socket, a stream position on an agent's."""

    token: str
    after: int | None

    @classmethod
    def parse(cls, websocket: WebSocket) -> SocketQuery | None:
        """None when `after` is not a cursor: the handshake is then closed with 4400."""
        params = websocket.query_params
        raw_after = params.get("after")
        if raw_after is None or raw_after == "":
            return cls(params.get("token", ""), None)
        # ASCII digits only ("²" is a digit to str.isdigit), and few enough for int() to parse before comparing
        digits = raw_after.isascii() and raw_after.isdigit() and len(raw_after) <= len(str(MAX_CURSOR))
        if not digits or int(raw_after) > MAX_CURSOR:
            return None
        return cls(params.get("token", ""), int(raw_after))


class SocketRoutes:
    """Websocket handshakes on the given paths go to their handler; everything else to the app."""

    def __init__(self, app: ASGIApp, services: Services, routes: Mapping[str, SocketHandler]) -> None:
        self.app = app
        self.services = services
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.routes.get(scope["path"]) if scope["type"] == "websocket" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        websocket = WebSocket(scope, receive, send)
        query = SocketQuery.parse(websocket)
        if query is None:
            await websocket.accept()
            await websocket.close(BAD_REQUEST, "after must be a cursor (a whole number).")
            return
        await handler(websocket, self.services, query)


async def admit_or_refuse(websocket: WebSocket, admit: Callable[[], Awaitable[T]]) -> T | None:
    """Admission runs before the handshake completes: an admitted socket is accepted once it is subscribed, so the
    client sees it open only when nothing can be missed any more. Refusals are accepted, then closed with a code the
    client can read (4401 unauthorized, 4403 forbidden), not a bare 403."""
    try:
        return await admit()
    except ParleyError as error:
        await websocket.accept()
        await websocket.close(UNAUTHORIZED if error.status == 401 else FORBIDDEN, error.message[:120])
        return None
