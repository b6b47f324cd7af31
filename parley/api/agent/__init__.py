"""The agent console's API (`/api/agent/v1`), authenticated by an agent's token."""

from parley.api.agent.routes import router

__all__ = ["router"]
