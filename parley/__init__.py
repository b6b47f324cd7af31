"""Parley: a self-hosted live-chat server, wire-compatible with the Blinger Widget API (external v1)."""

__version__ = "0.1.0"
