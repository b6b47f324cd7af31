"""Agents' online status from their console sockets: online while one is open, offline a little after the last
one closes (a reload does not flicker the status), each change an `agent.status_changed` event."""

from __future__ import annotations

import asyncio

from parley import schemas
from parley.services import people
from parley.services.context import Services
from parley.storage.records import WorkspaceRecord


async def console_opened(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> None:
    if await svc.presence.connected(agent_id) == 1:
        await people.update_agent(svc, workspace, agent_id, schemas.UpdateAgentRequest(status="online"))


async def console_closed(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> None:
    if await svc.presence.disconnected(agent_id) > 0:
        return
    await asyncio.sleep(svc.settings.presence_grace_seconds)
    if await svc.presence.count(agent_id) == 0:
        await people.update_agent(svc, workspace, agent_id, schemas.UpdateAgentRequest(status="offline"))
