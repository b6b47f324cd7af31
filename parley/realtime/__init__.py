"""Realtime: committed events fanned out to whoever listens in this process (and, later, across processes)."""
