"""Signing in and out of the console: email and password, invitations and password resets (workflow.md 2)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from parley import schemas
from parley.api.deps import AgentAuth, ServicesDep, client_ip, error_responses
from parley.schemas import Envelope
from parley.services import sessions

router = APIRouter(prefix="/api/agent/v1", tags=["agent console"], responses=error_responses())

SessionEnvelope = Envelope[schemas.Session]


@router.post("/sessions", response_model=SessionEnvelope, summary="Sign in with email and password")
async def sign_in(body: schemas.SignInRequest, request: Request, services: ServicesDep) -> SessionEnvelope:
    """A wrong email, a wrong password and an inactive agent answer the same 401 `unauthorized`. Failed attempts
    are limited per email (10) and per client address (30) in 15 minutes: then 429 `rate_limited` with
    `Retry-After`. The session's token signs the console in until `expiresAt`."""
    return SessionEnvelope(data=await sessions.sign_in(services, body, client_ip(request)))


@router.delete("/sessions/current", response_model=Envelope[schemas.Deleted], summary="Sign out")
async def sign_out(auth: AgentAuth) -> Envelope[schemas.Deleted]:
    """The token making this call stops working, on every worker; its open websockets close with 4401."""
    ended = await sessions.sign_out(auth.services, auth.principal)
    return Envelope[schemas.Deleted](data=schemas.Deleted(id=ended))


@router.post("/invitations/accept", response_model=SessionEnvelope, summary="Accept an invitation")
async def accept_invitation(
    body: schemas.SetPasswordRequest, request: Request, services: ServicesDep
) -> SessionEnvelope:
    """Choose a password with the invitation's token, and be signed in. A used or expired invitation is 404; a
    password under 10 characters is 422 (the invitation stays usable)."""
    signed_in = await sessions.set_password_by_link(services, sessions.INVITATION, body, client_ip(request))
    return SessionEnvelope(data=signed_in)


@router.post(
    "/password-reset", response_model=Envelope[schemas.PasswordResetRequested], summary="Ask for a password reset"
)
async def request_password_reset(
    body: schemas.PasswordResetRequest, services: ServicesDep
) -> Envelope[schemas.PasswordResetRequested]:
    """Always 200, at once: when that active agent exists and mail is configured, a link (1 hour, single use) is
    mailed to them, at most PARLEY_RATE_LIMIT_PASSWORD_RESET times an hour."""
    sessions.request_password_reset(services, body)
    return Envelope[schemas.PasswordResetRequested](data=schemas.PasswordResetRequested())


@router.post("/password-reset/confirm", response_model=SessionEnvelope, summary="Set a new password")
async def confirm_password_reset(
    body: schemas.SetPasswordRequest, request: Request, services: ServicesDep
) -> SessionEnvelope:
    """As accepting an invitation: the new password, every other session ended, and signed in."""
    signed_in = await sessions.set_password_by_link(services, sessions.RESET, body, client_ip(request))
    return SessionEnvelope(data=signed_in)
