"""What every mail Parley writes is made of: header text that cannot break a header, and the body's two parts.

Names reach headers from people (a workspace's, an agent's, a visitor's): one holding a line break (`\\n`, or a
Unicode line or paragraph separator, which `email` also splits lines at) makes the standard library refuse the
header with a ValueError, which turned an invitation into a 500 and left a notification retried for ever. Every
header value made of a name goes through `header_text`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr

BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})  # control characters, line and paragraph separators
_SPACES = re.compile(r"\s+")


def header_text(value: str) -> str:
    """`value` on one line: every control character and line or paragraph separator a space, runs of spaces one."""
    kept = "".join(" " if unicodedata.category(c) in BREAKING_CATEGORIES else c for c in value)
    return _SPACES.sub(" ", kept).strip()


def named_address(name: str, address: str) -> str:
    """`Name <address>`, the name made safe for a header (`formataddr` quotes it, but keeps line breaks)."""
    return formataddr((header_text(name), address))


def write_body(
    message: EmailMessage,
    *,
    greeting: str,
    lead: str,
    lines: Sequence[tuple[str, str | None]] = (),
    action: tuple[str, str] | None = None,
    footer: str,
) -> None:
    """The plain-text part and its HTML twin: the greeting, the lead, quoted lines in order (a file's with its
    link), an action (a label and its link), and a footer."""
    quoted = "\n".join(f"> {text}" + (f"\n  {url}" if url else "") for text, url in lines)
    quoted += "\n\n" if quoted else ""
    act = f"{action[0]}: {action[1]}\n\n" if action else ""
    message.set_content(f"{greeting}\n\n{lead}\n\n{quoted}{act}{footer}\n")
    page = html.escape
    links = [f' <a href="{page(url)}">{page(url)}</a>' if url else "" for _, url in lines]
    items = "".join(f"<li>{page(text)}{link}</li>" for (text, _), link in zip(lines, links, strict=True))
    listed = f"<ul>{items}</ul>" if items else ""
    act_html = f'<p><a href="{page(action[1])}">{page(action[0])}</a></p>' if action else ""
    message.add_alternative(
        f"<p>{page(greeting)}</p><p>{page(lead)}</p>{listed}{act_html}<p><small>{page(footer)}</small></p>",
        subtype="html",
    )
