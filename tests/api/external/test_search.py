"""`GET /search`: conversations by the words of their messages or of their end user's name or email."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Api


async def _say(api: Api, conversation: dict[str, Any], uuid: str, text: str) -> dict[str, Any]:
    path = f"/conversation/{conversation['id']}/send-text-message"
    return dict(await api.ok("POST", path, json={"uuid": uuid, "text": text}))


async def _search(api: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    return list(await api.ok("GET", "/search", params={"q": q, **params}))


def _found(entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["conversation"]["id"], e["message"]["id"] if e["message"] else None) for e in entries]


async def test_every_word_whole_and_case_insensitive_the_last_also_as_a_prefix(api: Api) -> None:
    conversation = await api.conversation(name="Ann")
    refund = await _say(api, conversation, "m1", "Where is my REFUND for order 1234?")
    await _say(api, conversation, "m2", "The refundable deposit")

    assert _found(await _search(api, "refund order")) == [(conversation["id"], refund["id"])]
    assert _found(await _search(api, "ORDER refu")) == [(conversation["id"], refund["id"])]
    assert await _search(api, "fund order") == []  # whole words: "fund" is not "refund"
    assert await _search(api, "refu order") == []  # only the last word is a prefix
    assert await _search(api, "refund parcel") == []  # every word


async def test_one_entry_per_conversation_with_its_newest_match_newest_first(api: Api) -> None:
    older = await api.conversation(name="Ann")
    newer = await api.conversation(name="Bob")
    await _say(api, older, "a1", "invoice missing")
    await _say(api, newer, "b1", "invoice attached")
    newest_of_older = await _say(api, older, "a2", "second invoice please")
    await _say(api, older, "a3", "thanks")

    found = await _search(api, "invoice")
    assert _found(found) == [(older["id"], newest_of_older["id"]), (newer["id"], found[1]["message"]["id"])]
    assert found[1]["message"]["body"] == "invoice attached"
    assert found[0]["conversation"]["endUser"]["name"] == "Ann"
    assert _found(await _search(api, "invoice", limit=1)) == [(older["id"], newest_of_older["id"])]


async def test_an_end_users_name_or_email_finds_their_conversations_without_a_message(api: Api) -> None:
    first = await api.conversation(name="Zelda Quist", email="zq@mail.example")
    await _say(api, first, "m1", "hello")

    assert _found(await _search(api, "zelda")) == [(first["id"], None)]
    assert _found(await _search(api, "zq mail")) == [(first["id"], None)]
    said = await _say(api, first, "m2", "Zelda here")
    assert _found(await _search(api, "zelda")) == [(first["id"], said["id"])]  # the message wins


async def test_only_the_callers_workspace_is_searched(api: Api, other_api: Api) -> None:
    mine = await api.conversation(name="Ann")
    theirs = await other_api.conversation(name="Ann")
    await _say(api, mine, "m1", "secret plans")
    await _say(other_api, theirs, "m1", "secret plans")

    assert [e["conversation"]["id"] for e in await _search(api, "secret")] == [mine["id"]]
    assert [e["conversation"]["id"] for e in await _search(other_api, "ann")] == [theirs["id"]]


async def test_erasing_an_end_user_removes_their_words_name_and_email_at_once(api: Api) -> None:
    conversation = await api.conversation(name="Erin Vox", email="erin@vox.example")
    await _say(api, conversation, "m1", "my passport number is XK99")
    assert await _search(api, "passport XK99")
    assert await _search(api, "erin")

    await api.ok("DELETE", f"/end-users/{conversation['endUser']['id']}")

    for words in ("passport", "XK99", "erin", "vox"):
        assert await _search(api, words) == [], words


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "x" * 201}, {}, {"q": "a", "limit": 0}, {"q": "a", "limit": 101}, {"q": "a", "limit": "x"}],
)
async def test_bad_input_is_a_422_envelope(api: Api, params: dict[str, Any]) -> None:
    response = await api.call("GET", "/search", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["status"] == 422
    assert response.json()["error"]["code"]


async def test_a_query_of_200_characters_and_limit_100_are_accepted(api: Api) -> None:
    assert await _search(api, "y" * 200, limit=100) == []


_SYNTAX = "\"*^():-+~.,@!?'&|<>{}[]/\\%_"
_WORD = st.text(alphabet=st.sampled_from("abcxyzÄéß0719" + _SYNTAX), min_size=1, max_size=12).filter(
    lambda word: any(character.isalnum() for character in word)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(_WORD, min_size=1, max_size=4))
async def test_query_syntax_is_plain_text_and_a_message_of_exactly_those_words_is_found(
    api: Api, words: list[str]
) -> None:
    q = " ".join(words)
    conversation = await api.conversation(name="Fuzz")
    said = await _say(api, conversation, "m1", q)
    response = await api.call("GET", "/search", params={"q": q, "limit": 100})
    assert response.status_code == 200, response.text
    assert (conversation["id"], said["id"]) in _found(response.json()["data"])
