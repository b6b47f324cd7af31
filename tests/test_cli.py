"""The `parley` command as operators and scripts use it: real processes, a real SQLite file, a real server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import free_port
from tests.support.processes import parley_env, run_parley, serving
from tests.support.waiting import wait_until


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return parley_env(PARLEY_DATA_DIR=str(tmp_path / "data"))


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """`parley serve` on a free port, with a bootstrap token; yields its base URL and its environment."""
    # A short token cache: a token revoked by another process (this CLI) is refused within half a second.
    env = {**env, "PARLEY_BOOTSTRAP_TOKEN": "plt_bootstrap-token-for-tests", "PARLEY_TOKEN_CACHE_SECONDS": "0.5"}
    run_parley(env, "migrate")
    with serving(env, free_port()) as base:
        yield base, env


def test_migrate_creates_the_database_in_the_data_dir(env: dict[str, str], tmp_path: Path) -> None:
    result = run_parley(env, "migrate")
    assert (tmp_path / "data" / "parley.db").is_file()
    assert "migrated" in result.stdout
    run_parley(env, "migrate")  # applying again is harmless


def test_every_command_has_help(env: dict[str, str]) -> None:
    for command in (
        [],
        ["serve"],
        ["migrate"],
        ["demo"],
        ["workspaces", "create"],
        ["tokens", "create"],
        ["tokens", "list"],
        ["tokens", "revoke"],
        ["agents", "create"],
    ):
        result = run_parley(env, *command, "--help")
        assert "Usage" in result.stdout
        assert len(result.stdout.strip().splitlines()) > 3


def test_workspace_tokens_can_be_created_listed_and_revoked(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    created = json.loads(run_parley(env, "workspaces", "create", "Acme", "--json").stdout)
    assert set(created) == {"id", "name", "token"} and created["name"] == "Acme"

    def status_with(token: str) -> int:
        return httpx.get(f"{base}/api/external/v1/agents", headers={"Authorization": token}).status_code

    assert status_with(created["token"]) == 200
    extra = json.loads(run_parley(env, "tokens", "create", "--workspace", created["id"], "--json").stdout)
    assert status_with(extra["token"]) == 200

    listed = json.loads(run_parley(env, "tokens", "list", "--workspace", created["id"], "--json").stdout)
    assert {t["id"] for t in listed} >= {extra["id"]}
    assert all(extra["token"] not in json.dumps(t) for t in listed), "tokens are never shown again"

    run_parley(env, "tokens", "revoke", extra["id"])
    wait_until(lambda: status_with(extra["token"]) == 401, what="the revoked token to be refused")
    assert status_with(created["token"]) == 200
    assert run_parley(env, "tokens", "revoke", extra["id"], check=False).returncode == 1


def test_bootstrap_token_and_cli_agents_work_against_the_server(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    headers = {"Authorization": "Bearer plt_bootstrap-token-for-tests"}
    workspaces = json.loads(run_parley(env, "workspaces", "list", "--json").stdout)
    default = next(w for w in workspaces if w["name"] == "Default")
    agent = json.loads(
        run_parley(
            env, "agents", "create", "-w", default["id"], "--service-user-id", "42", "--name", "Ann", "--json"
        ).stdout
    )
    listed = httpx.get(f"{base}/api/external/v1/agents", headers=headers).json()
    assert [a["id"] for a in listed["data"]] == [agent["id"]]

    # The first owner is made from the CLI (the agent API's admin pages need one).
    owner_args = ["--service-user-id", "1", "--name", "Olga", "--email", "Olga@Example.com", "--role", "owner"]
    owner = json.loads(run_parley(env, "agents", "create", "-w", default["id"], *owner_args, "--json").stdout)
    assert (owner["email"], owner["role"]) == ("olga@example.com", "owner")
    refused = run_parley(
        env,
        "agents",
        "create",
        "-w",
        default["id"],
        "--service-user-id",
        "2",
        "--name",
        "X",
        "--role",
        "root",
        check=False,
    )
    assert refused.returncode != 0


def _demo_sign_in(base: str, output: str) -> httpx.Response:
    """Sign in as `parley demo` says to: the workspace from its console URL, the email and the password."""
    workspace_id = output.split("/console/?workspace=", 1)[1].split()[0]
    email, password = re.search(r"sign in as (\S+) with the password (\S+)", output).groups()  # type: ignore[union-attr]
    body = {"workspaceId": workspace_id, "email": email, "password": password}
    return httpx.post(f"{base}/api/agent/v1/sessions", json=body)


def test_demo_prints_a_working_token_and_sign_in_and_says_it_serves_nothing_itself(
    server: tuple[str, dict[str, str]],
) -> None:
    base, env = server
    output = run_parley(env, "demo").stdout
    assert "starting" not in output, "the command starts nothing"
    assert "`parley serve`" in output and "#token=" not in output, output
    token = next(line.split(":", 1)[1].strip() for line in output.splitlines() if "Demo API token" in line)
    assert httpx.get(f"{base}/api/external/v1/agents", headers={"Authorization": token}).status_code == 200
    signed_in = _demo_sign_in(base, output)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["data"]["agent"]["role"] == "owner"
    session = {"Authorization": f"Bearer {signed_in.json()['data']['token']}"}
    assert httpx.get(f"{base}/api/agent/v1/widget-settings", headers=session).status_code == 200  # an owner's page

    again = run_parley(env, "demo").stdout
    assert token not in again
    assert _demo_sign_in(base, output).status_code == 401, "the previous password is replaced"
    assert httpx.get(f"{base}/api/agent/v1/me", headers=session).status_code == 401, "and its sessions ended"
    assert _demo_sign_in(base, again).status_code == 200


def test_an_invitation_link_from_the_cli_lets_the_first_owner_choose_a_password(
    server: tuple[str, dict[str, str]],
) -> None:
    base, env = server
    workspace = json.loads(run_parley(env, "workspaces", "create", "Initech", "--json").stdout)
    created = run_parley(
        env,
        "agents",
        "create",
        "-w",
        workspace["id"],
        "--service-user-id",
        "o",
        "--name",
        "Olive",
        "--email",
        "Olive@Initech.example",
        "--role",
        "owner",
        "--json",
    )
    owner = json.loads(created.stdout)
    link = run_parley(env, "agents", "invite", "-w", workspace["id"], owner["id"]).stdout.strip()
    assert "/console/invite#token=" in link  # under PARLEY_PUBLIC_URL
    token = link.split("#token=", 1)[1]
    accepted = httpx.post(
        f"{base}/api/agent/v1/invitations/accept", json={"token": token, "password": "correct horse battery"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["data"]["agent"]["email"] == "olive@initech.example"
    again = httpx.post(f"{base}/api/agent/v1/invitations/accept", json={"token": token, "password": "another one!"})
    assert again.status_code == 404, "single use"


def test_several_workers_on_sqlite_are_refused(env: dict[str, str]) -> None:
    result = run_parley(env, "serve", "--workers", "2", check=False)
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr


def test_several_workers_without_redis_are_refused(env: dict[str, str]) -> None:
    """Without Redis each worker would keep its own events, revocations and caches: refused rather than half-working."""
    postgres = env | {"PARLEY_DATABASE_URL": "postgresql+asyncpg://parley@127.0.0.1:5432/unused"}
    result = run_parley(postgres, "serve", "--workers", "2", check=False)
    assert result.returncode == 2
    assert "PARLEY_REDIS_URL" in result.stderr


def test_an_agent_token_from_the_cli_signs_in_to_the_console(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    default = next(
        w for w in json.loads(run_parley(env, "workspaces", "list", "--json").stdout) if w["name"] == "Default"
    )
    agent = json.loads(
        run_parley(
            env, "agents", "create", "-w", default["id"], "--service-user-id", "7", "--name", "Bo", "--json"
        ).stdout
    )
    token = run_parley(env, "agents", "token", "-w", default["id"], agent["id"]).stdout.strip()
    me = httpx.get(f"{base}/api/agent/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["data"]["id"] == agent["id"]
