"""A visitor asks to be forgotten, or to see what is kept about them: erasure and export of an end user.

Erasure keeps the rows that make a conversation readable for the agents (the end user, their messages, their
reviews' marks) and removes what is theirs: their name, email, id in the integrator's system and meta; the text of
their messages and reviews; the files they sent, bytes and thumbnails, unless someone else stored the same bytes.
The outbox holds copies of all that in its event payloads (the websocket resume history and the bodies of pending
webhook deliveries): those are rewritten in the same transaction, so no later replay or redelivery brings it back.
The mail outbox forgets their address, and what was to be mailed to them is not; their email replies are refused
(parley/services/inbound_email.py: a reply address works while its visitor has an email).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_seconds
from parley.errors import not_found
from parley.files.removal import delete_stored
from parley.realtime.broker import Invalidation
from parley.services import audit
from parley.services.context import Services
from parley.services.events import emit_workspace_event
from parley.services.ids import check_id
from parley.services.notifications import VISITOR_KIND
from parley.services.views import load_related
from parley.storage.database import Transaction
from parley.storage.records import EndUserRecord, WorkspaceRecord
from parley.storage.repositories import mail as mail_repo
from parley.storage.repositories import people as people_repo
from parley.storage.repositories import retention as repo

ERASED_NAME = "Erased visitor"
ERASED_EVENT = "end_user.erased"
OUTBOX_PAGE = 500


async def erase_end_user(
    svc: Services, workspace: WorkspaceRecord, end_user_id: str, actor: audit.Actor
) -> schemas.EndUser:
    """Erase in one transaction, then delete the bytes nobody else stored. Erasing again changes nothing more."""
    end_user_id = check_id(end_user_id, "End user")
    now = now_seconds()

    def erase(tx: Transaction) -> tuple[EndUserRecord, set[str]]:
        """The erased end user, and the paths of their files' bytes that nothing stored references any more."""
        found = people_repo.get_end_user(tx.conn, workspace.id, end_user_id)
        if found is None:
            raise not_found("End user")
        conversation_ids = [c.id for c in repo.conversations_of(tx.conn, workspace.id, end_user_id)]
        sent_file_ids = repo.file_ids_sent_by(tx.conn, end_user_id)
        repo.scrub_messages_by(tx.conn, end_user_id, now)
        repo.scrub_reviews_by(tx.conn, end_user_id, now)
        repo.replace_end_user_fields(tx.conn, end_user_id, ERASED_NAME, now)
        erased = people_repo.get_end_user(tx.conn, workspace.id, end_user_id)
        assert erased is not None
        dropped = repo.drop_unreferenced_files(tx.conn, sent_file_ids)
        paths = {f.path for f in dropped}
        unused_paths = paths - repo.paths_in_use(tx.conn, paths)
        public = svc.public_views.end_user(erased)
        _rewrite_outbox(tx.conn, conversation_ids, end_user_id, public.model_dump(mode="json"))
        mail_repo.forget_recipient(tx.conn, VISITOR_KIND, conversation_ids)
        emit_workspace_event(tx, ERASED_EVENT, workspace.id, public)
        audit.record(tx, actor, workspace.id, "end_user.erased", ("end_user", end_user_id))
        return erased, unused_paths

    erased, unused_paths = await svc.db.write(erase)
    await svc.invalidate(Invalidation(end_user_ids=(end_user_id,)))
    await delete_stored(svc.files, unused_paths)
    return svc.trusted_views.end_user(erased)


async def export_end_user(
    svc: Services, workspace: WorkspaceRecord, end_user_id: str, actor: audit.Actor
) -> schemas.EndUserExport:
    """The end user, their conversations with every message in them, their reviews and the files' metadata. The
    export changes nothing, so its audit entry is written once the export has been read, not with it."""
    end_user_id = check_id(end_user_id, "End user")

    def export(conn: Connection) -> schemas.EndUserExport:
        end_user = people_repo.get_end_user(conn, workspace.id, end_user_id)
        if end_user is None:
            raise not_found("End user")
        conversations = repo.conversations_of(conn, workspace.id, end_user_id)
        messages = repo.messages_of(conn, [c.id for c in conversations])
        reviews = repo.reviews_by(conn, end_user_id)
        related = load_related(conn, messages=messages, conversations=conversations)
        missing_agents = {r.agent_id for r in reviews} - set(related.agents)
        related.agents.update(people_repo.agents_by_id(conn, missing_agents))
        related.end_users[end_user.id] = end_user
        related.reviews.update({r.id: r for r in reviews})
        views = svc.trusted_views
        file_ids = list(dict.fromkeys(m.file_id for m in messages if m.file_id and m.file_id in related.files))
        return schemas.EndUserExport(
            end_user=views.end_user(end_user),
            conversations=[views.conversation(c, related) for c in conversations],
            messages=[views.message(m, related) for m in messages],
            reviews=[views.review(r, related) for r in reviews],
            files=[views.file(related.files[i]) for i in file_ids],
            exported_at=now_seconds(),
        )

    exported = await svc.db.read(export)
    await svc.db.write(lambda tx: audit.record(tx, actor, workspace.id, "end_user.exported", ("end_user", end_user_id)))
    return exported


def _rewrite_outbox(conn: Connection, conversation_ids: list[str], end_user_id: str, erased: dict[str, Any]) -> None:
    if not conversation_ids:
        return
    position = 0
    while page := repo.event_payloads(conn, conversation_ids, position, OUTBOX_PAGE):
        for position, payload in page:
            body = json.loads(payload)
            rewritten = scrub(body, end_user_id, erased)
            if rewritten != body:
                text = json.dumps(rewritten, ensure_ascii=False, separators=(",", ":"))
                repo.set_event_payload(conn, position, text)


def scrub(value: Any, end_user_id: str, erased: dict[str, Any]) -> Any:
    """A copy of an event body (any JSON) with the end user erased from it, as the tables are:

    every EndUser object of theirs becomes the erased one; a Message they wrote loses its body and file;
    a Review they gave loses its text.
    """
    if isinstance(value, list):
        return [scrub(item, end_user_id, erased) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("id") == end_user_id and "websocketToken" in value:
        return dict(erased)
    out = {key: scrub(item, end_user_id, erased) for key, item in value.items()}
    author = out.get("endUser")
    if isinstance(author, dict) and author.get("id") == end_user_id:
        if "microseconds" in out and "body" in out:
            out["body"] = None
            out["file"] = None
        if "mark" in out and "text" in out:
            out["text"] = ""
    return out
