"""The signature scheme, checked by the README's own receiver against real deliveries."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from parley.webhooks import signing
from tests.conftest import Api
from tests.support.signatures import verify
from tests.support.waiting import polled
from tests.webhooks import readme_receiver
from tests.webhooks.conftest import deliveries

README = Path(__file__).parents[2] / "README.md"
SECRET = "whsec_test-secret-0123456789abcdef"


def test_the_receiver_in_the_tests_is_the_readmes() -> None:
    section = re.search(r"^## Webhooks\n(.*?)^## ", README.read_text(), re.S | re.M)
    assert section is not None, "README.md has no Webhooks section"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    copied = "".join(
        line for line in Path(readme_receiver.__file__).read_text().splitlines(True) if not line.startswith("# ")
    )
    assert blocks == [copied]


def test_the_header_is_t_and_v1_over_t_dot_body() -> None:
    body = b'{"event":"message.created"}'
    header = signing.sign("k" * 16, body, timestamp=1_700_000_000)
    expected = hmac.new(b"k" * 16, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify("k" * 16, header, body, now=1_700_000_100)
    assert not verify("k" * 16, header, body + b" ", now=1_700_000_100)
    assert not verify("x" * 16, header, body, now=1_700_000_100)
    assert not verify("k" * 16, header, body, now=1_700_000_000 + 301)  # too old: a replay
    assert not verify("k" * 16, "v1=" + expected, body)


@pytest.fixture
def readme_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The README's receiver, served for real, knowing SECRET."""
    monkeypatch.setattr(readme_receiver, "SECRET", SECRET.encode())
    monkeypatch.setattr(readme_receiver.Receiver, "log_message", lambda *args: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), readme_receiver.Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/parley"
    server.shutdown()
    server.server_close()


async def test_deliveries_verify_with_the_readme_receiver(api: Api, readme_server: str) -> None:
    await api.ok("PUT", "/webhook", json={"url": readme_server, "secret": SECRET})
    await api.conversation(name="Ann")
    [accepted] = await polled(lambda: deliveries(api), lambda found: bool(found) and found[0]["status"] == "delivered")
    assert (accepted["event"], accepted["lastStatusCode"], accepted["attempts"]) == ("conversation.created", 204, 1)

    # Another secret on Parley's side: the README's receiver refuses it (401), and Parley keeps retrying.
    await api.ok("PUT", "/webhook", json={"url": readme_server, "secret": "whsec_" + "z" * 20})
    await api.conversation(name="Bob")
    refused, _ = await polled(lambda: deliveries(api), lambda found: found[0]["lastStatusCode"] == 401)
    assert refused["status"] == "pending" and refused["nextAttemptAt"] is not None
