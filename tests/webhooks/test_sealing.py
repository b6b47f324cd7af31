"""Webhook secrets are stored sealed: a copy of the database does not hold them, yet deliveries stay signed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, select, update

from parley.config import Settings
from parley.services.context import Services
from parley.storage.database import Transaction
from parley.storage.models import Webhook
from parley.webhooks import signing
from parley.webhooks.sealing import SecretSeal, SecretUnreadable
from tests.conftest import Api, running_parley
from tests.support.signatures import verify
from tests.support.waiting import eventually, polled
from tests.webhooks.conftest import Receiver, deliveries

GIVEN_SECRET = "whsec_chosen-by-the-integrator-0123456789"
OTHER_KEY = "another-secret-key-of-sufficient-length-9876543210"


async def stored_secret(services: Services, workspace_id: str) -> str:

    def load(conn: Connection) -> str:
        secret: str = conn.execute(select(Webhook.secret).where(Webhook.workspace_id == workspace_id)).scalar_one()
        return secret

    return await services.db.read(load)


async def send_one(api: Api, text: str) -> None:
    conversation = await api.conversation()
    await api.ok("POST", f"/conversation/{conversation['id']}/send-text-message", json={"uuid": text, "text": text})


async def delivered(receiver: Receiver) -> None:
    """Both events of `send_one` (the conversation, its message) have arrived."""
    await eventually(lambda: len(receiver.received) >= 2, what="the deliveries")


async def webhook_set_earlier(settings: Settings, receiver: Receiver, left_plain: bool = False) -> tuple[str, str]:
    """A workspace whose webhook a Parley that has since stopped set to GIVEN_SECRET; (token, workspace id)."""
    async with running_parley(settings) as parley:
        api = await parley.new_workspace()
        await api.ok("PUT", "/webhook", json={"url": receiver.url, "secret": GIVEN_SECRET})
        if left_plain:  # as an install from before sealing left it

            def unseal(tx: Transaction) -> None:
                tx.conn.execute(update(Webhook).values(secret=GIVEN_SECRET))

            await parley.services.db.write(unseal)
    return api.token, api.workspace_id


def all_verify(receiver: Receiver, secret: str) -> bool:
    return all(verify(secret, r.headers[signing.HEADER], r.body) for r in receiver.received)


@pytest.mark.parametrize("given", [GIVEN_SECRET, None], ids=["given", "generated"])
async def test_the_stored_secret_is_sealed_and_deliveries_are_signed_with_the_secret_itself(
    api: Api, services: Services, receiver: Receiver, given: str | None
) -> None:
    body = {"url": receiver.url} if given is None else {"url": receiver.url, "secret": given}
    config = await api.ok("PUT", "/webhook", json=body)
    secret = given or config["secret"]
    assert secret.startswith("whsec_")

    stored = await stored_secret(services, api.workspace_id)
    assert stored.startswith("sealed:v1:")
    assert secret not in stored
    await api.ok("PUT", "/webhook", json={"url": receiver.url})  # the secret is kept, still sealed
    assert (await stored_secret(services, api.workspace_id)).startswith("sealed:v1:")

    await send_one(api, "hello")
    await delivered(receiver)
    assert all_verify(receiver, secret)


async def test_a_secret_stored_plain_before_sealing_is_sealed_when_parley_starts(
    settings: Settings, receiver: Receiver
) -> None:
    token, workspace_id = await webhook_set_earlier(settings, receiver, left_plain=True)
    async with running_parley(settings) as parley:
        stored = await stored_secret(parley.services, workspace_id)
        assert stored.startswith("sealed:v1:") and GIVEN_SECRET not in stored
        await send_one(parley.api(token, workspace_id), "after the upgrade")
        await delivered(receiver)
    assert all_verify(receiver, GIVEN_SECRET)


async def test_under_another_secret_key_deliveries_fail_with_the_reason_until_the_secret_is_set_again(
    settings: Settings, receiver: Receiver
) -> None:
    token, workspace_id = await webhook_set_earlier(settings, receiver)
    moved = Settings.model_validate({**settings.model_dump(), "secret_key": OTHER_KEY})  # no copied cached key
    async with running_parley(moved) as parley:
        api = parley.api(token, workspace_id)
        await send_one(api, "unsigned")
        found = await polled(lambda: deliveries(api), lambda found: any(d["lastError"] for d in found))
        assert all("another PARLEY_SECRET_KEY" in d["lastError"] for d in found if d["lastError"])
        assert receiver.received == []

        await api.ok("PUT", "/webhook", json={"url": receiver.url, "secret": GIVEN_SECRET + "-renewed"})
        await delivered(receiver)
    assert all_verify(receiver, GIVEN_SECRET + "-renewed")


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=16, max_size=200))
def test_any_accepted_secret_seals_within_the_column_and_opens_only_under_its_key(secret: str) -> None:
    seal = SecretSeal("test-secret-key-of-sufficient-length-0123456789")
    sealed = seal.seal(secret)
    assert len(sealed) <= Webhook.__table__.c.secret.type.length
    assert seal.open(sealed) == secret
    with pytest.raises(SecretUnreadable):
        SecretSeal(OTHER_KEY).open(sealed)
