"""The workspace's settings and people, served twice: on the External API (its token acts with full rights) and on
the console's API for owners and admins (OpenAPI tag `admin`; an agent gets 403). Each module builds its router for
a given caller dependency, so both surfaces run the same routes and the same rules.

These modules do not use `from __future__ import annotations`: FastAPI reads a route's annotations when the route
is declared, and the caller's annotation here is a local of `build`, which only a real annotation can name.
"""

from enum import Enum
from typing import Any, Protocol

from fastapi import APIRouter

from parley.api.deps import error_responses
from parley.services.audit import Actor
from parley.services.context import Services
from parley.storage.records import WorkspaceRecord


class SettingsCaller(Protocol):
    """What a settings route needs of its caller: the services, the workspace, and who the audit log names."""

    @property
    def services(self) -> Services: ...

    @property
    def workspace(self) -> WorkspaceRecord: ...

    @property
    def actor(self) -> Actor: ...


Tags = list[str | Enum]
# An `Annotated[<caller>, Security(<scheme>)]` alias from parley.api.deps: ExternalAuth, or AdminAuth and AgentAuth.
CallerDependency = Any


def settings_router(prefix: str, tags: Tags, admin: bool) -> APIRouter:
    """A settings router: on the console's API (`admin`), also tagged `admin` and documented with its 403."""
    if admin:
        return APIRouter(prefix=prefix, tags=[*tags, "admin"], responses=error_responses(403))
    return APIRouter(prefix=prefix, tags=tags, responses=error_responses())
