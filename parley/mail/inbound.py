"""Reading a visitor's email reply: the raw RFC 822 message as its text, its attachments, and who it was sent to.

Parsed with the standard library's `email` package (its modern policy: MIME, encoded words, any charset Python
knows; a part in a charset it does not know is read as UTF-8 with replacements, never refused). The reply's own
words are kept: quoted text (`On ... wrote:` headers in many languages, `>` lines, Outlook's `From:/Sent:` block)
and signatures (after `-- `, "Sent from my iPhone") are cut by mail-parser-reply, the maintained Python port of
GitHub's email_reply_parser with multi-language headers (talon has had no release since 2017, email-reply-parser
since 2020, and quotequail finds quotes but not signatures). A mail with HTML only is read as text first (its
quoted blocks, `<blockquote>` and Gmail's `gmail_quote`, dropped).

An automatic reply (an out-of-office or vacation notice, a bounce) is told apart by its headers and read no further:
nobody wrote it, so it must not become the visitor's message (nor mark the agent's messages read, as a reply does).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, Message
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# The reply parser's signature pattern takes time that grows with the square of a line's length (measured: 200 KB
# of spaces, 170 s): it reads at most this much, whitespace runs collapsed. Far more than a message keeps (10,000).
MAX_PARSED_CHARACTERS = 40_000
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl"]
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
# What marks a mail no person wrote: RFC 3834's `Auto-Submitted` with any value but `no`; the headers vacation
# programs added before it (present at all); the `Precedence` of autoresponders and mailing lists; a delivery
# report (`multipart/report`, RFC 6522). `X-Auto-Response-Suppress` only asks others not to answer: it marks nothing.
AUTOMATIC_HEADERS = ("X-Autoreply", "X-Autorespond")
AUTOMATIC_PRECEDENCES = frozenset({"auto_reply", "bulk", "junk", "list"})
_replies = EmailReplyParser(languages=REPLY_LANGUAGES)


class MalformedMail(ValueError):
    """Not a mail that can be read: no headers, or no body and no attachment."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InboundMail:
    key: str  # what makes it once: its Message-ID, or the hash of its body when it has none
    recipients: list[str]  # lower-cased addresses, the envelope's first
    text: str  # the reply's own words
    attachments: list[Attachment]
    automatic: bool  # an automatic reply (out-of-office, vacation, bounce): its text and attachments are not read


def parse_mail(raw: bytes, envelope_recipients: Sequence[str] = ()) -> InboundMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise MalformedMail("This is not a mail: it has no headers.")
    try:
        message_id = str(message.get("Message-ID") or "").strip()
        recipients = list(dict.fromkeys([*(r.lower() for r in envelope_recipients), *_header_addresses(message)]))
        automatic = _is_automatic(message)
    except (ValueError, TypeError, IndexError) as exc:  # a header the policy cannot read
        raise MalformedMail(f"A header of the mail cannot be read: {exc}") from exc
    key = message_id or "body:" + hashlib.sha256(_body_bytes(raw)).hexdigest()
    if automatic:
        return InboundMail(key, recipients, "", [], automatic=True)
    text = _reply_text(message)
    attachments = list(_attachments(message))
    if not text and not attachments:
        raise MalformedMail("The mail has neither text nor an attachment.")
    return InboundMail(key, recipients, text, attachments, automatic=False)


def _is_automatic(message: EmailMessage) -> bool:
    """Whether no person wrote it (AUTOMATIC_HEADERS says how that shows)."""
    submitted = _header_token(message, "Auto-Submitted")
    return (
        (submitted is not None and submitted != "no")
        or any(name in message for name in AUTOMATIC_HEADERS)
        or _header_token(message, "Precedence") in AUTOMATIC_PRECEDENCES
        or message.get_content_type() == "multipart/report"
    )


def _header_token(message: EmailMessage, name: str) -> str | None:
    """A header's value without its parameters (`auto-replied; owner-email=...`), lower-cased; None when absent."""
    value = message.get(name)
    return None if value is None else str(value).split(";")[0].strip().lower()


def _header_addresses(message: EmailMessage) -> Iterable[str]:
    for name in RECIPIENT_HEADERS:
        for header in message.get_all(name) or []:
            for address in getattr(header, "addresses", ()):
                if isinstance(address, Address) and address.addr_spec:
                    yield address.addr_spec.lower()


def _reply_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = _decoded(body)
    if body.get_content_subtype() == "html":
        content = html_to_text(content)
    content = re.sub(r"[ \t\u00a0]{2,}", " ", content.replace("\r\n", "\n"))[:MAX_PARSED_CHARACTERS].strip()
    if not content:
        return ""
    replies = _replies.read(content).replies
    return storable((replies[0].body if replies else content).strip())


def storable(text: str) -> str:
    """Text every database stores as it is: no NUL, no lone surrogate (a mail's bytes may hold either)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _decoded(part: Message) -> str:
    """The part's text in its charset; in UTF-8 with replacements when the charset is unknown or lies."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _attachments(message: EmailMessage) -> Iterable[Attachment]:
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        yield Attachment(storable(part.get_filename() or "") or "attachment", data)


def _body_bytes(raw: bytes) -> bytes:
    """What follows the headers: the same for every delivery of one mail, whatever relays added on top."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(separator)
        if at >= 0:
            return raw[at + len(separator) :]
    return raw


class _TextOfHtml(HTMLParser):
    """The visible text of an HTML mail, line breaks where blocks end; quoted blocks left out."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
    SKIPPED = frozenset({"style", "script", "head", "title"})
    VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []  # the open elements whose text is left out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        starts_skip = tag in self.SKIPPED or tag == "blockquote" or "gmail_quote" in classes
        if (self._skipping or starts_skip) and tag not in self.VOID:
            self._skipping.append(tag)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(page: str) -> str:
    parser = _TextOfHtml()
    parser.feed(page)
    parser.close()
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
