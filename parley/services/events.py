"""Events: what changed, emitted inside the change's transaction (the outbox writes and publishes them)."""

from __future__ import annotations

from pydantic import BaseModel

from parley.clock import now_microseconds
from parley.services.ids import new_id
from parley.storage.database import Transaction
from parley.storage.outbox import new_event
from parley.storage.records import NewEvent
from parley.storage.repositories import conversations as conversation_repo


def emit_conversation_event(
    tx: Transaction, name: str, workspace_id: str, conversation_id: str, data: BaseModel
) -> int:
    """Stamp the event from the conversation's own counter, and return that stamp (what places the change among
    the messages). `data` is rendered for the public audience."""
    microseconds = conversation_repo.allocate_event_microseconds(tx.conn, conversation_id, now_microseconds())
    tx.emit(new_event(new_id(), name, workspace_id, conversation_id, data, microseconds))
    return microseconds


def emit_workspace_event(tx: Transaction, name: str, workspace_id: str, data: BaseModel) -> None:
    """An event about no single conversation (an agent's status)."""
    tx.emit(new_event(new_id(), name, workspace_id, None, data, now_microseconds()))


def ephemeral_event(name: str, workspace_id: str, conversation_id: str, data: BaseModel) -> NewEvent:
    """An event that is published but never written (typing): it has no place in any stream."""
    return new_event(new_id(), name, workspace_id, conversation_id, data, now_microseconds())
