"""The people of a workspace (agents, end users, the bot), the requests that make and change them, and agents' console
tokens."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from parley.schemas.common import (
    META_MAX_BYTES,
    META_MAX_DEPTH,
    Name,
    RequestModel,
    StorableJsonObject,
    StorableStr,
    WireModel,
)
from parley.schemas.files import File

Availability = Literal["online", "away"]
Role = Literal["owner", "admin", "agent"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # something@somewhere.tld: what a mail server will at least try
# An address as people type it, kept lower-cased: the same address in other letters is the same agent.
AgentEmail = Annotated[StorableStr, Field(max_length=320, pattern=EMAIL_PATTERN), AfterValidator(str.lower)]


class Agent(WireModel):
    id: str
    service_user_id: str
    name: str
    status: Literal["online", "offline"] = Field(
        description="Read-only, what a visitor needs to know: `online` only while the agent's `availability` is "
        "`online` and a console of theirs is connected (or closed less than PARLEY_PRESENCE_GRACE_SECONDS ago), "
        "else `offline`. Each change is an `agent.status_changed` event."
    )
    availability: Availability = Field(
        description="Extension: the agent's own choice, kept until they change it (`online` for a new agent)."
    )
    avatar: File | None
    active: bool
    email: str | None = Field(
        description="How the agent signs in; unique in the workspace. Null wherever a visitor may see the agent."
    )
    role: Role = Field(description="`owner` and `admin` may change the workspace's settings and people.")
    email_notifications: bool
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


class AgentToken(WireModel):
    token: str = Field(description="Shown once; Parley keeps only its hash.")


class AgentTokenInfo(WireModel):
    """One of an agent's live console tokens, never its secret."""

    id: str
    created_at: int
    last_used_at: int | None = Field(description="Unix seconds, to within a minute; null until first used.")


class CreateAgentRequest(RequestModel):
    """`status` is read-only (derived from `availability` and the agent's consoles): one sent is ignored."""

    service_user_id: Annotated[StorableStr, Field(min_length=1, max_length=200)]
    name: Name
    avatar: Annotated[StorableStr, Field(max_length=2048)] | None = None
    availability: Availability = "online"
    active: bool = True
    email: AgentEmail | None = None
    role: Role = "agent"
    email_notifications: bool = True


class UpdateAgentRequest(RequestModel):
    """Partial. `status` is read-only (derived from `availability` and the agent's consoles): one sent is ignored."""

    service_user_id: Annotated[StorableStr, Field(min_length=1, max_length=200)] | None = None
    name: Name | None = None
    avatar: Annotated[StorableStr, Field(max_length=2048)] | None = None
    availability: Availability | None = None
    active: bool | None = None
    email: AgentEmail | None = Field(default=None, description="`null` removes it.")
    role: Role | None = None
    email_notifications: bool | None = None


class SetAvailabilityRequest(RequestModel):
    availability: Availability


class SetEmailNotificationsRequest(RequestModel):
    email_notifications: bool


class CreateEndUserRequest(RequestModel):
    name: Annotated[StorableStr, Field(max_length=200)] | None = None
    email: Annotated[StorableStr, Field(max_length=320)] | None = None
    service_user_id: Annotated[StorableStr, Field(min_length=1, max_length=200)] | None = None
    meta: StorableJsonObject = Field(
        default_factory=dict,
        description=f"Free-form JSON about the visitor: at most {META_MAX_DEPTH} levels deep and {META_MAX_BYTES} "
        "bytes, finite numbers only.",
    )


class WorkspaceName(WireModel):
    id: str
    name: str


class SignedInAgent(Agent):
    """The agent a console token signs in as, with their workspace: a console asked to switch to another token names
    both sessions before it does."""

    workspace: WorkspaceName


class UpdateVisitorRequest(RequestModel):
    """The visitor's own email (where answers they have not read are mailed) and name; absent fields keep theirs."""

    email: Annotated[StorableStr, Field(max_length=320, pattern=EMAIL_PATTERN)] | None = None
    name: Annotated[StorableStr, Field(min_length=1, max_length=200)] | None = None
