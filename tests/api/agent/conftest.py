"""The agent API under a real uvicorn, with real websocket clients: the realtime tests' server."""

from tests.realtime.conftest import live, realtime_settings

__all__ = ["live", "realtime_settings"]
