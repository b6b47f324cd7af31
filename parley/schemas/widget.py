"""The widget: a visitor's session, what it shows, and the workspace's widget settings the External API edits."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from parley.schemas.common import Name, RequestModel, StorableStr, WireModel
from parley.schemas.conversations import Conversation
from parley.schemas.people import EndUser

DEFAULT_AWAY_REPEAT_HOURS = 24
DEFAULT_ASK_EMAIL_AFTER_SECONDS = 60
MAX_ASK_EMAIL_AFTER_SECONDS = 86_400
MAX_AWAY_REPEAT_HOURS = 720  # 30 days


class WidgetSettings(WireModel):
    title: str
    accent_color: str
    greeting: str
    away_message: str
    away: bool = Field(
        description="The team is away: business hours are enabled and it is outside them, or no agent is online."
    )
    back_at: int | None = Field(
        description="Unix seconds of the next opening while business hours are enabled and it is outside them "
        "(null when they never open, or when the team is away only because no agent is online)."
    )
    ask_email_after_seconds: int = Field(
        description="The widget asks for the visitor's email (optional) when the team is away, or when their "
        "message has gone this long without an answer."
    )


class SessionRequest(RequestModel):
    site_key: Annotated[StorableStr, Field(min_length=1, max_length=64)] | None = None


class WidgetSession(WireModel):
    end_user: EndUser
    conversation: Conversation | None = Field(
        description="The visitor's newest conversation that is not locked; null until their first message opens "
        "one (opening the widget opens none), and after a lock until their next message opens another."
    )
    settings: WidgetSettings


def _origin(value: str) -> str:
    """A page origin as browsers send it in `Origin`: the default port is implied, so it is dropped."""
    scheme, _, rest = value.partition("://")
    host, colon, port = rest.rpartition(":") if not rest.endswith("]") and ":" in rest else (rest, "", "")
    if colon:
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError("the port must be between 1 and 65535")
        if number == {"http": 80, "https": 443}[scheme]:
            return f"{scheme}://{host}"
    return value


_HOST_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
WidgetOrigin = Annotated[
    str,
    Field(
        max_length=300,
        pattern=rf"^https?://({_HOST_LABEL}(\.{_HOST_LABEL})*|\[[0-9a-f:.]+\])(:[0-9]{{1,5}})?$",
        description="An origin as browsers send it: lowercase scheme and host, an optional port, no path.",
    ),
    AfterValidator(_origin),
]
AccentColor = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="A colour as `#rrggbb`.")]


class WorkspaceWidgetSettings(WireModel):
    """`GET/PUT /widget-settings`: what the widget shows and how the bot and auto-assignment behave."""

    title: str
    accent_color: str = Field(description="`#rrggbb`.")
    greeting: str = Field(description="Posted by the bot when a conversation starts; empty for none.")
    away_message: str = Field(
        description="Posted by the bot when the visitor writes while the team is away (no agent is online, or "
        "business hours are enabled and it is outside them), at most once per "
        "conversation within `awayRepeatHours`, and never where an agent wrote in the last 30 minutes; empty for none."
    )
    away_repeat_hours: int = Field(description="The away message's repeat window, in hours (1-720, default 24).")
    ask_email_after_seconds: int = Field(
        description="The widget asks for the visitor's email after their message has gone this long without an "
        "answer (0-86400, default 60), and at once while the team is away."
    )
    allowed_origins: list[str] = Field(description="Pages allowed to use the widget; empty allows any.")
    auto_assign: bool = Field(description="New conversations go to the least busy online agent.")
    bot_name: str = Field(description="The name of the workspace's bot, the author of its messages.")
    site_key: str = Field(description="Read-only: the public key of the widget snippet.")


class PutWidgetSettingsRequest(RequestModel):
    """Partial: absent (or null) fields keep their value. `siteKey` is read-only and ignored here."""

    title: Annotated[StorableStr, Field(max_length=200)] | None = None
    accent_color: AccentColor | None = None
    greeting: StorableStr | None = Field(default=None, description="At most PARLEY_MAX_TEXT_LENGTH characters.")
    away_message: StorableStr | None = Field(default=None, description="At most PARLEY_MAX_TEXT_LENGTH characters.")
    away_repeat_hours: Annotated[int, Field(strict=True, ge=1, le=MAX_AWAY_REPEAT_HOURS)] | None = None
    ask_email_after_seconds: Annotated[int, Field(strict=True, ge=0, le=MAX_ASK_EMAIL_AFTER_SECONDS)] | None = None
    allowed_origins: Annotated[list[WidgetOrigin], Field(max_length=100)] | None = None
    auto_assign: Annotated[bool, Field(strict=True)] | None = None
    bot_name: Name | None = None
