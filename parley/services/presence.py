"""Agents' consoles and their status: `online` only while the agent's availability is `online` and a console of
theirs is open, `offline` a little after the last one closes (a reload does not flicker the status), each change
an `agent.status_changed` event (`people.set_console_connected`)."""

from __future__ import annotations

import asyncio

from parley.services import people
from parley.services.context import Services
from parley.storage.records import WorkspaceRecord


async def console_opened(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> None:
    if await svc.presence.connected(agent_id) == 1:
        await people.set_console_connected(svc, workspace, agent_id, connected=True)


async def console_closed(svc: Services, workspace: WorkspaceRecord, agent_id: str) -> None:
    if await svc.presence.disconnected(agent_id) > 0:
        return
    await asyncio.sleep(svc.settings.presence_grace_seconds)
    if await svc.presence.count(agent_id) == 0:
        await people.set_console_connected(svc, workspace, agent_id, connected=False)
