"""Events: what changed, in the one shape shared by websocket frames and webhook bodies."""

from __future__ import annotations

from pydantic import BaseModel

from parley.clock import now_microseconds
from parley.schemas import EventFrame
from parley.services.ids import new_id
from parley.storage.database import Transaction
from parley.storage.records import NewEvent
from parley.storage.repositories import conversations as conversation_repo


def new_event(
    name: str, workspace_id: str, conversation_id: str | None, data: BaseModel, microseconds: int
) -> NewEvent:
    """`data` must be rendered for the public audience (no websocket tokens): the outbox feeds everyone."""
    event_id = new_id()
    created_at = microseconds // 1_000_000
    frame = EventFrame(
        event=name,
        id=event_id,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        microseconds=microseconds,
        created_at=created_at,
        data=data,
    )
    return NewEvent(
        id=event_id,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        name=name,
        payload=frame.model_dump_json(),
        microseconds=microseconds,
        created_at=created_at,
    )


async def emit_conversation_event(
    tx: Transaction, name: str, workspace_id: str, conversation_id: str, data: BaseModel
) -> None:
    """Stamp the event from the conversation's own counter, inside the change's transaction."""
    microseconds = await conversation_repo.allocate_event_microseconds(tx.conn, conversation_id, now_microseconds())
    tx.emit(new_event(name, workspace_id, conversation_id, data, microseconds))


def emit_workspace_event(tx: Transaction, name: str, workspace_id: str, data: BaseModel) -> None:
    """An event about no single conversation (an agent's status)."""
    tx.emit(new_event(name, workspace_id, None, data, now_microseconds()))
