"""Workspaces and their API tokens: creation, bootstrap, the demo, and authentication of every API call."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from parley.clock import now_seconds
from parley.errors import conflict, not_found, unauthorized
from parley.realtime.broker import Invalidation
from parley.services import audit
from parley.services.auth import Principal, display_prefix, generate_token, hash_token, token_from_header
from parley.services.context import Services
from parley.services.ids import check_id, new_id
from parley.services.people import find_agent
from parley.storage.database import Transaction
from parley.storage.records import TokenRecord, WorkspaceRecord
from parley.storage.repositories import workspaces as repo

DEFAULT_WORKSPACE = "Default"
DEMO_WORKSPACE = "Demo"
DEFAULT_BOT_NAME = "Parley bot"
DEMO_TOKEN_NAME = "demo"


def default_settings() -> dict[str, Any]:
    return {
        "title": "Chat with us",
        "accentColor": "#2563eb",
        "greeting": "",
        "awayMessage": "",
        "allowedOrigins": [],
        "autoAssign": False,
    }


async def create_workspace(
    svc: Services, name: str, token_name: str = "default", is_demo: bool = False
) -> tuple[WorkspaceRecord, str]:
    """A new workspace with its bot and its first API token (returned once, stored hashed)."""
    token = generate_token()

    def create(tx: Transaction) -> WorkspaceRecord:
        workspace = _add_workspace(tx, name, is_demo)
        add_token(tx, workspace.id, token_name, token)
        return workspace

    return await svc.db.write(create), token


async def ensure_bootstrap_workspace(svc: Services, token: str) -> WorkspaceRecord:
    """Make `token` (PARLEY_BOOTSTRAP_TOKEN) an API token of the default workspace, creating that if needed.

    Several workers start at once: the one that loses the race finds the winner's rows on its second try.
    """
    try:
        return await _ensure_bootstrap_workspace(svc, token)
    except IntegrityError:
        return await _ensure_bootstrap_workspace(svc, token)


async def _ensure_bootstrap_workspace(svc: Services, token: str) -> WorkspaceRecord:
    def ensure(tx: Transaction) -> WorkspaceRecord:
        known = repo.find_live_token(tx.conn, hash_token(token))
        if known is not None:
            workspace = repo.get_workspace(tx.conn, known.workspace_id)
            assert workspace is not None
            return workspace
        workspace = repo.get_workspace_by_name(tx.conn, DEFAULT_WORKSPACE) or _add_workspace(
            tx, DEFAULT_WORKSPACE, is_demo=False
        )
        add_token(tx, workspace.id, "bootstrap", token)
        return workspace

    return await svc.db.write(ensure)


async def ensure_demo_workspace(svc: Services) -> tuple[WorkspaceRecord, str]:
    """The demo workspace, with a fresh API token each call (the previous demo tokens are revoked)."""
    token = generate_token()

    def replace_demo_token(tx: Transaction) -> tuple[WorkspaceRecord, list[str]]:
        workspace = repo.get_workspace_by_name(tx.conn, DEMO_WORKSPACE)
        if workspace is None or not workspace.is_demo:
            workspace = _add_workspace(tx, DEMO_WORKSPACE, is_demo=True)
        revoked: list[str] = []
        for old in repo.list_tokens(tx.conn, workspace.id):
            if old.name == DEMO_TOKEN_NAME and old.agent_id is None and old.revoked_at is None:
                repo.revoke_token(tx.conn, old.id, now_seconds())
                revoked.append(old.id)
        add_token(tx, workspace.id, DEMO_TOKEN_NAME, token)
        return workspace, revoked

    workspace, revoked = await svc.db.write(replace_demo_token)
    await svc.invalidate(Invalidation(token_ids=tuple(revoked)))
    return workspace, token


async def issue_token(svc: Services, workspace_id: str, name: str, actor: audit.Actor) -> tuple[TokenRecord, str]:
    """A new API token of the workspace (shown once, stored hashed), recorded as `token.created`."""
    token = generate_token()

    def issue(tx: Transaction) -> TokenRecord:
        record = add_token(tx, workspace_id, name, token)
        audit.record(tx, actor, workspace_id, "token.created", ("api_token", record.id), {"name": name})
        return record

    return await svc.db.write(issue), token


async def list_api_tokens(svc: Services, workspace: WorkspaceRecord) -> list[TokenRecord]:
    """The workspace's live API tokens (not its agents'), oldest first."""
    return await svc.db.read(repo.live_api_tokens, workspace.id)


async def revoke_api_token(svc: Services, workspace: WorkspaceRecord, token_id: str, actor: audit.Actor) -> str:
    """One of the workspace's live API tokens; any other id is 404. Refused from the next request on, everywhere."""
    token_id = check_id(token_id, "Token")

    def revoke(tx: Transaction) -> None:
        if not repo.revoke_api_token(tx.conn, workspace.id, token_id, now_seconds()):
            raise not_found("Token")
        audit.record(tx, actor, workspace.id, "token.revoked", ("api_token", token_id))

    await svc.db.write(revoke)
    await svc.invalidate(Invalidation(token_ids=(token_id,)))
    return token_id


async def list_tokens(svc: Services, workspace_id: str) -> list[TokenRecord]:
    return await svc.db.read(repo.list_tokens, workspace_id)


async def revoke_token(svc: Services, token_id: str) -> bool:
    """Any token, an API token or an agent's (`parley tokens revoke`): refused from the next request on, in every
    process told through the broker; recorded as the CLI's `token.revoked`."""

    def revoke(tx: Transaction) -> bool:
        record = repo.get_token(tx.conn, token_id)
        if record is None or not repo.revoke_token(tx.conn, token_id, now_seconds()):
            return False
        target = ("agent_token" if record.agent_id else "api_token", token_id)
        audit.record(tx, audit.CLI, record.workspace_id, "token.revoked", target)
        return True

    revoked = await svc.db.write(revoke)
    if revoked:
        await svc.invalidate(Invalidation(token_ids=(token_id,)))
    return revoked


async def list_workspaces(svc: Services) -> list[WorkspaceRecord]:
    return await svc.db.read(repo.list_workspaces)


async def get_workspace(svc: Services, workspace_id: str) -> WorkspaceRecord | None:
    return await svc.db.read(repo.get_workspace, workspace_id)


async def authenticate(svc: Services, authorization: str | None) -> Principal:
    """The caller of the External API: a workspace's API token."""
    principal = await _principal(svc, token_from_header(authorization))
    if principal is None or principal.agent_id is not None:
        raise unauthorized()
    svc.token_uses.note(principal.token_id)
    return principal


async def authenticate_agent(svc: Services, token: str | None) -> Principal:
    """The caller of the console's API and websocket: an agent's token."""
    principal = await _principal(svc, token_from_header(token))
    if principal is None or principal.agent_id is None or _expired(principal):
        raise unauthorized("A valid agent token is required.")
    svc.token_uses.note(principal.token_id)
    return principal


async def issue_agent_token(svc: Services, workspace: WorkspaceRecord, agent_id: str, actor: audit.Actor) -> str:
    """A console sign-in token for one active agent (shown once, stored hashed). The agent's row stays locked until
    the token is stored, so a deactivation at the same moment comes wholly before (409) or after (revoking it)."""
    token = generate_token()

    def issue(tx: Transaction) -> None:
        agent = find_agent(tx.conn, workspace.id, agent_id, lock=True)
        if not agent.active:
            raise conflict("The agent is inactive: activate it before issuing a token.")
        record = add_token(tx, workspace.id, "console", token, agent_id=agent.id)
        audit.record(tx, actor, workspace.id, "token.created", ("agent_token", record.id), {"agentId": agent.id})

    await svc.db.write(issue)
    return token


async def list_agent_tokens(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> list[TokenRecord]:
    """The agent's live tokens (revoked ones leave the list)."""

    def load(conn: Connection) -> list[TokenRecord]:
        agent = find_agent(conn, workspace.id, agent_id)
        return repo.live_tokens_of_agent(conn, agent.id, now_seconds())

    return await svc.db.read(load)


async def revoke_agent_token(
    svc: Services, workspace: WorkspaceRecord, agent_id: str, token_id: str, actor: audit.Actor
) -> str:
    """One of the agent's live tokens; any other id (another agent's, an API token, a revoked one) is 404."""
    token_id = check_id(token_id, "Token")

    def revoke(tx: Transaction) -> None:
        agent = find_agent(tx.conn, workspace.id, agent_id)
        if not repo.revoke_token(tx.conn, token_id, now_seconds(), agent_id=agent.id):
            raise not_found("Token")
        audit.record(tx, actor, workspace.id, "token.revoked", ("agent_token", token_id), {"agentId": agent.id})

    await svc.db.write(revoke)
    await svc.invalidate(Invalidation(token_ids=(token_id,)))
    return token_id


def _expired(principal: Principal) -> bool:
    return principal.expires_at is not None and principal.expires_at <= now_seconds()


async def _principal(svc: Services, token: str) -> Principal | None:
    """Lookups are cached; revocation and deactivation drop the entries they make untrue (`Services.invalidate`)."""
    token_hash = hash_token(token)
    return await svc.principals.get(token_hash, partial(_load_principal, svc, token_hash))


async def _load_principal(svc: Services, token_hash: str) -> Principal | None:
    record = await svc.db.read(repo.find_live_token, token_hash)
    workspace = await get_workspace(svc, record.workspace_id) if record else None
    if record is None or workspace is None:
        return None
    return Principal(workspace=workspace, token_id=record.id, agent_id=record.agent_id, expires_at=record.expires_at)


def _add_workspace(tx: Transaction, name: str, is_demo: bool) -> WorkspaceRecord:
    now = now_seconds()
    workspace = WorkspaceRecord(
        id=new_id(),
        name=name,
        site_key=generate_token().removeprefix("plt_")[:32],
        is_demo=is_demo,
        settings=default_settings(),
        created_at=now,
        updated_at=now,
    )
    repo.add_workspace(tx.conn, **workspace.as_row())
    repo.add_bot(tx.conn, id=new_id(), workspace_id=workspace.id, name=DEFAULT_BOT_NAME, created_at=now, updated_at=now)
    return workspace


def add_token(
    tx: Transaction,
    workspace_id: str,
    name: str,
    token: str,
    agent_id: str | None = None,
    expires_at: int | None = None,
) -> TokenRecord:
    """A token's row (only its hash kept), in `tx`: an API token, or with `agent_id` an agent's console token or
    (with `expires_at`) session."""
    record = TokenRecord(
        id=new_id(),
        workspace_id=workspace_id,
        agent_id=agent_id,
        name=name,
        prefix=display_prefix(token),
        created_at=now_seconds(),
        revoked_at=None,
        last_used_at=None,
        expires_at=expires_at,
    )
    repo.add_token(tx.conn, token_hash=hash_token(token), **record.as_row())
    return record
