"""The widget's API (`/api/widget/v1`): what a site visitor's browser calls, with the visitor's token."""

from parley.api.widget.routes import SOCKET_PATH, router, visitor_socket

__all__ = ["SOCKET_PATH", "router", "visitor_socket"]
