"""Webhook fixtures: a real HTTP receiver on 127.0.0.1, fast retry settings, and helpers to read the outbox."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Connection, select

from parley.config import Settings
from parley.services.context import Services
from parley.storage.models import Event
from tests.conftest import Api


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (then `default_status`) after `delay` seconds, recording it.

    `overlaps` lists event ids that arrived while an earlier POST of the same event was still being answered.
    `stop()` closes the socket (connections are refused); `start()` listens on the same port again.
    """

    delay: float = 0.0
    default_status: int = 200
    statuses: deque[int] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    peers: list[tuple[str, int]] = field(default_factory=list)  # the connection each POST came on
    overlaps: list[str] = field(default_factory=list)
    port: int = 0
    _in_flight: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _connections: set[socket.socket] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/parley"

    def event_ids(self) -> list[str]:
        with self._lock:
            return [r.headers["X-Parley-Event-Id"] for r in self.received]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections stay open between POSTs, as most receivers' do

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._lock:
                    receiver._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = self.headers.get("X-Parley-Event-Id", "")
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    receiver.peers.append(self.client_address)
                    if receiver._in_flight[event_id]:
                        receiver.overlaps.append(event_id)
                    receiver._in_flight[event_id] += 1
                    status = receiver.statuses.popleft() if receiver.statuses else receiver.default_status
                try:
                    time.sleep(receiver.delay)
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    with receiver._lock:
                        receiver._in_flight[event_id] -= 1

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: the listening socket and every open connection closed."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def webhook_changes(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings a test changes from `settings`', with `parametrize("webhook_changes", [{...}], indirect=True)`."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(settings: Settings, webhook_changes: dict[str, Any]) -> Settings:
    """The suite's settings (127.0.0.1 allow-listed), with a retry schedule measured in tenths of a second."""
    return settings.model_copy(
        update={
            "webhook_retry_base_seconds": 0.1,
            "webhook_retry_max_seconds": 0.4,
            "webhook_poll_seconds": 0.2,
            "webhook_lease_seconds": 5.0,
            "webhook_timeout_seconds": 2.0,
            **webhook_changes,
        }
    )


@dataclass(frozen=True)
class StoredEvent:
    id: str
    conversation_id: str | None
    name: str
    payload: str


async def stored_events(services: Services, workspace_id: str) -> list[StoredEvent]:
    """The workspace's outbox, in the order it was written."""
    stmt = select(Event.id, Event.conversation_id, Event.name, Event.payload).where(Event.workspace_id == workspace_id)

    def load(conn: Connection) -> list[StoredEvent]:
        rows = conn.execute(stmt.order_by(Event.position)).all()
        return [StoredEvent(row.id, row.conversation_id, row.name, row.payload) for row in rows]

    return await services.db.read(load)


async def deliveries(api: Api, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.ok("GET", "/webhook/deliveries", params=params)
    return found
