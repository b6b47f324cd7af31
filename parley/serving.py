"""How uvicorn runs Parley: one definition for `parley serve` and for the tests' real servers."""

from __future__ import annotations

from typing import Any

from parley.config import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Websocket implementation, inbound frame cap and heartbeats (a peer that stops answering pings is dropped)."""
    return {
        "ws": settings.ws_implementation,
        "ws_max_size": settings.ws_max_message_bytes,
        "ws_ping_interval": settings.ws_ping_interval_seconds,
        "ws_ping_timeout": settings.ws_ping_interval_seconds,
    }
