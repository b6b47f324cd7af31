"""The workspace's bot and the widget settings it speaks from: the greeting, the away message, auto-assignment.

- The greeting is posted when a conversation starts, in the conversation's own transaction.
- The away message is posted when the visitor writes while the team is away (no agent of the workspace is online,
  or business hours are enabled and it is outside them: `business_hours.away`), at most once per
  conversation within `awayRepeatHours`, and never where an agent wrote in the last 30 minutes (an agent answering
  while marked away is not interrupted). Time is cut into windows of `awayRepeatHours`; an away message carries
  the client uuid `parley:away:<hours>h:<window>`, so the last one within `awayRepeatHours` is in this window or the
  one before, two lookups on the (conversation, uuid) index, and concurrent sends post the same uuid, which the
  message writer stores once. (A changed `awayRepeatHours` starts afresh: at most one more away message.)
- Auto-assignment gives a new conversation to the online, active agent with the fewest open conversations.

Settings are read from the `WorkspaceRecord` the caller already holds (the widget reads it on each request; the
External API's is cached with its token, and cleared in this process when the settings change).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from parley import schemas
from parley.clock import now_microseconds, now_seconds
from parley.errors import not_found, validation_error
from parley.realtime.broker import Invalidation
from parley.services import audit, business_hours
from parley.services.drafts import draft_message
from parley.services.views import Related
from parley.storage.database import Transaction
from parley.storage.message_writer import MessageDraft
from parley.storage.records import BotRecord, ConversationRecord, ConversationRef, WorkspaceRecord
from parley.storage.repositories import conversations as conversation_repo
from parley.storage.repositories import messages as message_repo
from parley.storage.repositories import workspaces as workspace_repo

if TYPE_CHECKING:
    from parley.services.context import Services

log = logging.getLogger(__name__)

AWAY_UUID_PREFIX = "parley:away:"
BOT_SOURCE: schemas.MessageSource = "api"  # the spec counts what the bot posts by itself as the API's


# Conversation start: auto-assignment and the greeting, inside the conversation's transaction
def auto_assignee(conn: Connection, workspace: WorkspaceRecord) -> str | None:
    """The agent a new conversation goes to, when the workspace has `autoAssign` on and an agent is online.

    Two conversations opened at the same moment may both go to the same agent: the balance is a best effort."""
    if not workspace.widget_settings.auto_assign:
        return None
    return conversation_repo.least_busy_online_agent(conn, workspace.id)


def greet(svc: Services, tx: Transaction, workspace: WorkspaceRecord, conversation: ConversationRecord) -> None:
    """The greeting, as the bot's text message, in the transaction that opens the conversation."""
    greeting = workspace.widget_settings.greeting
    if not greeting.strip():
        return
    bot = workspace_repo.get_bot(tx.conn, workspace.id)
    if bot is None:
        return
    svc.writer.write_now(tx, [_bot_text(svc, conversation, bot, greeting, None)])


# The visitor wrote: the away message
AGENT_QUIET_MICROSECONDS = 30 * 60 * 1_000_000  # no away message where an agent wrote more recently than this
MICROSECONDS_PER_HOUR = 3_600 * 1_000_000


async def after_visitor_message(svc: Services, workspace: WorkspaceRecord, conversation: ConversationRef) -> None:
    """Post the away message if one is set, the team is away (outside business hours, or no agent online), no agent
    wrote in the conversation in the last 30 minutes, and it was not posted there within `awayRepeatHours`.

    Called after the visitor's message is stored. The common cases cost no round trip: no away message set (a dict
    lookup), or within business hours with an agent online (the cached answer); otherwise one read of three index
    lookups. A failure here never fails the visitor's send.
    """
    settings = workspace.widget_settings
    if not settings.away_message.strip():
        return
    try:
        if not (await business_hours.away(svc, workspace)).away:
            return
        now_us = now_microseconds()
        window_us = settings.away_repeat_hours * MICROSECONDS_PER_HOUR
        window = now_us // window_us
        this_and_last = [f"{AWAY_UUID_PREFIX}{settings.away_repeat_hours}h:{w}" for w in (window, window - 1)]
        found = await svc.db.read(
            message_repo.away_context, workspace.id, conversation.id, this_and_last, now_us - AGENT_QUIET_MICROSECONDS
        )
        if found is None:
            return
        bot, last_away, agent_wrote_lately = found
        if agent_wrote_lately or (last_away is not None and last_away > now_us - window_us):
            return
        away = _bot_text(svc, conversation, bot, settings.away_message, this_and_last[0])
        await svc.writer.submit(away)  # a uuid stored meanwhile stores nothing
    except Exception:
        log.exception("the away message of conversation %s was not posted", conversation.id)


def _bot_text(
    svc: Services, conversation: ConversationRef, bot: BotRecord, text: str, client_uuid: str | None
) -> MessageDraft:
    related = Related(bots={bot.id: bot})
    return draft_message(svc, conversation, related, client_uuid, "text", None, BOT_SOURCE, body=text, bot_id=bot.id)


# The External API's widget settings
async def get_widget_settings(svc: Services, workspace: WorkspaceRecord) -> schemas.WorkspaceWidgetSettings:

    def load(conn: Connection) -> tuple[WorkspaceRecord | None, BotRecord | None]:
        return workspace_repo.get_workspace(conn, workspace.id), workspace_repo.get_bot(conn, workspace.id)

    current, bot = await svc.db.read(load)
    if current is None or bot is None:
        raise not_found("Workspace")
    return _settings_view(current, bot)


async def put_widget_settings(
    svc: Services, workspace: WorkspaceRecord, request: schemas.PutWidgetSettingsRequest, actor: audit.Actor
) -> schemas.WorkspaceWidgetSettings:
    """Partial: only the fields present (and not null) change. `botName` is stored on the bot."""
    changes: dict[str, Any] = request.model_dump(exclude_none=True, by_alias=True)
    bot_name = changes.pop("botName", None)
    for key in ("greeting", "awayMessage"):
        if len(changes.get(key, "")) > svc.settings.max_text_length:
            raise validation_error(f"{key} is longer than {svc.settings.max_text_length} characters.")
    if "allowedOrigins" in changes:
        changes["allowedOrigins"] = list(dict.fromkeys(changes["allowedOrigins"]))
    if "accentColor" in changes:
        changes["accentColor"] = changes["accentColor"].lower()
    now = now_seconds()

    def change(tx: Transaction) -> tuple[WorkspaceRecord | None, BotRecord | None]:
        current = workspace_repo.get_workspace_for_update(tx.conn, workspace.id)
        if current is None:
            raise not_found("Workspace")
        if changes:
            workspace_repo.update_workspace(
                tx.conn, workspace.id, settings={**current.settings, **changes}, updated_at=now
            )
        if bot_name is not None:
            workspace_repo.update_bot(tx.conn, workspace.id, name=bot_name, updated_at=now)
        fields = sorted([*changes, *(["botName"] if bot_name is not None else [])])
        audit.record(tx, actor, workspace.id, "widget_settings.updated", None, {"fields": fields})
        return workspace_repo.get_workspace(tx.conn, workspace.id), workspace_repo.get_bot(tx.conn, workspace.id)

    updated, bot = await svc.db.write(change)
    assert updated is not None and bot is not None
    # Tokens and visitors cache their workspace, settings included: every process drops it.
    await svc.invalidate(Invalidation(workspace_ids=(workspace.id,)))
    return _settings_view(updated, bot)


def _settings_view(workspace: WorkspaceRecord, bot: BotRecord) -> schemas.WorkspaceWidgetSettings:
    settings = workspace.widget_settings
    return schemas.WorkspaceWidgetSettings(
        title=settings.title,
        accent_color=settings.accent_color,
        greeting=settings.greeting,
        away_message=settings.away_message,
        allowed_origins=list(settings.allowed_origins),
        auto_assign=settings.auto_assign,
        away_repeat_hours=settings.away_repeat_hours,
        ask_email_after_seconds=settings.ask_email_after_seconds,
        bot_name=bot.name,
        site_key=workspace.site_key,
    )
