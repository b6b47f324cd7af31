"""Download names: whatever a server or URL says, the stored name is one safe, bounded, non-empty segment."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.files.fetch import MAX_NAME_LENGTH, split_name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("phpanbHIN", "phpanbHIN"),
        ("5d1db8373db3a.jpg", "5d1db8373db3a"),
        ("../../etc/passwd.png", "passwd"),
        ("C:\\Users\\me\\cat.gif", "cat"),
        ("report\x00\x1b[31m.final.pdf", "report[31m.final"),
        ("evil\u202egnp.exe", "evilgnp"),
        (".hidden", "hidden"),
        ("", "file"),
        ("..", "file"),
        ("dir/", "file"),
    ],
)
def test_names_are_reduced_to_one_safe_segment_without_extension(raw: str, name: str) -> None:
    assert split_name(raw)[0] == name


@given(st.text() | st.text(alphabet=st.sampled_from("/\\.\x00\n\r\t\u202e a")))
def test_any_string_becomes_a_safe_non_empty_name(raw: str) -> None:
    name = split_name(raw)[0]

    assert 0 < len(name) <= MAX_NAME_LENGTH
    assert "/" not in name
    assert "\\" not in name
    assert not any(unicodedata.category(ch) == "Cc" for ch in name)
