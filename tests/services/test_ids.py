"""Ids: what a new one looks like, and which strings can name an object at all."""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.errors import ParleyError
from parley.services.ids import check_id, new_id


def test_a_new_id_is_a_canonical_version_7_uuid_stamped_with_now() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    parsed = uuid.UUID(value)
    assert str(parsed) == value
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert before <= parsed.int >> 80 <= after


def test_new_ids_are_distinct_and_ordered_by_their_millisecond() -> None:
    values = [new_id() for _ in range(5000)]
    assert len(set(values)) == len(values)
    stamps = [uuid.UUID(v).int >> 80 for v in values]
    assert stamps == sorted(stamps)


def _names_something(value: str) -> bool:
    """The reference: a string the uuid module parses and prints back unchanged, but for case."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _variants(u: uuid.UUID) -> list[str]:
    text = str(u)
    return [text, text.upper(), text.replace("-", ""), "{" + text + "}", "urn:uuid:" + text, text + "\n", " " + text]


@given(st.uuids())
def test_only_the_canonical_form_of_a_uuid_names_an_object(u: uuid.UUID) -> None:
    for value in _variants(u):
        if _names_something(value):
            assert check_id(value, "Message") == str(u)
        else:
            with pytest.raises(ParleyError) as refused:
                check_id(value, "Message")
            assert (refused.value.status, refused.value.code) == (404, "not_found")


@given(st.text(max_size=48) | st.from_regex(r"[0-9a-fA-F-]{36}", fullmatch=True))
def test_any_other_string_is_an_unknown_id_never_an_error(value: str) -> None:
    if _names_something(value):
        assert check_id(value, "Conversation") == value.lower()
    else:
        with pytest.raises(ParleyError) as refused:
            check_id(value, "Conversation")
        assert refused.value.status == 404
        assert refused.value.message == "Conversation not found."
