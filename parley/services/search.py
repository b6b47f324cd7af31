"""Search a workspace's conversations by words: one entry per conversation, newest first.

A conversation is found by its newest message holding every word (text or note), or by its end user's name or
email; the message wins when both match, and orders the entry by its time; an end-user match alone is ordered by the
conversation's last activity. The words' rule and the indexes are in `parley.storage.repositories.search`.
"""

from __future__ import annotations

from sqlalchemy import Connection

from parley import schemas
from parley.services.context import Services
from parley.services.views import Views, load_related
from parley.storage.records import WorkspaceRecord
from parley.storage.repositories import search as repo

MAX_SEARCH_QUERY_LENGTH = 200
MAX_SEARCH_LIMIT = 100
DEFAULT_SEARCH_LIMIT = 20


async def search(
    svc: Services, workspace: WorkspaceRecord, q: str, limit: int, *, views: Views
) -> list[schemas.SearchResult]:
    words = repo.query_tokens(q)
    if not words:
        return []

    def load(conn: Connection) -> list[schemas.SearchResult]:
        hits = repo.message_hits(conn, workspace.id, words, limit)
        by_end_user = repo.end_user_conversations(conn, workspace.id, words, limit)
        found = {conversation_id: (microseconds, message_id) for conversation_id, message_id, microseconds in hits}
        unmatched = [c.id for c in by_end_user if c.id not in found]
        # An end user's conversation whose own messages match too is found by its message, at that message's time.
        own_hits = repo.message_hits(conn, workspace.id, words, len(unmatched), unmatched) if unmatched else []
        for conversation_id, message_id, microseconds in own_hits:
            found[conversation_id] = (microseconds, message_id)
        entries: dict[str, tuple[int, str | None]] = dict(found)
        for conversation in by_end_user:
            entries.setdefault(conversation.id, (max(conversation.last_microseconds, conversation.created_us), None))
        newest = sorted(entries.items(), key=lambda entry: entry[1][0], reverse=True)[:limit]
        conversations = repo.conversations_by_id(conn, [conversation_id for conversation_id, _ in newest])
        messages = repo.messages_by_id(conn, [message_id for _, (_, message_id) in newest if message_id])
        related = load_related(conn, messages=messages.values(), conversations=conversations.values())
        return [
            schemas.SearchResult(
                conversation=views.conversation(conversations[conversation_id], related),
                message=views.message(messages[message_id], related) if message_id else None,
            )
            for conversation_id, (_, message_id) in newest
        ]

    return await svc.db.read(load)
