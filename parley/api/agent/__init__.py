"""The agent console's API (`/api/agent/v1`): signing in, the inbox (any agent) and the admin pages (owners and
admins)."""

from parley.api.agent import admin, sessions
from parley.api.agent.routes import SOCKET_PATH, TAG, agent_socket, router

PREFIX = admin.PREFIX
routers = (sessions.router, router)  # carry their prefix
admin_routers = admin.routers  # mounted under PREFIX

__all__ = ["PREFIX", "SOCKET_PATH", "TAG", "admin_routers", "agent_socket", "routers"]
