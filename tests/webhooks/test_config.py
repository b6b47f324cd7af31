"""GET/PUT /webhook: the secret shown once, the event filter validated, the URL held to the fetch checks."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from parley.config import Settings
from parley.storage.database import Transaction
from parley.storage.repositories import webhooks as repo
from parley.storage.repositories.webhooks import WebhookRecord
from tests.conftest import Api, running_parley
from tests.support.waiting import polled
from tests.webhooks.conftest import Receiver, deliveries


async def test_a_new_webhook_gets_a_secret_shown_once(api: Api, receiver: Receiver) -> None:
    assert (await api.call("GET", "/webhook")).status_code == 404

    created = await api.ok("PUT", "/webhook", json={"url": receiver.url})
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert (created["url"], created["events"]) == (receiver.url, None)

    shown = await api.ok("GET", "/webhook")
    assert shown == {**created, "secret": None}

    # Without `secret`, a later PUT keeps the current one (and does not show it).
    changed = await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": ["message.created"]})
    assert (changed["id"], changed["secret"], changed["events"]) == (created["id"], None, ["message.created"])
    given = await api.ok("PUT", "/webhook", json={"url": receiver.url, "secret": "s" * 16, "events": None})
    assert (given["secret"], given["events"]) == (None, None)


async def test_another_workspace_has_its_own_webhook(api: Api, other_api: Api, receiver: Receiver) -> None:
    await api.ok("PUT", "/webhook", json={"url": receiver.url})
    assert (await other_api.call("GET", "/webhook")).status_code == 404
    assert await deliveries(other_api) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": ""},
        {"url": "http://127.0.0.1/x", "events": ["message.deleted"]},
        {"url": "http://127.0.0.1/x", "events": "message.created"},
        {"url": "http://127.0.0.1/x", "secret": "too-short"},
        {"url": "http://127.0.0.1/x", "secret": "has spaces in the secret"},
    ],
)
async def test_malformed_bodies_are_refused(api: Api, body: dict[str, object]) -> None:
    response = await api.call("PUT", "/webhook", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_event_names_repeat_once(api: Api, receiver: Receiver) -> None:
    events = ["message.created", "conversation.created", "message.created"]
    saved = await api.ok("PUT", "/webhook", json={"url": receiver.url, "events": events})
    assert saved["events"] == ["message.created", "conversation.created"]


@pytest.fixture
def unlisted(settings: Settings, tmp_path: Path) -> Settings:
    """The same database with an empty fetch allow-list, as in production."""
    return Settings(
        database_url=settings.database_url,
        data_dir=tmp_path / "unlisted",
        secret_key="another-test-secret-key-of-sufficient-length",
        webhook_retry_base_seconds=0.1,
        webhook_poll_seconds=0.2,
    )


PRIVATE = [
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
]


async def test_a_private_url_is_refused_unless_allow_listed(unlisted: Settings, api: Api, receiver: Receiver) -> None:
    assert (await api.ok("PUT", "/webhook", json={"url": receiver.url}))["url"] == receiver.url  # 127.0.0.1 listed
    async with running_parley(unlisted) as parley:
        fresh = await parley.new_workspace()
        for url in PRIVATE:
            response = await fresh.call("PUT", "/webhook", json={"url": url})
            assert response.status_code == 422, (url, response.text)
            assert response.json()["error"]["code"] == "fetch_forbidden", url
        for url in ("ftp://example.com/hook", "file:///etc/passwd", "http:///nohost"):
            response = await fresh.call("PUT", "/webhook", json={"url": url})
            assert response.json()["error"]["code"] == "unsupported_url", url
        assert (await fresh.call("GET", "/webhook")).status_code == 404


async def test_the_url_is_checked_again_at_delivery(unlisted: Settings, receiver: Receiver) -> None:
    """A webhook stored while its address was allowed (here: written directly) is not posted once it is not."""
    async with running_parley(unlisted) as parley:
        api = await parley.new_workspace()

        def store_directly(tx: Transaction) -> None:
            webhook = WebhookRecord(str(uuid.uuid4()), api.workspace_id, receiver.url, "s" * 16, None, 0, 0)
            repo.put_webhook(tx.conn, webhook)

        await parley.services.db.write(store_directly)
        await api.conversation(name="Ann")
        [refused] = await polled(lambda: deliveries(api), lambda found: bool(found) and found[0]["attempts"] >= 2)
    assert refused["status"] == "pending"
    assert refused["lastStatusCode"] is None
    assert refused["lastError"].startswith("fetch_forbidden:")
    assert receiver.received == []
