"""Reading email replies as common clients send them: the reply's own words, quotes and signatures cut, the
attachments, the recipients, and what makes a mail once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.mail.inbound import MalformedMail, html_to_text, parse_mail
from tests.mail.conftest import sample_mail

TO = "reply+abc@in.example.com"


# What each sample's reply says, once its quote and signature are cut.
SAMPLE_TEXTS = {
    "gmail": 'Thanks Anna, the parcel number is 1Z999 \u2014 it still says "in transit".\n\nVera',
    "outlook": "Café order #12 \u2013 I was charged twice.",
    "apple_mail": "Here is a photo of the damaged box.",
    "html_only": "Yes, please refund it.",  # "Kind regards, Vera" is taken for a signature
    "latin1_signature": "Grüße, die Lieferung ist angekommen.",
    "no_message_id": "A reply without a Message-ID.",
}


@pytest.mark.parametrize(("sample", "text"), SAMPLE_TEXTS.items())
def test_the_reply_is_its_own_words(sample: str, text: str) -> None:
    mail = parse_mail(sample_mail(sample, TO), envelope_recipients=["Reply+ABC@In.Example.com"])
    assert mail.text == text
    assert mail.recipients[0] == TO  # the envelope's first, lower-cased


def test_attachments_are_kept_with_their_names() -> None:
    mail = parse_mail(sample_mail("apple_mail", TO))
    assert [(a.filename, a.data[:8]) for a in mail.attachments] == [("box.png", b"\x89PNG\r\n\x1a\n")]
    assert TO in mail.recipients


def test_a_mail_is_known_by_its_message_id_or_else_by_its_body() -> None:
    assert parse_mail(sample_mail("gmail", TO, message_id="x1")).key == "<CAF=gmail-x1@mail.gmail.com>"
    relayed = b"Received: from relay.example (relay) by mx; Fri, 4 Dec 2026\n" + sample_mail("no_message_id", TO)
    first, again = parse_mail(sample_mail("no_message_id", TO)), parse_mail(relayed)
    assert first.key.startswith("body:") and first.key == again.key  # headers added on the way change nothing


@pytest.mark.parametrize("sample", ["out_of_office", "delivery_report"])
def test_an_automatic_reply_is_told_apart_and_read_no_further(sample: str) -> None:
    mail = parse_mail(sample_mail(sample, TO))
    assert mail.automatic and mail.text == "" and mail.attachments == []
    assert TO in mail.recipients  # still addressed: a stray one is refused as any mail is


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: auto-generated", True),
        ("Auto-Submitted: Auto-Replied; owner-email=vera@example.net", True),
        ("Auto-Submitted: no", False),  # RFC 3834: a person sent it
        ("Auto-Submitted: No ; comment", False),
        ("X-Autoreply: yes", True),
        ("X-Autorespond: Vacation", True),
        ("Precedence: auto_reply", True),
        ("Precedence: Bulk", True),
        ("Precedence: junk", True),
        ("Precedence: list", True),
        ("Precedence: first-class", False),
        ("X-Auto-Response-Suppress: All", False),  # asks others not to answer; a person wrote this mail
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=b", True),
    ],
)
def test_what_marks_an_automatic_reply(header: str, automatic: bool) -> None:
    raw = f"To: {TO}\nMessage-ID: <auto@d>\n{header}\n\n--b\nContent-Type: text/plain\n\nI am away.\n--b--\n"
    mail = parse_mail(raw.encode())
    assert mail.automatic is automatic
    assert automatic or mail.text  # a person's mail is read as before


@pytest.mark.parametrize(
    "raw",
    [b"", b"just some bytes without headers", b"Subject: nothing else\n\n", b"To: a@b.c\nSubject: x\n\n   \n"],
)
def test_what_is_not_a_mail_with_words_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedMail):
        parse_mail(raw)


def test_an_unknown_charset_is_read_with_replacements() -> None:
    raw = b"To: x@y.z\nMessage-ID: <c@d>\nContent-Type: text/plain; charset=x-no-such-charset\n\nHello \xff there\n"
    assert parse_mail(raw).text == "Hello \ufffd there"


def test_nul_and_lone_surrogates_never_reach_storage() -> None:
    raw = b"To: x@y.z\nMessage-ID: <n@d>\nContent-Type: text/plain; charset=utf-8\n\nA\x00B\n"
    assert parse_mail(raw).text == "AB"


def test_html_blocks_become_lines_and_quotes_go() -> None:
    page = "<div>One<br>Two</div><div class='gmail_quote'>quoted<br><b>more</b></div><p>Three &amp; four</p>"
    assert html_to_text(page) == "One\nTwo\n\nThree & four"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_are_refused_as_malformed(raw: bytes) -> None:
    """Whatever arrives, reading it never fails otherwise (no 500, no lost listener)."""
    try:
        mail = parse_mail(raw)
    except MalformedMail:
        return
    assert mail.automatic or mail.text or mail.attachments
    assert "\x00" not in mail.text


def test_a_hostile_line_is_read_in_bounded_time() -> None:
    """200 KB of spaces in one line once took the reply parser 170 s, on the event loop."""
    raw = b"To: x@y.z\nMessage-ID: <h@d>\n\na" + b" " * 200_000 + b"b\n" + b"c" * 200_000 + b"\n"
    mail = parse_mail(raw)  # before the bound, this call alone ran for minutes
    assert mail.text.startswith("a b")
