"""Labels: a conversation's set, replaced whole, and the workspace's labels with how many conversations carry each.

Labels arrive normalised (`schemas.labels`); a set equal to the current one changes nothing and emits nothing."""

from __future__ import annotations

from sqlalchemy import Connection

from parley import schemas
from parley.services.activity import Actor
from parley.services.context import Services
from parley.services.conversations import change_conversation
from parley.services.views import Views
from parley.storage.records import ConversationRecord, WorkspaceRecord
from parley.storage.repositories import labels as label_repo


async def set_labels(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    request: schemas.PutLabelsRequest,
    actor: Actor,
    *,
    views: Views,
) -> schemas.Conversation:
    wanted = set(request.labels)

    def decide(conn: Connection, conversation: ConversationRecord) -> dict[str, object] | None:
        current = set(label_repo.labels_of(conn, [conversation.id]).get(conversation.id, []))
        if current == wanted:
            return None
        label_repo.replace_labels(
            conn,
            conversation.workspace_id,
            conversation.id,
            conversation.created_us,
            current - wanted,
            wanted - current,
        )
        return {}

    name = "conversation.labels_changed"
    return await change_conversation(svc, workspace, conversation_id, name, decide, actor, views)


async def list_labels(svc: Services, workspace: WorkspaceRecord) -> list[schemas.LabelCount]:
    counts = await svc.db.read(label_repo.label_counts, workspace.id)
    return [schemas.LabelCount(name=name, count=count) for name, count in counts]
