"""How uvicorn runs Parley: one definition for `parley serve` and for the tests' real servers."""

from __future__ import annotations

from typing import Any

from parley.config import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Websocket implementation, inbound frame cap, heartbeats (a peer that stops answering pings is dropped) and
    how long an idle connection is kept (`Settings.keep_alive_seconds` says why it is long).

    Forwarded headers are read only from `PARLEY_TRUSTED_PROXIES`: uvicorn's own default believes them from
    loopback, so a client on the same host (or behind a proxy that passes them through) could name any address
    and step past the per-address limits. Set explicitly, so that uvicorn's FORWARDED_ALLOW_IPS plays no part."""
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies,
        "ws": settings.ws_implementation,
        "ws_max_size": settings.ws_max_message_bytes,
        "ws_ping_interval": settings.ws_ping_interval_seconds,
        "ws_ping_timeout": settings.ws_ping_interval_seconds,
        "timeout_keep_alive": settings.keep_alive_seconds,
    }
