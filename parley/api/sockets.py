"""The handshake shared by both websockets: accept, then admit or close with a code that says why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.websockets import WebSocket

from parley.errors import ParleyError
from parley.realtime.sockets import FORBIDDEN, UNAUTHORIZED

T = TypeVar("T")


async def accept_or_close(websocket: WebSocket, admit: Callable[[], Awaitable[T]]) -> T | None:
    """Refusals are close frames (4401 unauthorized, 4403 forbidden) the client can read, not a bare 403."""
    await websocket.accept()
    try:
        return await admit()
    except ParleyError as error:
        await websocket.close(UNAUTHORIZED if error.status == 401 else FORBIDDEN, error.message[:120])
        return None
