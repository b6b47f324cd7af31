"""Passwords are argon2id with the parameters `parley.services.passwords` states; a hash made with others still
verifies, and is replaced by one with these at the next successful sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from parley.clock import now_seconds
from parley.services import passwords
from parley.services.context import Services
from parley.storage.models import AgentPassword
from parley.storage.repositories import credentials
from tests.conftest import Api

PASSWORD = "correct horse battery"


async def stored_hash(services: Services, agent_id: str) -> str:
    query = select(AgentPassword.password_hash).where(AgentPassword.agent_id == agent_id)
    found = await services.db.read(lambda conn: conn.execute(query).scalar_one())
    return str(found)


async def test_a_hash_is_argon2id_with_the_stated_parameters_and_never_the_password() -> None:
    made = await passwords.hash_password(PASSWORD)
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and PASSWORD not in made
    assert (await passwords.verify_password(made, PASSWORD)).matches
    assert not (await passwords.verify_password(made, PASSWORD + "!")).matches
    assert not (await passwords.verify_password(None, PASSWORD)).matches


async def test_an_older_parameters_hash_is_replaced_at_the_next_sign_in(api: Api, services: Services) -> None:
    agent = await api.ok("POST", "/agents", json={"serviceUserId": "a", "name": "Ann", "email": "ann@example.com"})
    older = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2).hash(PASSWORD)
    await services.db.write(lambda tx: credentials.set_password(tx.conn, agent["id"], older, now_seconds()))

    body = {"workspaceId": api.workspace_id, "email": "ann@example.com", "password": PASSWORD}
    signed_in = await api.client.post("/api/agent/v1/sessions", json=body)
    assert signed_in.status_code == 200, signed_in.text
    renewed = await stored_hash(services, agent["id"])
    assert renewed != older and renewed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await api.client.post("/api/agent/v1/sessions", json=body)).status_code == 200
    assert await stored_hash(services, agent["id"]) == renewed, "rehashed once, not at every sign-in"
