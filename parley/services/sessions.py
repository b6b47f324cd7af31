"""Agents signing in with an email and a password, signing out, and setting a password through a single-use link
(an invitation, 7 days; a password reset, 1 hour), as workflow.md section 2 says.

A session is an agent token with an end (`expires_at`, `PARLEY_SESSION_DAYS` after sign-in), listed and revoked
with the agent's other tokens. A wrong email, a wrong password, an agent without a password and an inactive agent
all answer the same 401 after the same work (a hash is verified in every case). Failed attempts are counted per
email and per client address; a success is not counted, and an attempt refused with 429 is not tried at all.

Setting a password ends every other session and console token of the agent: whoever held one must sign in again.
Links are stored as the SHA-256 of their token; issuing one makes any older unused one of the same purpose unusable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage

from parley import schemas
from parley.clock import now_seconds
from parley.errors import ParleyError, conflict, not_found, unauthorized
from parley.mail.composing import header_text, write_body
from parley.realtime.broker import Invalidation
from parley.services import audit, mail
from parley.services.auth import Principal, generate_token, hash_token
from parley.services.context import Services
from parley.services.ids import check_id, new_id
from parley.services.passwords import hash_password, verify_password
from parley.services.people import find_agent
from parley.services.rate_limits import PASSWORD_RESET, SIGN_IN_ADDRESS, SIGN_IN_EMAIL, address_key
from parley.services.views import load_related
from parley.services.workspaces import add_token, get_workspace
from parley.storage.database import Transaction
from parley.storage.records import AgentLinkRecord, AgentRecord, WorkspaceRecord
from parley.storage.repositories import credentials as repo
from parley.storage.repositories import workspaces as workspace_repo

SESSION_TOKEN_NAME = "session"
INVITATION, RESET = "invitation", "reset"
LINK_SECONDS = {INVITATION: 7 * 86_400, RESET: 3_600}
LINK_PAGES = {INVITATION: "invite", RESET: "reset"}
WRONG_CREDENTIALS = "Wrong email or password."


@dataclass(frozen=True, slots=True)
class Link:
    """A link to set a password, as it is handed out once: by mail, to an admin, or printed by the CLI."""

    url: str
    expires_at: int
    agent: AgentRecord
    mailed: bool = False  # sent to the agent's email (mail on, and they have one)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What failed sign-ins are counted by: the email in its workspace, and the client's address. The workspace's
    id is counted as ids are matched (any case), so that `ABC...` is not a fresh allowance beside `abc...`."""

    by_email: str
    by_address: str

    @classmethod
    def of(cls, workspace_id: str, email: str, ip: str | None) -> Attempt:
        return cls(f"{workspace_id.strip().lower()}:{email}", "unknown" if ip is None else address_key(ip))

    async def check(self, svc: Services) -> None:
        await svc.rate_limits.check(SIGN_IN_EMAIL, self.by_email)
        await svc.rate_limits.check(SIGN_IN_ADDRESS, self.by_address)

    async def count(self, svc: Services) -> None:
        await svc.rate_limits.hit(SIGN_IN_EMAIL, self.by_email)
        await svc.rate_limits.hit(SIGN_IN_ADDRESS, self.by_address)


class KeyedLocks:
    """One asyncio lock per key, held only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def held(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


# Attempts at one email, or from one address, are tried one after the other in a process: a burst would otherwise
# pass the limit's test all at once, before any of its failures is counted (measured: 60 at once, 1 in 10 guessed
# past the limit). With several workers a burst gains at most one attempt per worker.
_one_at_a_time = KeyedLocks()


async def sign_in(svc: Services, request: schemas.SignInRequest, ip: str | None) -> schemas.Session:
    attempt = Attempt.of(request.workspace_id, request.email, ip)
    async with _one_at_a_time.held(f"email:{attempt.by_email}"), _one_at_a_time.held(f"ip:{attempt.by_address}"):
        return await _try_password(svc, request, attempt, ip)


async def _try_password(
    svc: Services, request: schemas.SignInRequest, attempt: Attempt, ip: str | None
) -> schemas.Session:
    await attempt.check(svc)
    workspace = await _workspace(svc, request.workspace_id)
    found = await svc.db.read(repo.agent_by_email, workspace.id, request.email) if workspace else None
    agent, stored_hash = found if found else (None, None)
    verdict = await verify_password(stored_hash if agent and agent.active else None, request.password)
    if workspace is None or agent is None or not verdict.matches:
        await attempt.count(svc)
        if workspace is not None:
            await _record_failure(svc, workspace, agent, ip)
        raise unauthorized(WRONG_CREDENTIALS)
    return await _open_session(svc, workspace, agent.id, audit.agent(agent.id, ip), verdict.rehashed)


async def sign_out(svc: Services, principal: Principal) -> str:
    """End the session (or console token) that makes this call: refused from the next request on, everywhere."""
    await svc.db.write(lambda tx: workspace_repo.revoke_token(tx.conn, principal.token_id, now_seconds()))
    await svc.invalidate(Invalidation(token_ids=(principal.token_id,)))
    return principal.token_id


async def invite(svc: Services, workspace: WorkspaceRecord, agent_id: str, actor: audit.Actor) -> schemas.Invitation:
    """A link for the agent to choose their password (and sign in), replacing any earlier one; mailed to them
    when mail is configured and they have an email. An inactive agent gets none (409)."""
    link = await issue_link(svc, workspace, agent_id, INVITATION, actor, by_mail=True)
    return schemas.Invitation(invite_url=link.url, expires_at=link.expires_at, mailed=link.mailed)


def request_password_reset(svc: Services, request: schemas.PasswordResetRequest) -> None:
    """Mail a reset link when that active agent exists and mail is configured; say nothing either way. The lookup
    runs after the answer (`Services.deferred`), so neither the answer nor its time tells whether the email is an
    agent's; at most PARLEY_RATE_LIMIT_PASSWORD_RESET mails go to one email (beyond it, nothing is sent), and the
    requests do not count as failed sign-ins: nobody can lock an agent out by asking for resets."""
    svc.deferred.run("a password reset", _reset(svc, request))


async def _reset(svc: Services, request: schemas.PasswordResetRequest) -> None:
    workspace = await _workspace(svc, request.workspace_id)
    found = await svc.db.read(repo.agent_by_email, workspace.id, request.email) if workspace else None
    if workspace is None or found is None or not found[0].active or not svc.mailer.configured:
        return
    if not await svc.rate_limits.allows(PASSWORD_RESET, f"{workspace.id}:{request.email}"):
        return
    await issue_link(svc, workspace, found[0].id, RESET, audit.agent(found[0].id), by_mail=True)


async def issue_link(
    svc: Services, workspace: WorkspaceRecord, agent_id: str, purpose: str, actor: audit.Actor, *, by_mail: bool
) -> Link:
    """A fresh single-use link of `purpose` for an active agent (older unused ones of that purpose stop working),
    and with `by_mail` its mail queued in the same transaction (when mail is on and the agent has an email). An
    invitation is recorded in the audit log; a reset is asked for by `request_password_reset`, or printed by
    `parley agents invite --reset` for a server without mail."""
    token = generate_token()
    now = now_seconds()
    expires_at = now + LINK_SECONDS[purpose]
    url = f"{svc.settings.resolved_public_url}/console/{LINK_PAGES[purpose]}#token={token}"

    def issue(tx: Transaction) -> Link:
        agent = find_agent(tx.conn, workspace.id, agent_id, lock=True)
        if not agent.active:
            raise conflict("The agent is inactive: activate it before inviting it.")
        mail.cancel_link_mail(tx, repo.use_links(tx.conn, agent.id, purpose, now))
        link = AgentLinkRecord(
            id=new_id(),
            workspace_id=workspace.id,
            agent_id=agent.id,
            purpose=purpose,
            created_at=now,
            expires_at=expires_at,
            used_at=None,
        )
        repo.add_link(tx.conn, hash_token(token), link)
        if purpose == INVITATION:
            audit.record(tx, actor, workspace.id, "agent.invited", ("agent", agent.id))
        mailed = by_mail and bool(agent.email) and _queue_link_mail(svc, tx, workspace, agent, purpose, link.id, url)
        return Link(url, expires_at, agent, mailed)

    issued = await svc.db.write(issue)
    if issued.mailed:
        svc.mail.wake()
    return issued


async def set_password_by_link(
    svc: Services, purpose: str, request: schemas.SetPasswordRequest, ip: str | None
) -> schemas.Session:
    """Redeem an invitation or a reset: the password is set, the link used, the agent's other sessions and tokens
    ended, and a new session opened. A used, expired or unknown link (or an agent deactivated since) is 404, found
    so before the password is hashed: a guessed token costs a lookup, not 35 ms of a core."""
    token_hash, now = hash_token(request.token), now_seconds()
    if await svc.db.read(repo.usable_link, token_hash, purpose, now) is None:
        raise not_found("Link")
    password_hash = await hash_password(request.password)

    def redeem(tx: Transaction) -> tuple[AgentLinkRecord, list[str]]:
        link = repo.usable_link(tx.conn, token_hash, purpose, now, lock=True)  # still usable: used once
        agent = find_agent(tx.conn, link.workspace_id, link.agent_id, lock=True) if link else None
        if link is None or agent is None or not agent.active:
            raise not_found("Link")
        mail.cancel_link_mail(tx, repo.use_links(tx.conn, agent.id, purpose, now))
        return link, _replace_password(tx, agent.id, password_hash, now)

    link, ended = await svc.db.write(redeem)
    await _end_sessions(svc, ended)
    workspace = await _workspace(svc, link.workspace_id)
    assert workspace is not None  # the link's row goes with its workspace
    return await _open_session(svc, workspace, link.agent_id, audit.agent(link.agent_id, ip), None)


async def set_password(svc: Services, workspace: WorkspaceRecord, agent_id: str, password: str) -> None:
    """Set the agent's password directly (the demo's owner), ending their sessions."""
    password_hash = await hash_password(password)

    def change(tx: Transaction) -> list[str]:
        agent = find_agent(tx.conn, workspace.id, agent_id, lock=True)
        return _replace_password(tx, agent.id, password_hash, now_seconds())

    await _end_sessions(svc, await svc.db.write(change))


def _replace_password(tx: Transaction, agent_id: str, password_hash: str, now: int) -> list[str]:
    """The new password, in `tx`; every session and token of the agent ended (their ids)."""
    repo.set_password(tx.conn, agent_id, password_hash, now)
    return workspace_repo.revoke_tokens_of_agent(tx.conn, agent_id, now)


async def _end_sessions(svc: Services, token_ids: list[str]) -> None:
    if token_ids:
        await svc.invalidate(Invalidation(token_ids=tuple(token_ids)))


async def _open_session(
    svc: Services, workspace: WorkspaceRecord, agent_id: str, actor: audit.Actor, rehashed: str | None
) -> schemas.Session:
    token = generate_token()
    expires_at = now_seconds() + round(svc.settings.session_days * 86_400)

    def open_session(tx: Transaction) -> schemas.Agent:
        agent = find_agent(tx.conn, workspace.id, agent_id, lock=True)
        if not agent.active:  # deactivated between the password check and now
            raise unauthorized(WRONG_CREDENTIALS)
        if rehashed is not None:
            repo.set_password(tx.conn, agent.id, rehashed, now_seconds())
        record = add_token(tx, workspace.id, SESSION_TOKEN_NAME, token, agent_id=agent.id, expires_at=expires_at)
        audit.record(tx, actor, workspace.id, "session.created", ("agent", agent.id), {"tokenId": record.id})
        return svc.trusted_views.agent(agent, load_related(tx.conn, agents=[agent]))

    agent = await svc.db.write(open_session)
    return schemas.Session(token=token, agent=agent, expires_at=expires_at)


async def _record_failure(svc: Services, workspace: WorkspaceRecord, agent: AgentRecord | None, ip: str | None) -> None:
    """`session.failed`, aimed at the agent when one has that email (target null otherwise); whoever tried is
    nobody known, so never that agent: a filter by the agent shows what they did, not what was tried on them."""
    target = ("agent", agent.id) if agent else None
    actor = audit.Actor("agent", None, ip)
    await svc.db.write(lambda tx: audit.record(tx, actor, workspace.id, "session.failed", target))


async def _workspace(svc: Services, workspace_id: str) -> WorkspaceRecord | None:
    """The workspace a sign-in names; an id that is no workspace's is just a failed attempt."""
    try:
        return await get_workspace(svc, check_id(workspace_id, "Workspace"))
    except ParleyError:
        return None


def _queue_link_mail(
    svc: Services,
    tx: Transaction,
    workspace: WorkspaceRecord,
    agent: AgentRecord,
    purpose: str,
    link_id: str,
    url: str,
) -> bool:
    """The invitation or reset mail, plain text and HTML, queued with its link (one mail a link); whether it was
    (mail on)."""
    hours = LINK_SECONDS[purpose] // 3600
    if purpose == INVITATION:
        subject = f"You are invited to {workspace.name} on Parley"
        lead = f"You are invited to answer {workspace.name}'s visitors on Parley."
        action = "Choose your password"
        valid = f"The link works once, for {hours // 24} days."
    else:
        subject = f"Reset your Parley password for {workspace.name}"
        lead = "Someone (we hope you) asked to reset your Parley password."
        action = "Choose a new password"
        valid = f"The link works once, for {hours} hour. If you did not ask, ignore this mail."
    message = EmailMessage()
    message["To"] = agent.email
    message["Subject"] = header_text(subject)
    write_body(message, greeting=f"Hello {agent.name},", lead=lead, action=(action, url), footer=valid)
    kind: schemas.MailKind = "invitation" if purpose == INVITATION else "password_reset"
    return mail.queue(svc, tx, workspace, kind, mail.link_cause(link_id), message)
