"""Committed events handed to this process's sockets in each workspace's stream order, each once.

Every committed event has its place in its workspace's stream (`events.stream_position`: 1, 2, 3..., in commit
order). A process hears its own commits at once and other processes' a moment later, through Redis: without this,
a socket on worker B could get B's event 11 before A's event 10, and a visitor see an answer above the question it
answers. Redis is the doorbell; the database is the truth. An event that comes ahead of its turn waits for the ones
before it; the ones that have not come through Redis within `GAP_WAIT_SECONDS` (late, or lost with a Redis hiccup)
are read from the database, where they are committed already (a position is committed only after every one before
it: the stream's row lock). One that comes again (read from the database, then late through Redis) is dropped.

A workspace is followed from its first socket in this process on (`follow`, awaited before the socket subscribes):
its order starts after the stream's head then, whose events the socket's own replay covers. The events of a
workspace no socket here has followed, and ephemeral ones (typing: no position), are handed on as they come.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from parley.background import cancel_and_wait
from parley.storage.database import Database
from parley.storage.records import NewEvent
from parley.storage.repositories import events as event_repo

# How long an event ahead of its turn waits for the ones before it to come through Redis before they are read from
# the database. Across two workers on this machine they come within a few milliseconds.
GAP_WAIT_SECONDS = 0.05
FILL_PAGE = 500

Deliver = Callable[[Sequence[NewEvent]], None]
log = logging.getLogger(__name__)


class StreamOrder:
    def __init__(self, db: Database, deliver: Deliver, gap_wait_seconds: float = GAP_WAIT_SECONDS) -> None:
        self._db = db
        self._deliver = deliver
        self._gap_wait = gap_wait_seconds
        self._next: dict[str, int] = {}  # by workspace: the position to hand on next
        self._ahead: dict[str, dict[int, NewEvent]] = {}  # by workspace: events waiting for their turn
        self._starting: dict[str, asyncio.Future[None]] = {}
        self._early: dict[str, list[NewEvent]] = {}  # events that came while the workspace's start was read
        self._fills: dict[str, asyncio.TimerHandle | asyncio.Task[None]] = {}

    async def follow(self, workspace_id: str) -> None:
        """Order the workspace's events from now on: they are then handed on after the stream's head as read now."""
        if workspace_id in self._next:
            return
        starting = self._starting.get(workspace_id)
        if starting is None:
            starting = asyncio.ensure_future(self._start(workspace_id))
            self._starting[workspace_id] = starting
        await asyncio.shield(starting)

    async def _start(self, workspace_id: str) -> None:
        self._early[workspace_id] = []
        try:
            head = await self._db.read(event_repo.stream_head, workspace_id)
            self._next[workspace_id] = head + 1
        finally:
            del self._starting[workspace_id]
            early = self._early.pop(workspace_id)
        self.offer(early)

    def offer(self, events: Sequence[NewEvent]) -> None:
        """Committed or ephemeral events, as they come: handed on in turn, at once or once those before them are."""
        ready: list[NewEvent] = []
        for event in events:
            workspace_id, position = event.workspace_id, event.stream_position
            if position is None:
                ready.append(event)
            elif workspace_id in self._early:
                self._early[workspace_id].append(event)
            elif workspace_id not in self._next:
                ready.append(event)
            else:
                self._take(event, position, ready)
        if ready:
            self._deliver(ready)

    def _take(self, event: NewEvent, position: int, ready: list[NewEvent]) -> None:
        workspace_id = event.workspace_id
        following = self._next[workspace_id]
        if position < following:
            return  # handed on already
        if position > following:
            self._ahead.setdefault(workspace_id, {})[position] = event
            if workspace_id not in self._fills:
                loop = asyncio.get_running_loop()
                self._fills[workspace_id] = loop.call_later(self._gap_wait, self._fill_soon, workspace_id)
            return
        ready.append(event)
        following += 1
        ahead = self._ahead.get(workspace_id)
        while ahead and following in ahead:
            ready.append(ahead.pop(following))
            following += 1
        self._next[workspace_id] = following
        if not ahead:
            self._ahead.pop(workspace_id, None)
            self._cancel_fill(workspace_id)

    def _fill_soon(self, workspace_id: str) -> None:
        self._fills[workspace_id] = asyncio.create_task(self._fill(workspace_id), name="parley-stream-fill")

    async def _fill(self, workspace_id: str) -> None:
        """Read from the database what is missing before the events waiting, until none waits."""
        try:
            while ahead := self._ahead.get(workspace_id):
                after, before = self._next[workspace_id] - 1, min(ahead)
                missing = await self._db.read(event_repo.stream_events_between, workspace_id, after, before, FILL_PAGE)
                if missing:
                    self.offer(missing)
                elif self._next[workspace_id] - 1 == after:
                    # Not stored (pruned, or never to be): waiting would stall the stream for good.
                    self._next[workspace_id] = before
                    self.offer([ahead.pop(before)])
        except Exception:
            log.exception("could not read the missing events of a stream; trying again")
            self._fills[workspace_id] = asyncio.get_running_loop().call_later(
                self._gap_wait, self._fill_soon, workspace_id
            )
        else:
            if self._fills.get(workspace_id) is asyncio.current_task():
                del self._fills[workspace_id]

    def _cancel_fill(self, workspace_id: str) -> None:
        """Nothing waits any more: a fill not started is called off (one running ends by itself)."""
        fill = self._fills.pop(workspace_id, None)
        if isinstance(fill, asyncio.TimerHandle):
            fill.cancel()

    async def close(self) -> None:
        fills = list(self._fills.values())
        self._fills.clear()
        for fill in fills:
            if isinstance(fill, asyncio.TimerHandle):
                fill.cancel()
        await cancel_and_wait(*(fill for fill in fills if isinstance(fill, asyncio.Task)))
