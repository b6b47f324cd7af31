"""The `parley` command: serve, migrate, and manage workspaces, tokens and agents."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, TypeVar

import typer

from parley import schemas
from parley.config import Settings
from parley.errors import ParleyError
from parley.observability.logging import log_config
from parley.observability.metrics import prepare_multiprocess_dir
from parley.ops import checks
from parley.ops import commands as ops_commands
from parley.services import audit, people, sessions, workspaces
from parley.services import demo as demo_service
from parley.services.context import Services
from parley.serving import uvicorn_options
from parley.storage.migrate import upgrade
from parley.storage.records import TokenRecord

T = TypeVar("T")

app = typer.Typer(
    help="Parley: self-hosted live chat, wire-compatible with the Blinger Widget API.", no_args_is_help=True
)
workspaces_app = typer.Typer(help="Create and list workspaces.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="Issue, list and revoke a workspace's API tokens (and list and revoke its agents' tokens).",
    no_args_is_help=True,
)
agents_app = typer.Typer(help="Manage agents.", no_args_is_help=True)
app.add_typer(workspaces_app, name="workspaces")
app.add_typer(tokens_app, name="tokens")
app.add_typer(agents_app, name="agents")

WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="The workspace's id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class Role(StrEnum):
    """An agent's role, as `--role` takes it."""

    owner = "owner"
    admin = "admin"
    agent = "agent"


def _with_services(action: Callable[[Services], Awaitable[T]]) -> T:
    async def run() -> T:
        services = Services.build(Settings())
        try:
            return await action(services)
        finally:
            await services.broker.close()  # what it told the servers (`Services.invalidate`) has been sent
            await services.db.dispose()

    try:
        return asyncio.run(run())
    except ParleyError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: PARLEY_HOST or 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: PARLEY_PORT or 8000].")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (PostgreSQL only).")] = 1,
) -> None:
    """Serve the HTTP API (run `parley migrate` first)."""
    import uvicorn

    if host is not None:
        os.environ["PARLEY_HOST"] = host
    if port is not None:
        os.environ["PARLEY_PORT"] = str(port)
    settings = Settings()
    if workers > 1 and settings.is_sqlite:
        typer.echo(
            "error: SQLite has a single writer; use PostgreSQL (PARLEY_DATABASE_URL) for several workers.", err=True
        )
        raise typer.Exit(2)
    if workers > 1 and not settings.redis_url:
        typer.echo(
            "error: several workers share events, revocations and caches' invalidations through Redis; "
            "set PARLEY_REDIS_URL.",
            err=True,
        )
        raise typer.Exit(2)
    if settings.env == "production" and (refusal := checks.production_refusal(settings)):
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(1)
    if (metrics_dir := prepare_multiprocess_dir(workers)) is not None:  # every worker's metrics add up
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
    uvicorn.run(
        "parley.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
        log_config=log_config(settings),
        access_log=False,  # Parley writes one structured line per request instead (parley.access)
        **uvicorn_options(settings),
    )


@app.command()
def check() -> None:
    """Print the production checks' verdicts (secret key, public URL, demo workspace, metrics token) without
    starting; exit 1 if any fails. `parley serve` refuses to start on the same failures when PARLEY_ENV=production."""
    raise typer.Exit(checks.report(Settings(), typer.echo))


@app.command()
def migrate() -> None:
    """Apply every migration to PARLEY_DATABASE_URL (and set up PARLEY_BOOTSTRAP_TOKEN's workspace)."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    if settings.bootstrap_token:
        token = settings.bootstrap_token
        _with_services(lambda s: workspaces.ensure_bootstrap_workspace(s, token))
    typer.echo(f"migrated {_redacted(settings.resolved_database_url)}")


@app.command()
def demo() -> None:
    """Make sure the demo workspace exists and print a fresh API token for it, with the URLs to open once Parley
    serves. It starts nothing itself: `make run` runs it just before `parley serve`."""
    settings = Settings()
    workspace, token = _with_services(workspaces.ensure_demo_workspace)
    password = secrets.token_urlsafe(12)
    agent, _console_token = _with_services(lambda s: demo_service.ensure_demo_agent(s, workspace, password))
    base = settings.resolved_public_url
    typer.echo(
        f"\n  The demo workspace is ready, with a fresh API token and owner's password (the previous ones are revoked)."
        f"\n  Demo workspace:  {workspace.id}\n"
        f"  Demo API token:  {token}\n\n"
        f"  Once Parley serves at {base} (`parley serve`; `make run` starts it next), open:\n"
        f"    API docs:             {base}/docs\n"
        f"    visitor (demo page):  {base}/demo\n"
        f"    agent (console):      {base}/console/?workspace={workspace.id}\n"
        f"      sign in as {agent.email} with the password {password}\n"
        f"  and chat with yourself in the two tabs. Or try the API:\n"
        f"    curl -s -X POST {base}/api/external/v1/end-users -H 'Authorization: {token}' "
        f"-H 'Content-Type: application/json' -d '{{}}'\n"
    )


@workspaces_app.command("create")
def workspaces_create(
    name: Annotated[str, typer.Argument(help="The workspace's name.")], as_json: JsonOption = False
) -> None:
    """Create a workspace and its first API token (shown once)."""
    workspace, token = _with_services(lambda s: workspaces.create_workspace(s, name))
    if as_json:
        typer.echo(json.dumps({"id": workspace.id, "name": workspace.name, "token": token}))
    else:
        typer.echo(f"workspace {workspace.id} ({workspace.name})\ntoken {token}")


@workspaces_app.command("list")
def workspaces_list(as_json: JsonOption = False) -> None:
    """List every workspace."""
    found = _with_services(workspaces.list_workspaces)
    rows = [{"id": w.id, "name": w.name, "siteKey": w.site_key, "demo": w.is_demo} for w in found]
    _print_rows(rows, as_json)


@tokens_app.command("create")
def tokens_create(
    workspace: WorkspaceOption,
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Issue a new API token (shown once; stored hashed)."""
    record, token = _with_services(lambda s: _issue(s, workspace, name))
    if as_json:
        typer.echo(json.dumps({"id": record.id, "name": record.name, "token": token}))
    else:
        typer.echo(f"token {token}\nid    {record.id}")


@tokens_app.command("list")
def tokens_list(workspace: WorkspaceOption, as_json: JsonOption = False) -> None:
    """List a workspace's tokens, its agents' console tokens too (their prefixes, never the tokens). `agent` is the
    agent a console token signs in, null for an API token."""
    found = _with_services(lambda s: workspaces.list_tokens(s, workspace))
    rows: list[dict[str, object]] = [
        {
            "id": t.id,
            "name": t.name,
            "agent": t.agent_id,
            "prefix": t.prefix,
            "createdAt": t.created_at,
            "lastUsedAt": t.last_used_at,
            "revoked": t.revoked_at is not None,
        }
        for t in found
    ]
    _print_rows(rows, as_json)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`).")]) -> None:
    """Revoke a token (an API token or an agent's): running servers refuse it from their next request and close its
    websockets, when they share PARLEY_REDIS_URL with this command; without Redis, within PARLEY_TOKEN_CACHE_SECONDS."""
    if not _with_services(lambda s: workspaces.revoke_token(s, token_id)):
        typer.echo("error: no live token with that id", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {token_id}")


@agents_app.command("create")
def agents_create(
    workspace: WorkspaceOption,
    service_user_id: Annotated[str, typer.Option("--service-user-id", help="The agent's id in your own system.")],
    name: Annotated[str, typer.Option(help="The name visitors see.")],
    email: Annotated[str | None, typer.Option(help="How they will sign in; unique in the workspace.")] = None,
    role: Annotated[Role, typer.Option(help="owner, admin or agent; the first owner is made here.")] = Role.agent,
    as_json: JsonOption = False,
) -> None:
    """Create an agent in a workspace."""
    request = schemas.CreateAgentRequest(service_user_id=service_user_id, name=name, email=email, role=role.value)

    async def create(services: Services) -> schemas.Agent:
        found = await workspaces.get_workspace(services, workspace)
        if found is None:
            raise ParleyError(404, "not_found", "Workspace not found.")
        return await people.create_agent(services, found, request, audit.CLI)

    agent = _with_services(create)
    typer.echo(agent.model_dump_json() if as_json else f"agent {agent.id} ({agent.name})")


@agents_app.command("token")
def agents_token(
    workspace: WorkspaceOption,
    agent_id: Annotated[str, typer.Argument(help="The agent's id.")],
) -> None:
    """Issue a console sign-in token for an agent (shown once; stored hashed)."""

    async def issue(services: Services) -> str:
        found = await workspaces.get_workspace(services, workspace)
        if found is None:
            raise ParleyError(404, "not_found", "Workspace not found.")
        return await workspaces.issue_agent_token(services, found, agent_id, audit.CLI)

    typer.echo(_with_services(issue))


@agents_app.command("invite")
def agents_invite(
    workspace: WorkspaceOption,
    agent_id: Annotated[str, typer.Argument(help="The agent's id.")],
    reset: Annotated[bool, typer.Option("--reset", help="A password reset link (1 hour) instead.")] = False,
) -> None:
    """Print a single-use link for the agent to choose a password (7 days; an earlier one stops working), as the
    console's invitation does: for the first owner, or a server without mail."""

    async def issue(services: Services) -> sessions.Link:
        found = await workspaces.get_workspace(services, workspace)
        if found is None:
            raise ParleyError(404, "not_found", "Workspace not found.")
        purpose = sessions.RESET if reset else sessions.INVITATION
        return await sessions.issue_link(services, found, agent_id, purpose, audit.CLI, by_mail=not reset)

    typer.echo(_with_services(issue).url)


async def _issue(services: Services, workspace_id: str, name: str) -> tuple[TokenRecord, str]:
    if await workspaces.get_workspace(services, workspace_id) is None:
        raise ParleyError(404, "not_found", "Workspace not found.")
    return await workspaces.issue_token(services, workspace_id, name, audit.CLI)


def _print_rows(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo("  ".join(f"{key}={value}" for key, value in row.items()))


def _redacted(url: str) -> str:
    """Never print a database password."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{location}"


for _name, _command in ops_commands.COMMANDS.items():  # backup, restore, port-db, purge (issue 9)
    app.command(_name)(_command)


if __name__ == "__main__":
    app()
