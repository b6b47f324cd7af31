"""The wire format, mirroring the spec: the seed's objects, the request bodies and the envelopes.

Keys are camelCase exactly as in the seed's examples; absent relations are `null`, never missing.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

MAX_LIST_LIMIT = 100
MAX_CURSOR = 2**62
# Free-form JSON (an end user's `meta`): how deep it may nest and how large it may be, encoded as compact UTF-8.
META_MAX_DEPTH = 32
META_MAX_BYTES = 65_536


def _storable(value: str) -> str:
    """Refuse what no database can store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def storable_json_problem(value: object) -> str | None:
    """Why free-form JSON would not come back as it was sent, on either database, or None when it would.

    Refused: text no database can store (at any depth, keys too), numbers that are not finite (Python's JSON
    parser takes `NaN`, `Infinity` and `1e400`, which are not JSON), nesting deeper than `META_MAX_DEPTH` (encoders
    give up far below what a parser accepts) and more than `META_MAX_BYTES`. Walked with a stack, not recursion,
    so that a hostile depth costs no Python frames. `parley port-db` applies the same rule to rows stored before.
    """
    pending: list[tuple[object, str, int]] = [(value, "", 1)]
    while pending:
        node, where, depth = pending.pop()
        try:
            if isinstance(node, dict | list):
                if depth > META_MAX_DEPTH:
                    raise ValueError(f"must not nest deeper than {META_MAX_DEPTH} levels")
                items = node.items() if isinstance(node, dict) else enumerate(node)
                for key, item in items:
                    if isinstance(key, str):
                        _storable(key)
                    pending.append((item, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]", depth + 1))
            elif isinstance(node, str):
                _storable(node)
            elif isinstance(node, float) and not math.isfinite(node):
                raise ValueError("numbers must be finite (NaN, Infinity and 1e400 are not JSON numbers)")
        except ValueError as exc:
            return f"{where.lstrip('.') or 'the value'}: {exc}"
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > META_MAX_BYTES:
        return f"must be at most {META_MAX_BYTES} bytes as JSON, not {size}"
    return None


def _storable_json(value: dict[str, Any]) -> dict[str, Any]:
    if (problem := storable_json_problem(value)) is not None:
        raise ValueError(problem)
    return value


StorableStr = Annotated[str, AfterValidator(_storable)]
StorableJsonObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
Name = Annotated[StorableStr, Field(min_length=1, max_length=200)]
ClientUuid = Annotated[StorableStr, Field(min_length=1, max_length=100, description="The client's idempotency key.")]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True)


class RequestModel(WireModel):
    model_config = ConfigDict(extra="ignore")


# Objects of the seed
class FileMeta(WireModel):
    width: int
    height: int


class FileInfo(WireModel):
    ext: str
    name: str
    path: str
    size: int
    mime_type: str


class FileUrls(WireModel):
    small: str = Field(alias="120x120")
    medium: str = Field(alias="520x400")
    default: str


class File(WireModel):
    id: str
    type: Literal["image", "video", "audio", "file"]
    meta: FileMeta | None
    info: FileInfo
    url: FileUrls
    created_at: int
    updated_at: int


class Agent(WireModel):
    id: str
    service_user_id: str
    name: str
    status: Literal["online", "offline"]
    avatar: File | None
    active: bool
    created_at: int
    updated_at: int


class EndUser(WireModel):
    id: str
    websocket_token: str | None = Field(description="The visitor's credential; null wherever others may see it.")
    service_user_id: str | None = None
    name: str | None = None
    email: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: int
    updated_at: int


class Bot(WireModel):
    id: str
    name: str
    created_at: int
    updated_at: int


class Review(WireModel):
    id: str
    agent: Agent
    end_user: EndUser
    mark: int = Field(ge=0, le=5, description="0 until the visitor rates, then 1..5.")
    confirmed: bool
    text: str
    created_at: int
    updated_at: int


class Conversation(WireModel):
    id: str
    assigned_agent: Agent | None
    locked: bool
    end_user: EndUser | None = Field(default=None, description="Extension: the conversation's visitor.")
    created_at: int
    updated_at: int


class Message(WireModel):
    id: str
    status: Literal["sent", "delivered", "read"]
    type: Literal["text", "file", "review"]
    body: str | None
    file: File | None
    review: Review | None
    bot: Bot | None
    agent: Agent | None
    end_user: EndUser | None
    microseconds: int
    uuid: str | None = Field(default=None, description="Extension: the sender's idempotency key, if any.")
    conversation_id: str | None = Field(default=None, description="Extension: the conversation it belongs to.")
    created_at: int
    updated_at: int


# Request bodies
class AssignAgentRequest(RequestModel):
    agent_id: StorableStr


class SendTextRequest(RequestModel):
    uuid: ClientUuid
    text: Annotated[StorableStr, Field(min_length=1)]


class SendFileRequest(RequestModel):
    file: Annotated[StorableStr, Field(min_length=1, max_length=2048, description="URL of the file to fetch.")]
    uuid: ClientUuid


class CreateAgentRequest(RequestModel):
    service_user_id: Annotated[StorableStr, Field(min_length=1, max_length=200)]
    name: Name
    avatar: Annotated[StorableStr, Field(max_length=2048)] | None = None
    status: Literal["online", "offline"] = "offline"
    active: bool = True


class UpdateAgentRequest(RequestModel):
    service_user_id: Annotated[StorableStr, Field(min_length=1, max_length=200)] | None = None
    name: Name | None = None
    avatar: Annotated[StorableStr, Field(max_length=2048)] | None = None
    status: Literal["online", "offline"] | None = None
    active: bool | None = None


class CreateEndUserRequest(RequestModel):
    name: Annotated[StorableStr, Field(max_length=200)] | None = None
    email: Annotated[StorableStr, Field(max_length=320)] | None = None
    service_user_id: Annotated[StorableStr, Field(min_length=1, max_length=200)] | None = None
    meta: StorableJsonObject = Field(
        default_factory=dict,
        description=f"Free-form JSON about the visitor: at most {META_MAX_DEPTH} levels deep and {META_MAX_BYTES} "
        "bytes, finite numbers only.",
    )


class CreateConversationRequest(RequestModel):
    end_user_id: StorableStr


# Realtime and the widget
class Typing(WireModel):
    """The `data` of a `typing` event (an extension: relayed, never stored)."""

    conversation_id: str
    author: Literal["endUser", "agent"]
    author_id: str
    typing: bool


class TypingRequest(RequestModel):
    typing: Annotated[bool, Field(strict=True)]


class ReadRequest(RequestModel):
    until: Annotated[
        int, Field(strict=True, ge=0, le=MAX_CURSOR, description="Mark messages up to this `microseconds` read.")
    ]


class ReadReceipt(WireModel):
    marked: int = Field(description="How many messages became `read`.")


class WidgetSettings(WireModel):
    title: str
    accent_color: str
    greeting: str
    away_message: str


class SessionRequest(RequestModel):
    site_key: Annotated[StorableStr, Field(min_length=1, max_length=64)] | None = None


class WidgetSession(WireModel):
    end_user: EndUser
    conversation: Conversation
    settings: WidgetSettings


class AgentToken(WireModel):
    token: str = Field(description="Shown once; Parley keeps only its hash.")


class AgentTokenInfo(WireModel):
    """One of an agent's live console tokens, never its secret."""

    id: str
    created_at: int
    last_used_at: int | None = Field(description="Unix seconds, to within a minute; null until first used.")


class Deleted(WireModel):
    id: str
    deleted: Literal[True] = True


class SetStatusRequest(RequestModel):
    status: Literal["online", "offline"]


class ConversationSummary(WireModel):
    """A console's row: the conversation, its last message and how many visitor messages are unread."""

    conversation: Conversation
    last_message: Message | None
    unread_count: int


# Envelopes
class Envelope(WireModel, Generic[T]):
    status: int = 200
    data: T


class ErrorDetail(WireModel):
    code: str
    message: str


class ErrorEnvelope(WireModel):
    status: int
    error: ErrorDetail


class EventFrame(WireModel):
    """One event, as a websocket frame or a webhook body."""

    event: str
    id: str
    workspace_id: str
    conversation_id: str | None
    microseconds: int = Field(description="Extension: the resume cursor; strictly increasing within a conversation.")
    created_at: int
    data: Any


# ---------------------------------------------------------------------------------------------------------------
# Webhooks (issue 5): the workspace's webhook and its deliveries. Appended here; the sections above are others'.
# ---------------------------------------------------------------------------------------------------------------
WebhookEventName = Literal[
    "message.created",
    "message.status_changed",
    "conversation.created",
    "conversation.assigned",
    "conversation.unassigned",
    "conversation.locked",
    "conversation.unlocked",
    "review.requested",
    "review.updated",
    "agent.status_changed",
    "end_user.erased",
]
# The names themselves (what typing.get_args gives), for checks outside pydantic.
WEBHOOK_EVENTS: frozenset[str] = frozenset(WebhookEventName.__args__)  # type: ignore[attr-defined]
WebhookSecret = Annotated[StorableStr, Field(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class WebhookConfig(WireModel):
    id: str
    url: str
    events: list[WebhookEventName] | None = Field(description="The event names delivered; null means all.")
    secret: str | None = Field(
        description="The signing secret: only in the answer to the PUT that generated it, null everywhere else."
    )
    created_at: int
    updated_at: int


class PutWebhookRequest(RequestModel):
    url: Annotated[StorableStr, Field(min_length=1, max_length=2048, description="http(s) URL receiving the POSTs.")]
    secret: WebhookSecret | None = Field(
        default=None,
        description="16-200 printable ASCII characters. Absent: the current secret is kept, or one is generated "
        "(and returned once) when the webhook is new.",
    )
    events: list[WebhookEventName] | None = Field(
        default=None, max_length=len(WEBHOOK_EVENTS), description="Event names to deliver; absent or null: all."
    )


class WebhookDelivery(WireModel):
    id: str
    event_id: str = Field(description="The event's `id`: receivers drop repeats by it.")
    event: WebhookEventName
    conversation_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None = Field(description="The HTTP status of the last attempt; null if none answered.")
    last_error: str | None
    last_attempt_at: int | None
    next_attempt_at: int | None = Field(description="When the next try is due, while `pending`.")
    delivered_at: int | None
    created_at: int
    updated_at: int


# ---------------------------------------------------------------------------------------------------------------
# Erasure and export (issue 9): everything stored about one end user. Appended here; the sections above are others'.
# ---------------------------------------------------------------------------------------------------------------
class EndUserExport(WireModel):
    """`GET /end-users/{id}/export`: one document with all Parley keeps about a visitor."""

    end_user: EndUser
    conversations: list[Conversation] = Field(description="Their conversations, oldest first.")
    messages: list[Message] = Field(description="Every message of those conversations (theirs and the agents').")
    reviews: list[Review] = Field(description="The reviews they were asked for or gave.")
    files: list[File] = Field(description="Metadata of the files in those messages (the bytes are at their URLs).")
    exported_at: int = Field(description="When this document was made, unix seconds.")


# ---------------------------------------------------------------------------------------------------------------
# Reviews, the bot and the widget settings (issue 5, items 1-3). Appended here; the sections above are others'.
# ---------------------------------------------------------------------------------------------------------------
class RateReviewRequest(RequestModel):
    mark: Annotated[int, Field(strict=True, ge=1, le=5, description="1 (worst) to 5 (best).")]
    text: StorableStr | None = Field(
        default=None,
        description="An optional comment, at most PARLEY_MAX_TEXT_LENGTH characters; absent or null keeps the current.",
    )


class ReviewDistribution(WireModel):
    """How many confirmed reviews gave each mark."""

    one: int = Field(alias="1")
    two: int = Field(alias="2")
    three: int = Field(alias="3")
    four: int = Field(alias="4")
    five: int = Field(alias="5")


class ReviewSummary(WireModel):
    count: int = Field(description="How many confirmed reviews the agent has.")
    average: float | None = Field(description="Their mean mark, rounded to two decimals; null when there are none.")
    distribution: ReviewDistribution


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
        description="Posted by the bot when the visitor writes while no agent is online (not twice in a row); "
        "empty for none."
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
    allowed_origins: Annotated[list[WidgetOrigin], Field(max_length=100)] | None = None
    auto_assign: Annotated[bool, Field(strict=True)] | None = None
    bot_name: Name | None = None


# The console's signed-in agent (issue 15, item 12). Appended here; the sections above are others'.
class WorkspaceName(WireModel):
    id: str
    name: str


class SignedInAgent(Agent):
    """The agent a console token signs in as, with their workspace: a console asked to switch to another token names
    both sessions before it does."""

    workspace: WorkspaceName
