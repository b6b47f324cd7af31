"""One websocket's life: replay what the client missed since its cursor, then live events, no gap, no repeat.

The subscription is opened before the history is read, so an event committed meanwhile is both in the history
and in the queue; the feed drops the queue's copy. Two feeds, two cursors:

- a visitor's (`ConversationFeed`) resumes by `microseconds`, which orders each conversation's events (a visitor's
  conversations are few); a queued event the replay sent is dropped by id;
- an agent's (`StreamFeed`) carries the whole workspace, where `microseconds` repeat across conversations: it
  resumes by stream position (`events.stream_position`), gapless and in commit order per workspace, which each
  stored frame carries as its `position`.

A client that cannot keep up is closed with SLOW_CONSUMER and comes back with `after=<the last cursor it saw>`.
A socket whose token is revoked (or whose agent is deactivated) is closed with UNAUTHORIZED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley.background import cancel_and_wait
from parley.observability import metrics
from parley.realtime.hub import Hub, Subscription, visible_to_visitor
from parley.realtime.ordering import StreamOrder
from parley.storage.database import Database
from parley.storage.records import NewEvent
from parley.storage.repositories import events as event_repo

UNAUTHORIZED = 4401
FORBIDDEN = 4403
SLOW_CONSUMER = 4008
REPLAY_PAGE = 500
# Stream positions count events, microseconds count time since 1970: an agent's `after` above this is the
# `microseconds` cursor clients sent before stream positions existed (any date after 1970-01-12 is above it).
LEGACY_MICROSECONDS_CURSOR = 10**12


@dataclass
class Audience:
    """Who a visitor's socket is for, as read before it subscribes: their conversations of a workspace, and the
    agents assigned to them (whose status it shows)."""

    workspace_id: str
    end_user_id: str
    conversation_ids: set[str]
    agent_ids: set[str]


class Feed(Protocol):
    """What a socket carries: `prepare` runs before the subscription opens, `subscribe` opens it, `catch_up`
    replays from the database once it is open, then `send` passes on the live events."""

    @property
    def kind(self) -> str: ...  # for the connections gauge

    @property
    def workspace_id(self) -> str: ...

    async def prepare(self) -> None: ...

    def subscribe(self, hub: Hub) -> Subscription: ...

    async def catch_up(self, websocket: WebSocket) -> None: ...

    async def send(self, websocket: WebSocket, batch: list[NewEvent]) -> None: ...


@dataclass
class ConversationFeed:
    """A visitor's conversations, resumed after a `microseconds` (None: live events only).

    The audience is read before the subscription opens, and `conversations_now` again once it is open: a
    conversation opened in between (the visitor's first message, sent by a widget as its socket opens) is added
    then, and its events so far are replayed whole, since the subscription did not follow it while it was unknown."""

    db: Database
    audience: Audience
    after: int | None
    conversations_now: Callable[[], Awaitable[set[str]]]
    kind: str = "visitor"
    _hub: Hub | None = None
    _subscription: Subscription | None = None
    _replayed: set[str] = field(default_factory=set)  # events of the replay that the subscription also caught

    @property
    def workspace_id(self) -> str:
        return self.audience.workspace_id

    async def prepare(self) -> None:
        return None

    def subscribe(self, hub: Hub) -> Subscription:
        audience = self.audience
        self._hub = hub
        self._subscription = hub.subscribe_visitor(
            audience.workspace_id, audience.end_user_id, audience.conversation_ids, audience.agent_ids
        )
        return self._subscription

    async def catch_up(self, websocket: WebSocket) -> None:
        assert self._hub is not None and self._subscription is not None, "subscribed first"
        followed = self._subscription.conversation_ids
        joined = await self.conversations_now() - followed
        self._hub.follow(self._subscription, joined)  # their live events come from now on
        if self.after is not None:
            await self._replay(websocket, sorted(followed), self.after)
        elif joined:
            await self._replay(websocket, sorted(joined), 0)

    async def _replay(self, websocket: WebSocket, conversations: list[str], after: int) -> None:
        assert self._hub is not None and self._subscription is not None
        cursor = after
        workspace_id = self.audience.workspace_id
        while True:
            page = await self.db.read(event_repo.events_after, workspace_id, conversations, cursor, REPLAY_PAGE)
            for event in page:
                if visible_to_visitor(event):
                    self._hub.seen_by_visitor(self._subscription, event)
                    await websocket.send_text(event.payload)
                    self._replayed.add(event.id)
                cursor = event.microseconds
            if len(page) < REPLAY_PAGE:
                return

    async def send(self, websocket: WebSocket, batch: list[NewEvent]) -> None:
        for event in batch:
            if event.id not in self._replayed:
                await websocket.send_text(event.payload)


@dataclass
class StreamFeed:
    """A workspace's whole stream, after a stream position (None: from now on), each stored event exactly once and
    in stream order.

    The stream is gapless and in commit order, so the position after the last one sent is the next to send. Live
    events come out of that order (commits finishing in another order than they began, other processes' events
    through Redis): one at or before the last sent was sent already; one beyond the next means those between are
    committed already (the counter's row lock orders the commits), and they are read from the database first.
    Events deleted since (a purge) leave holes the database read simply skips.
    """

    db: Database
    workspace_id: str
    agent_id: str
    after: int | None
    credentials: frozenset[str]  # the agent's token id and agent id: revoking either closes the socket
    kind: str = "agent"
    _sent: int = 0  # the last stream position sent

    async def prepare(self) -> None:
        """Where to start, read before the subscription opens: without `after`, the stream's head then, so that
        what commits before the subscription takes over is replayed (and nothing twice, by position)."""
        self._sent = await self.db.read(_start_position, self.workspace_id, self.after)

    def subscribe(self, hub: Hub) -> Subscription:
        return hub.subscribe_agent(self.workspace_id, self.agent_id, self.credentials)

    async def catch_up(self, websocket: WebSocket) -> None:
        await self._send_stored(websocket, before=None)

    async def send(self, websocket: WebSocket, batch: list[NewEvent]) -> None:
        # Ephemeral events (no position) first: a sort that mostly finds the batch in order already.
        for event in sorted(batch, key=lambda e: e.stream_position or 0):
            position = event.stream_position
            if position is None:
                await websocket.send_text(event.payload)
                continue
            if position <= self._sent:
                continue
            if position > self._sent + 1:
                await self._send_stored(websocket, before=position)
            await websocket.send_text(positioned_frame(event))
            self._sent = position

    async def _send_stored(self, websocket: WebSocket, before: int | None) -> None:
        """The stored events after the last sent (and before `before`), a page at a time."""
        while True:
            page = await self.db.read(
                event_repo.stream_events_between, self.workspace_id, self._sent, before, REPLAY_PAGE
            )
            for event in page:
                await websocket.send_text(positioned_frame(event))  # every stored event is an agent's
                self._sent = event.stream_position or self._sent
            if len(page) < REPLAY_PAGE:
                return


def _start_position(conn: Connection, workspace_id: str, after: int | None) -> int:
    """The stream position a feed starts after: `after`, or the stream's head without one."""
    head = event_repo.stream_head(conn, workspace_id)
    if after is not None and after > LEGACY_MICROSECONDS_CURSOR:
        after = event_repo.stream_position_before_time(conn, workspace_id, after)
    # A cursor beyond the head is from another life of the database (a restored backup): from the head on.
    return head if after is None else min(after, head)


def positioned_frame(event: NewEvent) -> str:
    """The stored frame with its stream position as the first key, `{"position":12,"event":...}`: spliced into the
    JSON text, so the stored payload (also the webhook body and the visitor's frame) is neither parsed nor changed."""
    return f'{{"position":{event.stream_position},{event.payload[1:]}'


async def stream_events(
    websocket: WebSocket,
    hub: Hub,
    order: StreamOrder,
    feed: Feed,
    subscribed: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Subscribe, complete the handshake, and serve the socket until the client leaves or falls behind.

    The client sees the socket open only once it is subscribed: from then on nothing is missed. `subscribed` runs
    once the socket listens, so what it causes (an agent coming online) reaches it too. The workspace's events
    come in stream order from before the subscription on (`order.follow`).
    """
    await order.follow(feed.workspace_id)
    await feed.prepare()
    subscription = feed.subscribe(hub)
    sender: LiveSender | None = None
    uncount = metrics.websocket_opened(feed.kind)
    try:
        await websocket.accept()
        if subscribed is not None:
            await subscribed()
        await feed.catch_up(websocket)
        sender = LiveSender(websocket, subscription, feed)
        await _drain_inbound(websocket)
    except WebSocketDisconnect:
        pass
    finally:
        uncount()
        hub.unsubscribe(subscription)
        if sender is not None:
            await sender.stop()


class LiveSender:
    """Sends what the subscription gathers, through the feed; a task exists only while there is something to send."""

    def __init__(self, websocket: WebSocket, subscription: Subscription, feed: Feed) -> None:
        self._websocket = websocket
        self._subscription = subscription
        self._feed = feed
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
                await self._feed.send(self._websocket, batch)
            if self._subscription.revoked:
                await self._websocket.close(UNAUTHORIZED, "The token was revoked or its agent deactivated.")
            elif self._subscription.overflowed:
                await self._websocket.close(SLOW_CONSUMER, "Too far behind: reconnect with after=<the last cursor>.")

    async def stop(self) -> None:
        self._subscription.on_ready = None
        await cancel_and_wait(self._task)


async def _drain_inbound(websocket: WebSocket) -> None:
    """Clients only listen (they act through the HTTP API); reading is how a closed socket is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
