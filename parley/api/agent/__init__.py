"""The agent console's API (`/api/agent/v1`), authenticated by an agent's token."""

from parley.api.agent.routes import SOCKET_PATH, TAG, agent_socket, router

__all__ = ["SOCKET_PATH", "TAG", "agent_socket", "router"]
