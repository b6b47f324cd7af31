"""Downloads a user-supplied URL for attachment, pinned to checked addresses, streamed to a spool, capped in size."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from email.message import Message

import httpx

from parley.config import Settings
from parley.errors import ParleyError
from parley.files.spool import Spool, file_too_large
from parley.files.urlguard import outbound_client, resolve_fetch_target

MAX_REDIRECTS = 3
MAX_NAME_LENGTH = 255
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SEPARATORS = re.compile(r"[/\\]")


@dataclass(frozen=True, slots=True)
class Download:
    """What was fetched into the spool: the display name to store it under (without extension), the extension that
    name came with (sniffing keeps it only where the bytes agree), and from where."""

    name: str
    sent_ext: str
    source_url: str


async def fetch_url(url: str, settings: Settings, into: Spool) -> Download:
    """GET ``url`` into ``into``, re-checking every redirect hop; a body over the spool's limit is refused early.

    Only the final answer's body is written; redirects and errors write nothing. The connect and read timeouts
    bound each wait; ``fetch_total_timeout`` bounds the whole, or a server trickling a byte at a time would hold
    the sender's request (and a spool) open for as long as it liked.
    """
    try:
        async with asyncio.timeout(settings.fetch_total_timeout):
            return await _follow(url, settings, into)
    except TimeoutError as exc:
        raise _too_slow() from exc


async def _follow(url: str, settings: Settings, into: Spool) -> Download:
    timeout = httpx.Timeout(
        connect=settings.fetch_connect_timeout,
        read=settings.fetch_read_timeout,
        write=settings.fetch_read_timeout,
        pool=settings.fetch_connect_timeout,
    )
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        target = await resolve_fetch_target(current, settings)
        target_url = httpx.URL(target.url)
        async with outbound_client(timeout) as client:  # one a hop
            try:
                async with client.stream(
                    "GET",
                    target_url.copy_with(host=target.address),
                    headers={"Host": target_url.netloc.decode("ascii"), "Accept-Encoding": "identity"},
                    extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
                ) as response:
                    if response.has_redirect_location:
                        current = str(target_url.join(response.headers["Location"]))
                        continue
                    if not response.is_success:
                        raise ParleyError(
                            422, "fetch_failed", f"The URL answered with HTTP status {response.status_code}."
                        )
                    await _stream_capped(response, into)
                    name, sent_ext = split_name(_download_name(response, target_url))
                    return Download(name=name, sent_ext=sent_ext, source_url=url)
            except httpx.TimeoutException as exc:
                raise _too_slow() from exc
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise ParleyError(422, "fetch_failed", "The URL could not be downloaded.") from exc
    raise ParleyError(422, "fetch_failed", f"The URL redirected more than {MAX_REDIRECTS} times.")


def _too_slow() -> ParleyError:
    return ParleyError(422, "fetch_failed", "The URL took too long to answer.")


async def _stream_capped(response: httpx.Response, into: Spool) -> None:
    """The body into the spool, which stops it as soon as it passes the limit: an endless body costs at most that.

    A declared length over the limit is refused before any of the body is read.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > into.limit:
        raise file_too_large(into.limit)
    async for chunk in response.aiter_bytes():
        await into.write(chunk)


def _download_name(response: httpx.Response, url: httpx.URL) -> str:
    """The server's Content-Disposition filename if it gave one, else the URL's last path segment (unsanitised)."""
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        header = Message()
        header["Content-Disposition"] = disposition
        filename = header.get_filename()
        if filename:
            return filename
    return url.path.rsplit("/", 1)[-1]


def split_name(raw: str) -> tuple[str, str]:
    """A display name that is safe anywhere (one path segment, no control characters, bounded, never empty, without
    its extension) and the extension ``raw`` ended with, lower case without its dot (``""`` for none)."""
    segment = _SEPARATORS.split(raw)[-1]
    cleaned = "".join(ch for ch in segment if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)
    stem, dot, ext = cleaned.rpartition(".")
    if dot and stem.strip(" ."):
        cleaned = stem
    else:
        ext = ""
    return cleaned.strip(" .")[:MAX_NAME_LENGTH].strip(" .") or "file", ext.strip().lower()
