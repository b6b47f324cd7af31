"""Conversations' labels: one row per (conversation, label), and the workspace's labels with their counts."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, insert, select

from parley.storage.models import ConversationLabel


def labels_of(conn: Connection, conversation_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each conversation's labels, sorted (by code point, the same on both databases); one query for them all."""
    wanted = sorted(set(conversation_ids))
    if not wanted:
        return {}
    stmt = select(ConversationLabel.conversation_id, ConversationLabel.label).where(
        ConversationLabel.conversation_id.in_(wanted)
    )
    found: dict[str, list[str]] = {}
    for conversation_id, label in conn.execute(stmt):
        found.setdefault(str(conversation_id), []).append(str(label))
    return {conversation_id: sorted(labels) for conversation_id, labels in found.items()}


def replace_labels(
    conn: Connection,
    workspace_id: str,
    conversation_id: str,
    created_us: int,
    removed: Iterable[str],
    added: Iterable[str],
) -> None:
    """Remove and add labels of one conversation (`created_us` is the conversation's, copied for the index)."""
    gone = sorted(removed)
    if gone:
        conn.execute(
            delete(ConversationLabel).where(
                ConversationLabel.conversation_id == conversation_id, ConversationLabel.label.in_(gone)
            )
        )
    rows = [
        {"conversation_id": conversation_id, "label": label, "workspace_id": workspace_id, "created_us": created_us}
        for label in sorted(added)
    ]
    if rows:
        conn.execute(insert(ConversationLabel), rows)


def label_counts(conn: Connection, workspace_id: str) -> list[tuple[str, int]]:
    """Every label of the workspace with how many conversations carry it, read from the (workspace, label) index
    alone, sorted by code point."""
    stmt = (
        select(ConversationLabel.label, func.count())
        .where(ConversationLabel.workspace_id == workspace_id)
        .group_by(ConversationLabel.label)
    )
    return sorted((str(label), int(count)) for label, count in conn.execute(stmt))
