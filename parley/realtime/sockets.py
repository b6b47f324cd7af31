"""One websocket's life: replay what the client missed since its cursor, then live events, no gap, no repeat.

The subscription is opened before the history is read, so an event committed meanwhile is both in the history
and in the queue: the queue's copy is dropped by id. A client that cannot keep up is closed with
SLOW_CONSUMER and comes back with `after=<the last microseconds it saw>`. A socket whose token is revoked (or whose
agent is deactivated) is closed with UNAUTHORIZED.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from parley.background import cancel_and_wait
from parley.observability import metrics
from parley.realtime.hub import Hub, Subscription
from parley.storage.database import Database
from parley.storage.records import NewEvent
from parley.storage.repositories import events as event_repo

UNAUTHORIZED = 4401
FORBIDDEN = 4403
SLOW_CONSUMER = 4008
REPLAY_PAGE = 500


@dataclass
class Audience:
    """Whose events a socket carries: some conversations of a workspace, or all of it (`conversation_ids` None)."""

    workspace_id: str
    conversation_ids: set[str] | None
    accepts: Callable[[NewEvent], bool]
    credentials: frozenset[str] = frozenset()  # an agent's token and agent ids: revoking either closes the socket


@dataclass
class VisitorFilter:
    """A visitor sees their own conversations (new ones too), their agents' status, and not their own typing."""

    end_user_id: str
    conversation_ids: set[str]
    agent_ids: set[str] = field(default_factory=set)

    def __call__(self, event: NewEvent) -> bool:
        if event.name == "conversation.created":
            if _data(event).get("endUser", {}).get("id") == self.end_user_id:
                self.conversation_ids.add(event.conversation_id or "")
                return True
            return False
        if event.name == "agent.status_changed":
            return _data(event).get("id") in self.agent_ids
        if event.conversation_id not in self.conversation_ids:
            return False
        if event.name in ("conversation.assigned", "conversation.unassigned"):
            agent = _data(event).get("assignedAgent")
            self.agent_ids = {agent["id"]} if agent else set()
        return not (event.name == "typing" and _data(event).get("author") == "endUser")


@dataclass
class AgentFilter:
    """An agent sees the whole workspace, but not their own typing."""

    agent_id: str

    def __call__(self, event: NewEvent) -> bool:
        return not (event.name == "typing" and _data(event).get("authorId") == self.agent_id)


def _data(event: NewEvent) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(event.payload).get("data") or {}
    return data


async def stream_events(
    websocket: WebSocket,
    hub: Hub,
    db: Database,
    audience: Audience,
    after: int | None,
    subscribed: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Subscribe, complete the handshake, and serve the socket until the client leaves or falls behind.

    The client sees the socket open only once it is subscribed: from then on nothing is missed. `subscribed` runs
    once the socket listens, so what it causes (an agent coming online) reaches it too.
    """
    subscription = hub.subscribe(audience.workspace_id, audience.accepts, audience.credentials)
    sender: LiveSender | None = None
    uncount = metrics.websocket_opened("visitor" if isinstance(audience.accepts, VisitorFilter) else "agent")
    try:
        await websocket.accept()
        if subscribed is not None:
            await subscribed()
        replayed = await _replay(websocket, db, audience, after) if after is not None else set()
        sender = LiveSender(websocket, subscription, replayed)
        await _drain_inbound(websocket)
    except WebSocketDisconnect:
        pass
    finally:
        uncount()
        hub.unsubscribe(subscription)
        if sender is not None:
            await sender.stop()


async def _replay(websocket: WebSocket, db: Database, audience: Audience, after: int) -> set[str]:
    sent: set[str] = set()
    cursor = after
    while True:
        async with db.read() as conn:
            conversations = sorted(audience.conversation_ids) if audience.conversation_ids is not None else None
            page = await event_repo.events_after(conn, audience.workspace_id, conversations, cursor, REPLAY_PAGE)
        for event in page:
            if audience.accepts(event):
                await websocket.send_text(event.payload)
                sent.add(event.id)
            cursor = event.microseconds
        if len(page) < REPLAY_PAGE:
            return sent


class LiveSender:
    """Sends what the subscription gathers, in order; a task exists only while there is something to send."""

    def __init__(self, websocket: WebSocket, subscription: Subscription, replayed: set[str]) -> None:
        self._websocket = websocket
        self._subscription = subscription
        self._replayed = replayed  # events of the replay that the subscription also caught
        self._task: asyncio.Task[None] | None = None
        subscription.on_ready = self._wake
        if subscription.backlog or subscription.closing:
            self._wake()

    def _wake(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send())

    async def _send(self) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the client left: the receiver sees it too
            while batch := self._subscription.take():
                for event in batch:
                    if event.id not in self._replayed:
                        await self._websocket.send_text(event.payload)
            if self._subscription.revoked:
                await self._websocket.close(UNAUTHORIZED, "The token was revoked or its agent deactivated.")
            elif self._subscription.overflowed:
                await self._websocket.close(SLOW_CONSUMER, "Too far behind: reconnect with after=<last microseconds>.")

    async def stop(self) -> None:
        self._subscription.on_ready = None
        await cancel_and_wait(self._task)


async def _drain_inbound(websocket: WebSocket) -> None:
    """Clients only listen (they act through the HTTP API); reading is how a closed socket is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
