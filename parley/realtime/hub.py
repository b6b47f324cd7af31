"""The in-process hub: events fan out to the sockets of this process, each with its own bounded backlog.

Committed events arrive from the database's after-commit publisher (and, from other processes, through the
broker); ephemeral ones (typing) are published directly. A subscriber that falls too far behind is marked
`overflowed` and disconnected by its socket, to resume by cursor: a slow client never grows our memory. One opened
with a credential that is then revoked is marked `revoked`, and its socket closed the same way.

Idle sockets are most of a server's memory, so an idle subscription holds no queue and no task: its backlog is
a list, and `on_ready` tells the socket there is something to send (the socket then runs a sender until the
backlog is empty).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from parley.storage.records import NewEvent

DEFAULT_QUEUE_LIMIT = 1_000


class Subscription:
    __slots__ = ("accepts", "backlog", "credentials", "limit", "on_ready", "overflowed", "revoked", "workspace_id")

    def __init__(
        self, workspace_id: str, accepts: Callable[[NewEvent], bool], limit: int, credentials: frozenset[str]
    ) -> None:
        self.workspace_id = workspace_id
        self.accepts = accepts
        self.limit = limit
        self.credentials = credentials
        self.backlog: list[NewEvent] = []
        self.overflowed = False
        self.revoked = False
        self.on_ready: Callable[[], None] | None = None

    @property
    def closing(self) -> bool:
        return self.overflowed or self.revoked

    def offer(self, event: NewEvent) -> None:
        """A full backlog means the reader is stuck: it is dropped and the socket told, once, to close."""
        if self.closing or not self.accepts(event):
            return
        if len(self.backlog) >= self.limit:
            self.overflowed = True
            self.backlog = []
        else:
            self.backlog.append(event)
        if self.on_ready is not None:
            self.on_ready()

    def take(self) -> list[NewEvent]:
        taken, self.backlog = self.backlog, []
        return taken


class Hub:
    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self._queue_limit = queue_limit
        self._subscriptions: dict[str, set[Subscription]] = {}

    def subscribe(
        self, workspace_id: str, accepts: Callable[[NewEvent], bool], credentials: frozenset[str] = frozenset()
    ) -> Subscription:
        """`credentials`: the ids of what admitted the socket (an agent's token and the agent), for `revoke`."""
        subscription = Subscription(workspace_id, accepts, self._queue_limit, credentials)
        self._subscriptions.setdefault(workspace_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.workspace_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.workspace_id]

    def publish(self, events: Sequence[NewEvent]) -> None:
        for event in events:
            for subscription in tuple(self._subscriptions.get(event.workspace_id, ())):
                subscription.offer(event)

    def revoke(self, credential_ids: set[str]) -> None:
        """Tell the sockets admitted by any of these ids to close; what they had not sent yet is dropped."""
        for subscribers in self._subscriptions.values():
            for subscription in subscribers:
                if not subscription.revoked and not subscription.credentials.isdisjoint(credential_ids):
                    subscription.revoked = True
                    subscription.backlog = []
                    if subscription.on_ready is not None:
                        subscription.on_ready()

    def connections(self) -> int:
        return sum(len(s) for s in self._subscriptions.values())
