"""Agents and end users: creating, reading and changing them, with their rules."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from parley import schemas
from parley.clock import now_microseconds, now_seconds
from parley.errors import ParleyError, conflict, forbidden, not_found
from parley.realtime.broker import Invalidation
from parley.services import audit, mail, visitor_names
from parley.services.context import Services
from parley.services.events import emit_workspace_event
from parley.services.files import fetch_and_store, record_file
from parley.services.ids import check_id, new_id
from parley.services.paging import continue_after
from parley.services.views import Related, load_related
from parley.storage.database import Transaction
from parley.storage.records import AgentRecord, EndUserRecord, FileRecord, WorkspaceRecord
from parley.storage.repositories import credentials as credentials_repo
from parley.storage.repositories import people as repo
from parley.storage.repositories import workspaces as workspace_repo

ONLINE, OFFLINE = "online", "offline"
ADMIN_ROLES = frozenset({repo.OWNER, "admin"})


async def create_agent(
    svc: Services, workspace: WorkspaceRecord, request: schemas.CreateAgentRequest, actor: audit.Actor
) -> schemas.Agent:
    avatar = await fetch_and_store(svc, workspace.id, request.avatar, only_images=True) if request.avatar else None
    now_us = now_microseconds()
    now = now_us // 1_000_000
    agent = AgentRecord(
        id=new_id(),
        workspace_id=workspace.id,
        service_user_id=request.service_user_id,
        name=request.name,
        status=OFFLINE,  # no console of theirs is connected yet
        availability=request.availability,
        avatar_file_id=avatar.id if avatar else None,
        active=request.active,
        email=request.email,
        role=request.role,
        email_notifications=request.email_notifications,
        created_us=now_us,
        created_at=now,
        updated_at=now,
    )

    def add(tx: Transaction) -> None:
        if repo.agent_with_service_user_id(tx.conn, workspace.id, request.service_user_id):
            raise _duplicate_service_user_id("agent")
        if request.email and repo.agent_with_email(tx.conn, workspace.id, request.email):
            raise _duplicate_email()
        if avatar:
            record_file(tx, avatar)
        repo.add_agent(tx.conn, **agent.as_row())
        audit.record(tx, actor, workspace.id, "agent.created", ("agent", agent.id), {"role": agent.role})

    try:
        await svc.db.write(add)
    except IntegrityError:
        raise _taken() from None
    return _render_agent(svc, agent, avatar)


async def get_agent(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> schemas.Agent:

    def load(conn: Connection) -> schemas.Agent:
        agent = find_agent(conn, workspace.id, agent_id)
        return svc.trusted_views.agent(agent, load_related(conn, agents=[agent]))

    return await svc.db.read(load)


async def signed_in_agent(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> schemas.SignedInAgent:
    """The agent with their workspace's name: who a console token signs in as, and where."""
    agent = await get_agent(svc, workspace, agent_id)
    where = schemas.WorkspaceName(id=workspace.id, name=workspace.name)
    return schemas.SignedInAgent(**dict(agent), workspace=where)


async def list_agents(svc: Services, workspace: WorkspaceRecord, after: str | None, limit: int) -> list[schemas.Agent]:

    def load(conn: Connection) -> list[schemas.Agent]:
        cursor = continue_after(after, partial(find_agent, conn, workspace.id), lambda a: (a.created_us, a.id))
        agents = repo.list_agents(conn, workspace.id, cursor, limit)
        related = load_related(conn, agents=agents)
        return [svc.trusted_views.agent(a, related) for a in agents]

    return await svc.db.read(load)


async def update_agent(
    svc: Services, workspace: WorkspaceRecord, agent_id: str, request: schemas.UpdateAgentRequest, actor: audit.Actor
) -> schemas.Agent:
    """Partial: absent fields stay; `"avatar": null` removes the avatar. Deactivation revokes every token of the
    agent in the same transaction (they stay revoked if the agent is activated again) and closes their sockets. A
    change of availability changes the status with it when a console of theirs is connected. `"email": null`
    removes the email. A workspace with an owner keeps at least one active owner: demoting or deactivating the last
    one is 409 `conflict`. The audit log records a role change, a deactivation and any other change but the
    agent's own availability (`agent.role_changed`, `agent.deactivated`, `agent.updated`)."""
    changes = request.model_dump(exclude_unset=True, exclude_none=True, exclude={"avatar"}, by_alias=False)
    if "email" in request.model_fields_set and request.email is None:
        changes["email"] = None
    avatar = None
    if request.avatar:
        await svc.db.read(find_agent, workspace.id, agent_id)  # an unknown or foreign agent fetches nothing
        avatar = await fetch_and_store(svc, workspace.id, request.avatar, only_images=True)
    if "availability" in changes:
        changes["status"] = _derived_status(changes["availability"], await svc.presence.count(agent_id) > 0)

    def change(tx: Transaction) -> tuple[AgentRecord, Related, bool]:
        """The changed agent, what rendering it needs, and whether this change deactivated them."""
        if "role" in changes or "active" in changes:  # the owners first, as `_keep_an_owner` takes them: one order
            repo.active_owner_ids(tx.conn, workspace.id)
        current = find_agent(tx.conn, workspace.id, agent_id, lock=True)
        new_sid = changes.get("service_user_id")
        if (
            new_sid
            and new_sid != current.service_user_id
            and repo.agent_with_service_user_id(tx.conn, workspace.id, new_sid)
        ):
            raise _duplicate_service_user_id("agent")
        new_email = changes.get("email")
        if new_email and new_email != current.email and repo.agent_with_email(tx.conn, workspace.id, new_email):
            raise _duplicate_email()
        _keep_an_owner(tx.conn, current, changes)
        if avatar:
            record_file(tx, avatar)
            changes["avatar_file_id"] = avatar.id
        elif "avatar" in request.model_fields_set and current.avatar_file_id is not None:
            changes["avatar_file_id"] = None
        if changes:
            changes["updated_at"] = now_seconds()
            repo.update_agent(tx.conn, current.id, **changes)
        deactivated = current.active and changes.get("active") is False
        if deactivated:
            workspace_repo.revoke_tokens_of_agent(tx.conn, current.id, changes["updated_at"])
        if deactivated or ("email" in changes and changes["email"] != current.email):
            # An invitation or a reset sent to them (or to a mistyped address) must not outlive either change.
            mail.cancel_link_mail(tx, credentials_repo.cancel_links(tx.conn, current.id, now_seconds()))
        agent = find_agent(tx.conn, workspace.id, agent_id)
        _record_update(tx, actor, current, agent)
        related = load_related(tx.conn, agents=[agent])
        if agent.status != current.status:
            _emit_status_changed(svc, tx, agent, related)
        return agent, related, deactivated

    try:
        agent, related, deactivated = await svc.db.write(change)
    except IntegrityError:
        raise _taken() from None
    if deactivated:
        await svc.invalidate(Invalidation(agent_ids=(agent.id,)))
    return svc.trusted_views.agent(agent, related)


# What an agent changes for themself, and what follows from it: not the workspace's business to audit.
_UNAUDITED = frozenset({"availability", "status", "updated_at"})


def _record_update(tx: Transaction, actor: audit.Actor, before: AgentRecord, after: AgentRecord) -> None:
    target = ("agent", after.id)
    before_row, after_row = before.as_row(), after.as_row()
    changed = sorted(key for key, value in after_row.items() if value != before_row[key] and key not in _UNAUDITED)
    if "role" in changed:
        details = {"from": before.role, "to": after.role}
        audit.record(tx, actor, after.workspace_id, "agent.role_changed", target, details)
    if "active" in changed and not after.active:
        audit.record(tx, actor, after.workspace_id, "agent.deactivated", target)
    rest = [_WIRE_NAMES.get(key, key) for key in changed if key != "role" and (key != "active" or after.active)]
    if rest:
        audit.record(tx, actor, after.workspace_id, "agent.updated", target, {"fields": rest})


_WIRE_NAMES = {
    "service_user_id": "serviceUserId",
    "avatar_file_id": "avatar",
    "email_notifications": "emailNotifications",
}


def _keep_an_owner(conn: Connection, current: AgentRecord, changes: dict[str, object]) -> None:
    """Refuse the change that would leave a workspace which has an owner without an active one."""
    stays_owner = changes.get("role", current.role) == repo.OWNER and changes.get("active", current.active) is True
    if current.role != repo.OWNER or not current.active or stays_owner:
        return
    if repo.active_owner_ids(conn, current.workspace_id) == [current.id]:
        raise conflict("The workspace's last active owner cannot be demoted or deactivated: make another owner first.")


def _duplicate_email() -> ParleyError:
    return conflict("An agent with this email already exists in the workspace.")


def _taken() -> ParleyError:
    """A unique column taken by a concurrent write, after the checks above had passed."""
    return conflict("An agent with this serviceUserId or email already exists in the workspace.")


def _derived_status(availability: str, connected: bool) -> str:
    """What a visitor needs to know: online only while the agent wants to be and has a console open."""
    return ONLINE if availability == ONLINE and connected else OFFLINE


async def set_console_connected(svc: Services, workspace: WorkspaceRecord, agent_id: str, connected: bool) -> None:
    """The agent's first console opened (`connected`), or their last one closed: the status follows, with its event
    when it changes (an agent who chose `away` stays offline either way)."""

    def settle(tx: Transaction) -> None:
        current = find_agent(tx.conn, workspace.id, agent_id, lock=True)
        status = _derived_status(current.availability, connected)
        if status == current.status:
            return
        repo.update_agent(tx.conn, current.id, status=status, updated_at=now_seconds())
        agent = find_agent(tx.conn, workspace.id, agent_id)
        _emit_status_changed(svc, tx, agent, load_related(tx.conn, agents=[agent]))

    await svc.db.write(settle)


def _emit_status_changed(svc: Services, tx: Transaction, agent: AgentRecord, related: Related) -> None:
    emit_workspace_event(tx, "agent.status_changed", agent.workspace_id, svc.public_views.agent(agent, related))


async def require_admin(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> None:
    """403 `forbidden` unless the agent is an active owner or admin, as stored now."""
    agent = await svc.db.read(find_agent, workspace.id, agent_id)
    if agent.role not in ADMIN_ROLES or not agent.active:
        raise forbidden()


async def agent_record(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> AgentRecord:
    return await svc.db.read(find_agent, workspace.id, agent_id)


def find_agent(conn: Connection, workspace_id: str, agent_id: str, lock: bool = False) -> AgentRecord:
    agent = repo.get_agent(conn, workspace_id, check_id(agent_id, "Agent"), lock)
    if agent is None:
        raise not_found("Agent")
    return agent


async def create_end_user(
    svc: Services, workspace: WorkspaceRecord, request: schemas.CreateEndUserRequest
) -> schemas.EndUser:
    """An end user the integrator creates: named as they say (or not at all)."""
    return await _add_end_user(svc, workspace, request, lambda _conn: request.name)


async def create_anonymous_visitor(svc: Services, workspace: WorkspaceRecord) -> schemas.EndUser:
    """A visitor the widget starts from the site key, with a friendly name unused in the workspace ("Amber Fox")."""
    request = schemas.CreateEndUserRequest()
    return await _add_end_user(svc, workspace, request, partial(visitor_names.unused_name, workspace_id=workspace.id))


async def _add_end_user(
    svc: Services,
    workspace: WorkspaceRecord,
    request: schemas.CreateEndUserRequest,
    name_in: Callable[[Connection], str | None],
) -> schemas.EndUser:
    """`name_in` names them in the transaction that adds them, so a name checked unused is taken at once."""

    def add(tx: Transaction) -> EndUserRecord:
        if request.service_user_id and repo.end_user_with_service_user_id(
            tx.conn, workspace.id, request.service_user_id
        ):
            raise _duplicate_service_user_id("end user")
        now = now_seconds()
        end_user = EndUserRecord(
            id=new_id(),
            workspace_id=workspace.id,
            service_user_id=request.service_user_id,
            name=name_in(tx.conn),
            email=request.email,
            meta=request.meta,
            created_at=now,
            updated_at=now,
        )
        repo.add_end_user(tx.conn, **end_user.as_row())
        return end_user

    try:
        end_user = await svc.db.write(add)
    except IntegrityError:
        raise _duplicate_service_user_id("end user") from None
    return svc.trusted_views.end_user(end_user)


async def update_visitor(
    svc: Services, end_user: EndUserRecord, request: schemas.UpdateVisitorRequest
) -> EndUserRecord:
    """The visitor's own email and name (the widget asks for an email while the team is away); every process
    forgets the cached end user before this answers."""
    changes = request.model_dump(exclude_none=True)
    if not changes:
        return end_user
    changes["updated_at"] = now_seconds()

    def change(tx: Transaction) -> EndUserRecord:
        repo.update_end_user(tx.conn, end_user.id, **changes)
        changed = repo.get_end_user_anywhere(tx.conn, end_user.id)
        if changed is None:
            raise not_found("End user")
        return changed

    changed = await svc.db.write(change)
    await svc.invalidate(Invalidation(end_user_ids=(end_user.id,)))
    return changed


async def get_end_user(svc: Services, workspace: WorkspaceRecord, end_user_id: str) -> schemas.EndUser:
    return svc.trusted_views.end_user(await find_end_user(svc, workspace.id, end_user_id))


async def find_end_user(svc: Services, workspace_id: str, end_user_id: str) -> EndUserRecord:
    """End users are read on every send, so they are cached; the workspace check still applies to each read."""
    end_user = await cached_end_user(svc, check_id(end_user_id, "End user"))
    if end_user is None or end_user.workspace_id != workspace_id:
        raise not_found("End user")
    return end_user


async def cached_end_user(svc: Services, end_user_id: str) -> EndUserRecord | None:
    """In any workspace: the caller checks it is theirs."""
    return await svc.end_users.get(end_user_id, partial(_load_end_user, svc, end_user_id))


async def _load_end_user(svc: Services, end_user_id: str) -> EndUserRecord | None:
    return await svc.db.read(repo.get_end_user_anywhere, end_user_id)


def _render_agent(svc: Services, agent: AgentRecord, avatar: FileRecord | None) -> schemas.Agent:
    return svc.trusted_views.agent(agent, Related(files={avatar.id: avatar} if avatar else {}))


def _duplicate_service_user_id(what: str) -> Exception:
    return conflict(f"An {what} with this serviceUserId already exists in the workspace.")
