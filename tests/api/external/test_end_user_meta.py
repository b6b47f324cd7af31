"""An end user's `meta`: JSON that cannot be stored and read back as sent is refused whole, before anything is
stored, the same way on SQLite and PostgreSQL; what is accepted comes back exactly as it was sent."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from parley.app import create_app
from parley.config import Settings
from parley.schemas import META_MAX_BYTES, META_MAX_DEPTH
from tests.conftest import Api
from tests.support.live import live_server_in_thread

BOOTSTRAP_TOKEN = "meta-test-token-0123456789abcdef"

# Bodies as an attacker writes them: Python's JSON parser takes the literals NaN and Infinity, turns 1e400 into
# infinity, and decodes a lone surrogate escape into a string no encoder can write back.
UNSTORABLE_META = {
    "a lone surrogate": '{"note": "\\ud83d"}',
    "a lone surrogate in a key": '{"\\udc00": 1}',
    "a lone surrogate deep down": '{"a": [{"b": ["ok", "\\ud83d"]}]}',
    "a NUL character": '{"note": "a\\u0000b"}',
    "NaN": '{"score": NaN}',
    "Infinity": '{"score": Infinity}',
    "-Infinity": '{"score": [-Infinity]}',
    "1e400": '{"score": 1e400}',
    "-1e400 deep down": '{"a": {"b": {"c": -1e400}}}',
    "600 levels of objects": '{"a": ' * 600 + "1" + "}" * 600,
    "600 levels of lists": "{" + '"a": ' + "[" * 600 + "]" * 600 + "}",
    "100,000 levels of lists": '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "too many bytes": json.dumps({"blob": "x" * META_MAX_BYTES}),
}


def _assert_validation_error(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422 and body["error"]["code"] == "validation_error" and body["error"]["message"]


def _nested(depth: int) -> dict[str, Any]:
    """An object `depth` levels deep (the outermost is level 1)."""
    value: dict[str, Any] = {"leaf": True}
    for _ in range(depth - 1):
        value = {"next": value}
    return value


@pytest.mark.parametrize("raw_meta", UNSTORABLE_META.values(), ids=UNSTORABLE_META.keys())
async def test_meta_that_cannot_be_stored_is_refused_and_nothing_is_stored(api: Api, raw_meta: str) -> None:
    body = '{"serviceUserId": "crm-1", "meta": ' + raw_meta + "}"

    refused = await api.client.post(
        "/api/external/v1/end-users", content=body, headers={**api.headers, "Content-Type": "application/json"}
    )

    _assert_validation_error(refused)
    # Nothing was stored: the same serviceUserId is still free, and the end user it makes reads back.
    person = await api.ok("POST", "/end-users", json={"serviceUserId": "crm-1", "meta": {"plan": "pro"}})
    assert (await api.ok("GET", f"/end-users/{person['id']}"))["meta"] == {"plan": "pro"}


async def test_meta_at_the_limits_is_kept_and_one_past_them_is_refused(api: Api) -> None:
    deepest = _nested(META_MAX_DEPTH)
    overhead = len(json.dumps({"blob": ""}, separators=(",", ":")))
    largest = {"blob": "é" * ((META_MAX_BYTES - overhead) // 2)}  # two bytes each in UTF-8

    for meta in (deepest, largest):
        person = await api.ok("POST", "/end-users", json={"meta": meta})
        assert (await api.ok("GET", f"/end-users/{person['id']}"))["meta"] == meta
    for meta in (_nested(META_MAX_DEPTH + 1), {"blob": largest["blob"] + "xx"}):
        _assert_validation_error(await api.call("POST", "/end-users", json={"meta": meta}))


# Property: arbitrary JSON-ish values, the unstorable ones (surrogates, NUL, NaN, infinities, depth) included.
_text = st.text(st.characters(exclude_categories=()), max_size=8)
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | _text
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3), max_leaves=12
)


@st.composite
def _metas(draw: st.DrawFn) -> dict[str, Any]:
    meta = draw(st.dictionaries(_text, _values, max_size=4))
    for _ in range(draw(st.sampled_from([0, 0, 0, META_MAX_DEPTH - 2, META_MAX_DEPTH + 1]))):
        meta = {"n": meta}
    return meta


def _plainly_unstorable(value: Any) -> bool:
    """What must be refused whatever the limits: surrogates, NUL, numbers that are not finite."""
    if isinstance(value, dict):
        return any(_plainly_unstorable(k) or _plainly_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_plainly_unstorable(v) for v in value)
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    return isinstance(value, float) and not math.isfinite(value)


@pytest.fixture
def meta_server(settings: Settings) -> Iterator[httpx.Client]:
    """A real server of its own thread (Hypothesis' examples are synchronous), with a workspace to call as."""
    app = create_app(settings.model_copy(update={"bootstrap_token": BOOTSTRAP_TOKEN}))
    with (
        live_server_in_thread(app) as base,
        httpx.Client(base_url=f"{base}/api/external/v1", headers={"Authorization": BOOTSTRAP_TOKEN}) as http,
    ):
        yield http


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=_metas())
def test_accepted_meta_round_trips_exactly_and_refused_meta_stores_nothing(
    meta_server: httpx.Client, meta: dict[str, Any]
) -> None:
    service_user_id = f"crm-{uuid.uuid4()}"
    body = json.dumps({"serviceUserId": service_user_id, "meta": meta})  # NaN, Infinity, \ud83d as sent by a client

    response = meta_server.post("/end-users", content=body, headers={"Content-Type": "application/json"})

    if response.status_code == 200:
        assert not _plainly_unstorable(meta)
        person = response.json()["data"]
        stored = meta_server.get(f"/end-users/{person['id']}").json()["data"]["meta"]
        assert json.dumps(stored) == json.dumps(person["meta"]) == json.dumps(meta)
    else:
        _assert_validation_error(response)
        again = meta_server.post("/end-users", json={"serviceUserId": service_user_id})
        assert again.status_code == 200, again.text
