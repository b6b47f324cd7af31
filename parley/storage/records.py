"""Plain records read from storage: what services work with, free of any SQL or wire concern."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from typing import Any, Self

from sqlalchemy import Row

from parley.schemas.business_hours import DEFAULT_TIMEZONE, WEEKDAYS, is_known_timezone, minutes_of
from parley.schemas.widget import (
    DEFAULT_ASK_EMAIL_AFTER_SECONDS,
    DEFAULT_AWAY_REPEAT_HOURS,
    MAX_ASK_EMAIL_AFTER_SECONDS,
    MAX_AWAY_REPEAT_HOURS,
)


class Record:
    """A row as a frozen dataclass; `as_row()` goes back to column values."""

    @classmethod
    def from_row(cls, row: Row[Any]) -> Self:
        mapping = row._mapping
        return cls(**{f.name: mapping[f.name] for f in fields(cls)})  # type: ignore[arg-type]

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class StoredWidgetSettings:
    """A workspace's `settings` JSON, typed: what the widget shows, what the bot says, whether auto-assignment is on.

    Read leniently, so that whatever a database holds works: a key that is missing, or holds a value of another type
    (or out of range), reads as empty (off), or as its default (`awayRepeatHours`: 24, `askEmailAfterSeconds`: 60),
    and keys it does not know are ignored. The JSON itself is stored as it always was: its keys are the External
    API's (`accentColor`, `allowedOrigins`, ...), and a change is merged into the stored dict.
    """

    title: str = ""
    accent_color: str = ""
    greeting: str = ""
    away_message: str = ""
    allowed_origins: tuple[str, ...] = ()
    auto_assign: bool = False
    away_repeat_hours: int = DEFAULT_AWAY_REPEAT_HOURS
    ask_email_after_seconds: int = DEFAULT_ASK_EMAIL_AFTER_SECONDS

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> StoredWidgetSettings:
        def text(key: str) -> str:
            value = stored.get(key)
            return value if isinstance(value, str) else ""

        origins = stored.get("allowedOrigins")
        repeat = stored.get("awayRepeatHours")
        ask = stored.get("askEmailAfterSeconds")
        return cls(
            title=text("title"),
            accent_color=text("accentColor"),
            greeting=text("greeting"),
            away_message=text("awayMessage"),
            allowed_origins=tuple(o for o in origins if isinstance(o, str)) if isinstance(origins, list) else (),
            auto_assign=stored.get("autoAssign") is True,
            away_repeat_hours=repeat
            if type(repeat) is int and 1 <= repeat <= MAX_AWAY_REPEAT_HOURS
            else DEFAULT_AWAY_REPEAT_HOURS,
            ask_email_after_seconds=ask
            if type(ask) is int and 0 <= ask <= MAX_ASK_EMAIL_AFTER_SECONDS
            else DEFAULT_ASK_EMAIL_AFTER_SECONDS,
        )


DayRanges = tuple[tuple[int, int], ...]  # [start, end) in minutes after local midnight, sorted
_HHMM = re.compile(r"(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)")


@dataclass(frozen=True, slots=True)
class StoredBusinessHours:
    """The `businessHours` key of a workspace's `settings` JSON, typed: `weekly` holds a tuple per weekday, Monday
    first, of `[start, end)` ranges in minutes after local midnight.

    Read leniently, as `StoredWidgetSettings`: a missing or mistyped key reads as off (closed, UTC, no holidays), a
    time zone this server does not know as UTC, and a malformed range or holiday is skipped.
    """

    enabled: bool = False
    timezone: str = DEFAULT_TIMEZONE
    weekly: tuple[DayRanges, ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_stored(cls, stored: object) -> StoredBusinessHours:
        if not isinstance(stored, dict):
            return cls()
        zone = stored.get("timezone")
        weekly = stored.get("weekly")
        holidays = stored.get("holidays")
        return cls(
            enabled=stored.get("enabled") is True,
            timezone=zone if isinstance(zone, str) and is_known_timezone(zone) else DEFAULT_TIMEZONE,
            weekly=tuple(_day_ranges(weekly.get(day) if isinstance(weekly, dict) else None) for day in WEEKDAYS),
            holidays=frozenset(_dates(holidays)),
        )


def _day_ranges(stored: object) -> DayRanges:
    found: list[tuple[int, int]] = []
    for item in stored if isinstance(stored, list) else ():
        if isinstance(item, list) and len(item) == 2 and all(isinstance(t, str) and _HHMM.fullmatch(t) for t in item):
            start, end = minutes_of(item[0]), minutes_of(item[1])
            if start < end:
                found.append((start, end))
    return tuple(sorted(found))


def _dates(stored: object) -> list[date]:
    found = []
    for item in stored if isinstance(stored, list) else ():
        try:
            found.append(date.fromisoformat(item))
        except (TypeError, ValueError):
            continue
    return found


@dataclass(frozen=True)  # no slots: `widget_settings` is kept in the instance's dict once parsed
class WorkspaceRecord(Record):
    id: str
    name: str
    site_key: str
    is_demo: bool
    settings: dict[str, Any]
    created_at: int
    updated_at: int

    @cached_property
    def widget_settings(self) -> StoredWidgetSettings:
        """`settings` typed, parsed on first use; records are immutable and cached, so that is once per load."""
        return StoredWidgetSettings.from_stored(self.settings)

    @cached_property
    def business_hours(self) -> StoredBusinessHours:
        """`settings["businessHours"]` typed, parsed on first use, as `widget_settings`."""
        return StoredBusinessHours.from_stored(self.settings.get("businessHours"))


@dataclass(frozen=True, slots=True)
class TokenRecord(Record):
    id: str
    workspace_id: str
    agent_id: str | None
    name: str
    prefix: str
    created_at: int
    revoked_at: int | None
    last_used_at: int | None
    expires_at: int | None


@dataclass(frozen=True, slots=True)
class AgentLinkRecord(Record):
    id: str
    workspace_id: str
    agent_id: str
    purpose: str
    created_at: int
    expires_at: int
    used_at: int | None


@dataclass(frozen=True, slots=True)
class AuditRecord(Record):
    id: str
    workspace_id: str
    created_us: int
    actor_type: str
    actor_id: str | None
    actor_name: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BotRecord(Record):
    id: str
    workspace_id: str
    name: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class FileRecord(Record):
    id: str
    workspace_id: str
    type: str
    mime_type: str
    ext: str
    name: str
    path: str
    size: int
    width: int | None
    height: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class AgentRecord(Record):
    id: str
    workspace_id: str
    service_user_id: str
    name: str
    status: str
    availability: str
    avatar_file_id: str | None
    active: bool
    email: str | None
    role: str
    email_notifications: bool
    created_us: int
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class EndUserRecord(Record):
    id: str
    workspace_id: str
    service_user_id: str | None
    name: str | None
    email: str | None
    meta: dict[str, Any]
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ConversationRef(Record):
    """What never changes about a conversation (its id, workspace and end user): all that caches may hold of it."""

    id: str
    workspace_id: str
    end_user_id: str


@dataclass(frozen=True, slots=True)
class ConversationRecord(ConversationRef):
    assigned_agent_id: str | None
    locked: bool
    status: str
    snoozed_until: int | None
    waiting_since: int | None
    last_microseconds: int
    created_us: int
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ActivityRecord(Record):
    """One entry of a conversation's activity log (see `ConversationActivity`)."""

    id: str
    conversation_id: str
    kind: str
    actor_type: str
    actor_agent_id: str | None
    agent_id: str | None
    status: str | None
    snoozed_until: int | None
    labels: list[str] | None
    microseconds: int
    created_at: int


@dataclass(frozen=True, slots=True)
class ReviewRecord(Record):
    id: str
    workspace_id: str
    conversation_id: str
    agent_id: str
    end_user_id: str
    mark: int
    confirmed: bool
    text: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class MessageRecord(Record):
    id: str
    workspace_id: str
    conversation_id: str
    client_uuid: str | None
    request_digest: str | None
    status: str
    type: str
    body: str | None
    file_id: str | None
    review_id: str | None
    bot_id: str | None
    agent_id: str | None
    end_user_id: str | None
    microseconds: int
    source: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class CannedResponseRecord(Record):
    id: str
    workspace_id: str
    shortcut: str
    text: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to write to the outbox with the change it reports; `payload` is the JSON body sent to clients.

    `stream_position` is given when the event is written (the last thing its transaction does), so events as
    published after the commit carry it; ephemeral events (typing) never have one. It travels between processes
    with the rest (the broker sends the fields as they are). The last three are its routing (see
    `parley.schemas.events.Routing`): stored with it, so that a replay decides as the live fan-out does.
    """

    id: str
    workspace_id: str
    conversation_id: str | None
    name: str
    payload: str
    microseconds: int
    created_at: int
    stream_position: int | None = None
    end_user_id: str | None = None
    agent_id: str | None = None
    agents_only: bool = False

    def placed_at(self, stream_position: int) -> NewEvent:
        """This event at its place in the workspace's stream. Built field by field: `dataclasses.replace` measured
        2.3 µs an event against 1.0, on the message path."""
        return NewEvent(
            self.id,
            self.workspace_id,
            self.conversation_id,
            self.name,
            self.payload,
            self.microseconds,
            self.created_at,
            stream_position,
            self.end_user_id,
            self.agent_id,
            self.agents_only,
        )
