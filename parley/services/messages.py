"""Sending and reading messages. Every surface (External API, widget, console) sends through here.

The path of a text message: check → draft → the group-commit writer (message and outbox event in one
transaction) → events published after commit → the answer. A known client uuid returns the first message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection
from starlette.datastructures import UploadFile

from parley import schemas
from parley.clock import now_seconds
from parley.errors import ParleyError, conflict, not_found, validation_error
from parley.observability import metrics
from parley.realtime.broker import Invalidation
from parley.services import bot, visitors
from parley.services.context import Services
from parley.services.conversations import find_conversation, open_conversation
from parley.services.drafts import draft_message
from parley.services.events import emit_conversation_event
from parley.services.files import fetch_and_store, record_file, store_upload
from parley.services.ids import check_id, new_id
from parley.services.people import find_agent, find_end_user
from parley.services.views import Related, Views, load_related
from parley.storage.database import Transaction
from parley.storage.message_writer import MessageDraft, Outcome, WriteResult
from parley.storage.records import (
    AgentRecord,
    BotRecord,
    ConversationRecord,
    ConversationRef,
    FileRecord,
    MessageRecord,
    ReviewRecord,
    WorkspaceRecord,
)
from parley.storage.repositories import conversations as conversation_repo
from parley.storage.repositories import messages as message_repo
from parley.storage.repositories import people as people_repo
from parley.storage.repositories import workspaces as workspace_repo


def check_text(svc: Services, text: str) -> None:
    if len(text) > svc.settings.max_text_length:
        raise validation_error(f"text is longer than {svc.settings.max_text_length} characters.")


async def send_text(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    request: schemas.SendTextRequest,
    *,
    views: Views,
    source: schemas.MessageSource,
    agent: AgentRecord | None = None,
) -> schemas.Message:
    """Author: the agent if given, else the conversation's end user (as the seed's example shows)."""
    check_text(svc, request.text)
    conversation = await _conversation_for_send(svc, workspace.id, conversation_id)
    author, related = await _author(svc, conversation, agent)
    digest = _digest("text", request.text)
    draft = draft_message(svc, conversation, related, request.uuid, "text", digest, source, body=request.text, **author)
    result = await svc.writer.submit(draft)
    if agent is None and result.outcome is Outcome.STORED:  # the visitor wrote: the bot's away message, maybe
        await bot.after_visitor_message(svc, workspace, conversation)
    return await _answer(svc, draft, result, related, views)


async def _author(
    svc: Services, conversation: ConversationRef, agent: AgentRecord | None
) -> tuple[dict[str, str | None], Related]:
    """The author's id field and what rendering the message needs to know about them."""
    if agent is None:
        end_user = await find_end_user(svc, conversation.workspace_id, conversation.end_user_id)
        return {"end_user_id": end_user.id}, Related(end_users={end_user.id: end_user})
    return {"agent_id": agent.id}, await svc.db.read(lambda conn: load_related(conn, agents=[agent]))


async def send_note(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    request: schemas.SendTextRequest,
    agent_id: str,
    *,
    views: Views,
    source: schemas.MessageSource,
) -> schemas.Message:
    """An internal note by `agent_id`, an agent of the workspace (404 otherwise) who is active (409, as assign-agent
    answers). Agents, the External API and webhooks see it; the visitor never does (their history, socket and read
    receipts leave notes out), and nothing that counts the visitor's or the agents' messages counts it.

    Idempotent on `uuid` like a text message (the same uuid by another agent is another request: 409). A locked
    conversation takes notes: written in a transaction of their own, since the group-commit writer refuses locked
    conversations; notes are few, and this keeps the hot path free of the distinction."""
    check_text(svc, request.text)
    conversation = await _conversation_for_send(svc, workspace.id, conversation_id)

    def load(conn: Connection) -> tuple[AgentRecord, Related]:
        agent = find_agent(conn, workspace.id, agent_id)
        return agent, load_related(conn, agents=[agent])

    agent, related = await svc.db.read(load)
    if not agent.active:
        raise conflict("The agent is not active.")
    digest = _digest(schemas.NOTE, f"{agent.id}\x00{request.text}")
    draft = draft_message(
        svc, conversation, related, request.uuid, schemas.NOTE, digest, source, body=request.text, agent_id=agent.id
    )
    return await _answer(svc, draft, await _store_alone(svc, draft, even_locked=True), related, views)


async def send_file(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    request: schemas.SendFileRequest,
    *,
    views: Views,
    source: schemas.MessageSource,
    agent: AgentRecord | None = None,
) -> schemas.Message:
    """A file by URL: fetched through the outbound guard (only when the uuid is new and the conversation open)."""
    digest = _digest("file", request.file)
    obtain = partial(fetch_and_store, svc, workspace.id, request.file)
    return await send_obtained_file(
        svc, workspace, conversation_id, request.uuid, digest, obtain, views=views, source=source, agent=agent
    )


async def send_obtained_file(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    client_uuid: str,
    digest: str,
    obtain: Callable[[], Awaitable[FileRecord]],
    *,
    views: Views,
    source: schemas.MessageSource,
    agent: AgentRecord | None = None,
) -> schemas.Message:
    """A replayed uuid answers from storage, and a locked conversation refuses, before `obtain` runs."""
    conversation = await _conversation_for_send(svc, workspace.id, conversation_id)

    def load(conn: Connection) -> tuple[dict[tuple[str, str], MessageRecord], ConversationRecord]:
        known = message_repo.messages_with_client_uuids(conn, [(conversation.id, client_uuid)])
        return known, find_conversation(conn, workspace.id, conversation.id)

    known, current = await svc.db.read(load)
    if known:
        return await _answer_replayed_file(svc, conversation, known, client_uuid, digest, source, views)
    if current.locked:
        raise _locked()
    author, related = await _author(svc, conversation, agent)
    file = await obtain()
    related.files[file.id] = file
    draft = draft_message(svc, conversation, related, client_uuid, "file", digest, source, file_id=file.id, **author)
    result = await _store_alone(svc, draft, partial(record_file, record=file))
    return await _answer(svc, draft, result, related, views)


async def _answer_replayed_file(
    svc: Services,
    conversation: ConversationRef,
    known: dict[tuple[str, str], MessageRecord],
    client_uuid: str,
    digest: str,
    source: schemas.MessageSource,
    views: Views,
) -> schemas.Message:
    """A file message whose uuid is stored already: the first one answers, and nothing is fetched or kept."""
    draft = draft_message(svc, conversation, Related(), client_uuid, "file", digest, source)
    return await _answer(svc, draft, WriteResult(Outcome.DUPLICATE, *known.values()), Related(), views)


# The visitor's own sends (the widget): their first message, or their first since a lock, opens a conversation
DraftIn = Callable[[ConversationRef], MessageDraft]


async def send_visitor_text(
    svc: Services,
    visitor: visitors.Visitor,
    request: schemas.SendTextRequest,
    *,
    views: Views,
    source: schemas.MessageSource,
    into: ConversationRef | None = None,
) -> schemas.Message:
    """Into the visitor's current conversation through the group-commit writer, or into the one it opens; `into`
    names another of theirs to write to (an email reply's), which a lock turns into the current one too."""
    check_text(svc, request.text)
    end_user = visitor.end_user
    related = Related(end_users={end_user.id: end_user})
    digest = _digest("text", request.text)

    def draft_in(conversation: ConversationRef) -> MessageDraft:
        return draft_message(
            svc, conversation, related, request.uuid, "text", digest, source, body=request.text, end_user_id=end_user.id
        )

    current = into or await visitors.current_conversation(svc, visitor)
    draft, result = await _store_as_visitor(svc, visitor, current, request.uuid, draft_in, svc.writer.submit, None)
    if result.outcome is Outcome.STORED:  # the bot's away message, maybe
        conversation = ConversationRef(draft.conversation_id, draft.workspace_id, end_user.id)
        await bot.after_visitor_message(svc, visitor.workspace, conversation)
    return await _answer(svc, draft, result, related, views)


async def send_visitor_upload(
    svc: Services,
    visitor: visitors.Visitor,
    client_uuid: str,
    upload: UploadFile,
    *,
    views: Views,
    source: schemas.MessageSource,
    into: ConversationRef | None = None,
) -> schemas.Message:
    """A file uploaded from the widget (or attached to an email reply, `into` its conversation as with a text); a
    replayed uuid returns the first message unchanged, keeping nothing."""
    digest = _digest("upload", client_uuid)
    current = into or await visitors.current_conversation(svc, visitor)
    if current is not None:
        known = await svc.db.read(message_repo.messages_with_client_uuids, [(current.id, client_uuid)])
        if known:
            return await _answer_replayed_file(svc, current, known, client_uuid, digest, source, views)
    file = await store_upload(svc, visitor.workspace.id, upload)
    end_user = visitor.end_user
    related = Related(end_users={end_user.id: end_user}, files={file.id: file})

    def draft_in(conversation: ConversationRef) -> MessageDraft:
        return draft_message(
            svc, conversation, related, client_uuid, "file", digest, source, file_id=file.id, end_user_id=end_user.id
        )

    add_file = partial(record_file, record=file)
    store = partial(_store_alone, svc, add_companions=add_file)
    draft, result = await _store_as_visitor(svc, visitor, current, client_uuid, draft_in, store, add_file)
    return await _answer(svc, draft, result, related, views)


async def _store_as_visitor(
    svc: Services,
    visitor: visitors.Visitor,
    current: ConversationRef | None,
    client_uuid: str,
    draft_in: DraftIn,
    store: Callable[[MessageDraft], Awaitable[WriteResult]],
    add_companions: Callable[[Transaction], None] | None,
) -> tuple[MessageDraft, WriteResult]:
    """`store` the message in the visitor's current conversation; with none (or one locked since it was cached),
    open one in the message's own transaction (`_store_opening`)."""
    if current is not None:
        draft = draft_in(current)
        result = await store(draft)
        if result.outcome is not Outcome.LOCKED:
            return draft, result
        svc.current_conversations.forget(visitor.end_user.id)  # locked meanwhile: the message opens a new one
    try:
        return await svc.db.write(_store_opening, svc, visitor, client_uuid, draft_in, add_companions)
    except _NotStored as not_stored:
        return not_stored.draft, not_stored.result


def _store_opening(
    tx: Transaction,
    svc: Services,
    visitor: visitors.Visitor,
    client_uuid: str,
    draft_in: DraftIn,
    add_companions: Callable[[Transaction], None] | None,
) -> tuple[MessageDraft, WriteResult]:
    """The message into the visitor's open conversation, opening one first (its event, auto-assignment, greeting)
    when there is none, all in this transaction.

    The end user's row is held meanwhile, so concurrent first messages (a widget sending what it kept while offline)
    open one conversation; so is the open conversation found, so no lock comes in between. A uuid the visitor sent
    already, before the lock that closed that conversation, answers with the first message: a send retried across a
    lock is not posted twice."""
    workspace_id, end_user_id = visitor.workspace.id, visitor.end_user.id
    people_repo.lock_end_user(tx.conn, end_user_id)
    conversation = conversation_repo.latest_open_conversation_of(tx.conn, workspace_id, end_user_id, lock=True)
    if conversation is None:
        theirs = conversation_repo.conversation_ids_of(tx.conn, workspace_id, end_user_id)
        known = message_repo.messages_with_client_uuids(tx.conn, [(c, client_uuid) for c in theirs])
        if known:
            first = next(iter(known.values()))
            earlier = ConversationRef(first.conversation_id, workspace_id, end_user_id)
            raise _NotStored(draft_in(earlier), WriteResult(Outcome.DUPLICATE, first))
        conversation = open_conversation(svc, tx, visitor.workspace, end_user_id)
    draft = draft_in(conversation)
    if add_companions is not None:
        add_companions(tx)
    [result] = svc.writer.write_now(tx, [draft])
    if result.outcome is not Outcome.STORED:
        raise _NotStored(draft, result)
    return draft, result


async def request_review(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, *, views: Views, source: schemas.MessageSource
) -> schemas.Message:
    """A bot message holding a fresh Review (mark 0) of the assigned agent by the end user. Its `source` is the
    surface that asked for it, as for any message sent there: the bot only holds the review."""

    def load(conn: Connection) -> tuple[ConversationRecord, BotRecord | None, Related]:
        conversation = find_conversation(conn, workspace.id, conversation_id)
        related = load_related(conn, conversations=[conversation])
        return conversation, workspace_repo.get_bot(conn, workspace.id), related

    conversation, bot, related = await svc.db.read(load)
    if conversation.assigned_agent_id is None:
        raise conflict("The conversation has no assigned agent to review.", code="no_assigned_agent")
    assert bot is not None
    now = now_seconds()
    review = ReviewRecord(
        id=new_id(),
        workspace_id=workspace.id,
        conversation_id=conversation.id,
        agent_id=conversation.assigned_agent_id,
        end_user_id=conversation.end_user_id,
        mark=0,
        confirmed=False,
        text="",
        created_at=now,
        updated_at=now,
    )
    related.reviews[review.id] = review
    related.bots[bot.id] = bot
    draft = draft_message(svc, conversation, related, None, "review", None, source, review_id=review.id, bot_id=bot.id)

    def add_review(tx: Transaction) -> None:
        message_repo.add_review(tx.conn, **review.as_row())
        public = svc.public_views.review(review, related)
        emit_conversation_event(tx, "review.requested", workspace.id, conversation.id, public)

    return await _answer(svc, draft, await _store_alone(svc, draft, add_review), related, views)


@dataclass(frozen=True, slots=True)
class HistoryWindow:
    """Which page of a conversation's history: the oldest after `after`, or, with `before`, the newest before it
    (how a client opens a long conversation at its end, then reads back as the visitor or agent scrolls up)."""

    after: int = 0
    before: int | None = None

    @classmethod
    def of(cls, after: int | None, before: int | None) -> HistoryWindow:
        """Both at once would ask for two different pages: refused rather than one silently ignored."""
        if after is not None and before is not None:
            raise validation_error("Send after or before, not both.")
        return cls(after or 0, before)


async def list_messages(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    window: HistoryWindow,
    limit: int,
    *,
    views: Views,
    for_visitor: bool,
) -> list[schemas.Message]:
    """A page of history, ascending: after `window.after`, or the newest ones before `window.before`. The visitor's
    pages leave the agents' notes out (the page is then `limit` messages they may see)."""

    def load(conn: Connection) -> list[schemas.Message]:
        conversation = find_conversation(conn, workspace.id, conversation_id)
        records = message_repo.message_page(
            conn, conversation.id, limit, after=window.after, before=window.before, with_notes=not for_visitor
        )
        related = load_related(conn, messages=records)
        return [views.message(r, related) for r in records]

    return await svc.db.read(load)


async def _conversation_for_send(svc: Services, workspace_id: str, conversation_id: str) -> ConversationRef:
    """The conversation's owner and end user never change, so they are cached; `locked` is checked by the writer,
    and so is existence (see `_refusal`)."""
    conversation = await svc.conversation_owners.get(conversation_id, partial(_load_conversation, svc, conversation_id))
    if conversation is None or conversation.workspace_id != workspace_id:
        raise not_found("Conversation")
    return conversation


async def _load_conversation(svc: Services, conversation_id: str) -> ConversationRef | None:
    return await svc.db.read(conversation_repo.conversation_ref, check_id(conversation_id, "Conversation"))


class _NotStored(Exception):
    """Rolls back the companion rows of a message that was not stored (locked, or a uuid stored meanwhile)."""

    def __init__(self, draft: MessageDraft, result: WriteResult) -> None:
        self.draft = draft
        self.result = result


async def _store_alone(
    svc: Services,
    draft: MessageDraft,
    add_companions: Callable[[Transaction], None] | None = None,
    *,
    even_locked: bool = False,
) -> WriteResult:
    """Messages that bring rows of their own (a file, a review), and notes (`even_locked`: a locked conversation
    takes them, where the group-commit writer refuses every message), are written in their own transaction."""

    def store(tx: Transaction) -> WriteResult:
        if add_companions is not None:
            add_companions(tx)
        [result] = svc.writer.write_now(tx, [draft], even_locked=even_locked)
        if result.outcome is not Outcome.STORED:
            raise _NotStored(draft, result)
        return result

    try:
        result = await svc.db.write(store)
    except _NotStored as not_stored:
        return not_stored.result
    metrics.messages_stored([draft.type])
    return result


async def _answer(
    svc: Services, draft: MessageDraft, result: WriteResult, related: Related, views: Views
) -> schemas.Message:
    if result.outcome is Outcome.LOCKED or result.message is None:
        raise await _refusal(svc, draft.conversation_id)
    message = result.message
    if result.outcome is Outcome.DUPLICATE:
        if message.request_digest != draft.request_digest or message.type != draft.type:
            raise conflict("This uuid was already used for a different message.", code="uuid_conflict")
        related = await svc.db.read(lambda conn: load_related(conn, messages=[message]))
    return views.message(message, related)


async def _refusal(svc: Services, conversation_id: str) -> ParleyError:
    """The writer refuses a locked conversation and a deleted one alike: neither has a row it may update. A cached
    conversation may have been deleted by another process (`parley purge`, whose word may not have reached this
    one), so the database says which; only this rare answer pays for the read."""
    if await svc.db.read(conversation_repo.conversation_ref, conversation_id) is None:
        svc.forget(Invalidation(conversation_ids=(conversation_id,)))
        return not_found("Conversation")
    return _locked()


def _locked() -> ParleyError:
    return ParleyError(423, "conversation_locked", "The conversation is locked.")


def _digest(kind: str, payload: str) -> str:
    return hashlib.sha256(f"{kind}\x00{payload}".encode()).hexdigest()


async def mark_read(
    svc: Services, workspace: WorkspaceRecord, conversation_id: str, until: int, by_end_user: bool
) -> int:
    """Read receipts: the other side's messages up to `until` become `read`. One receipt is one
    `message.status_changed`, for the newest message it marked: it means "read up to here" (every earlier message
    of the other side is read too), so marking a long conversation read does not flood every console."""

    def mark(tx: Transaction) -> int:
        conversation = find_conversation(tx.conn, workspace.id, conversation_id)
        marked, newest = message_repo.mark_read(tx.conn, conversation.id, until, by_end_user, now_seconds())
        if newest is not None:
            public = svc.public_views.message(newest, load_related(tx.conn, messages=[newest]))
            emit_conversation_event(tx, "message.status_changed", workspace.id, conversation.id, public)
        return marked

    return await svc.db.write(mark)


async def send_upload(
    svc: Services,
    workspace: WorkspaceRecord,
    conversation_id: str,
    client_uuid: str,
    upload: UploadFile,
    *,
    views: Views,
    source: schemas.MessageSource,
    agent: AgentRecord | None = None,
) -> schemas.Message:
    """A file uploaded from the widget or the console; a replayed uuid returns the first message unchanged."""
    obtain = partial(store_upload, svc, workspace.id, upload)
    digest = _digest("upload", client_uuid)
    return await send_obtained_file(
        svc, workspace, conversation_id, client_uuid, digest, obtain, views=views, source=source, agent=agent
    )
