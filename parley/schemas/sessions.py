"""Agents signing in: sessions, invitations, password resets, API tokens and the audit log (workflow.md section 2)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from parley.schemas.common import Name, RequestModel, StorableStr, WireModel
from parley.schemas.people import Agent, AgentEmail

MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase or manager's password, short enough that hashing one is never a denial of service.
MAX_PASSWORD_LENGTH = 1024

Password = Annotated[
    StorableStr,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters; stored as its argon2id hash only.",
    ),
]
LinkToken = Annotated[StorableStr, Field(min_length=1, max_length=200)]
WorkspaceId = Annotated[StorableStr, Field(min_length=1, max_length=64)]


class SignInRequest(RequestModel):
    workspace_id: WorkspaceId
    email: AgentEmail
    # Not `Password`: a sign-in compares whatever is typed (a short one is simply wrong, the same 401).
    password: Annotated[StorableStr, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class Session(WireModel):
    token: str = Field(description="The console's bearer token, shown once; Parley keeps only its hash.")
    agent: Agent
    expires_at: int = Field(description="Unix seconds: the session ends then (PARLEY_SESSION_DAYS after sign-in).")


class SetPasswordRequest(RequestModel):
    """Accepting an invitation, or confirming a password reset: the link's token and the new password."""

    token: LinkToken
    password: Password


class PasswordResetRequest(RequestModel):
    workspace_id: WorkspaceId
    email: AgentEmail


class PasswordResetRequested(WireModel):
    requested: Literal[True] = Field(
        default=True, description="Always: whether that agent exists is not told (a link is emailed when it does)."
    )


class Invitation(WireModel):
    invite_url: str = Field(description="`<PARLEY_PUBLIC_URL>/console/invite#token=<token>`: single use.")
    expires_at: int
    mailed: bool = Field(
        description="Extension: whether it was mailed to the agent (mail is configured and they have an email); "
        "else the link is for the admin to pass on."
    )


class ApiTokenInfo(WireModel):
    """One of the workspace's live API tokens, never its secret."""

    id: str
    name: str
    prefix: str = Field(description="The token's first characters, to tell it apart.")
    created_at: int
    last_used_at: int | None = Field(description="Unix seconds, to within a minute; null until first used.")


class CreatedApiToken(ApiTokenInfo):
    token: str = Field(description="Shown once; Parley keeps only its hash.")


class CreateApiTokenRequest(RequestModel):
    name: Name


AuditActorType = Literal["api_token", "agent", "cli"]


class AuditActor(WireModel):
    type: AuditActorType
    id: str | None
    name: str | None = Field(description="The agent's or the token's name when the change was made.")


class AuditTarget(WireModel):
    type: str
    id: str


class AuditEntry(WireModel):
    id: str
    actor: AuditActor
    action: str = Field(description="`agent.created`, `session.failed`, `token.revoked`, ... (workflow.md 2).")
    target: AuditTarget | None
    ip: str | None = Field(description="The client's address, when the change came over HTTP.")
    created_at: int
    details: dict[str, Any] = Field(description="What changed: field names, a role's before and after; never a secret.")
