"""Decides whether a URL may be fetched, so user-supplied links can't reach internal services (SSRF)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from parley.config import Settings
from parley.errors import ParleyError
from parley.observability import metrics

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"http": 80, "https": 443}
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


def outbound_client(timeout: httpx.Timeout, *, follow_redirects: bool = False) -> httpx.AsyncClient:
    """A new client (a file fetch's hop takes one of its own, and the webhook worker keeps one per checked target:
    a pooled connection to an address must never carry another host's TLS), over the one TLS context of the
    process: httpx builds a new one for every client otherwise, which loads the CA store on the event loop.
    Measured on the development machine: 50 ms a client that way, 0.6 ms sharing it; under the realistic load
    (`bench/load.py`) webhook deliveries had fallen 20 s behind."""
    return httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=follow_redirects, verify=_tls_context())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


@dataclass(slots=True)
class _Kept:
    client: httpx.AsyncClient
    users: int = 0


class KeptClients:
    """Clients kept open for repeated requests to the same targets (the webhook worker's POSTs to a receiver), one
    per checked target: scheme, host, port and the address the check approved. A connection is then reused only
    for the host it was opened (and its TLS verified) for, and only while the host still resolves to that address.
    Beyond `keep` targets, the least recently used idle client is closed.

    Sampled under a small realistic load (`bench/load.py`, SQLite, 50 msgs/s, webhooks on), the POSTs' share of the
    server's samples over 20 s fell from 473 to 283 once they stopped building a client and a connection each."""

    def __init__(self, keep: int, timeout: httpx.Timeout) -> None:
        self._keep = keep
        self._timeout = timeout
        self._kept: dict[tuple[str, str, int, str], _Kept] = {}  # least recently used first

    @contextlib.asynccontextmanager
    async def client(self, target: FetchTarget) -> AsyncIterator[httpx.AsyncClient]:
        key = (target.scheme, target.host, target.port, target.address)
        kept = self._kept.pop(key, None) or _Kept(outbound_client(self._timeout))
        self._kept[key] = kept
        kept.users += 1
        try:
            yield kept.client
        finally:
            kept.users -= 1
            await self._trim()

    async def _trim(self) -> None:
        while len(self._kept) > self._keep:
            idle = next((key for key, kept in self._kept.items() if kept.users == 0), None)
            if idle is None:
                return
            await self._kept.pop(idle).client.aclose()

    async def aclose(self) -> None:
        kept, self._kept = list(self._kept.values()), {}
        for each in kept:
            await each.client.aclose()


@dataclass(frozen=True, slots=True)
class FetchTarget:
    """A URL together with the one address it was checked against; connect only to ``address``."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


async def resolve_fetch_target(url: str, settings: Settings) -> FetchTarget:
    """Parse ``url``, resolve its host once and refuse it if any address is internal and not allow-listed."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError) as exc:
        metrics.fetch_refused("unsupported_url")
        raise ParleyError(422, "unsupported_url", "The URL could not be parsed.") from exc
    if parsed.scheme not in _DEFAULT_PORTS or not host:
        metrics.fetch_refused("unsupported_url")
        raise ParleyError(422, "unsupported_url", "Only http and https URLs with a host can be fetched.")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]

    addresses = await _resolve(host, port)
    host_allowed = host in settings.allowlisted_hosts or parsed.host.lower() in settings.allowlisted_hosts
    if not host_allowed:
        for address in addresses:
            found = _forbidden_reason(address)
            if found and not any(address in net for net in settings.allowlisted_networks):
                code, reason = found
                metrics.fetch_refused(code)
                raise ParleyError(422, "fetch_forbidden", f"The URL's host {host} {reason}, which is not allowed.")
    return FetchTarget(url=str(parsed), scheme=parsed.scheme, host=host, port=port, address=str(addresses[0]))


async def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for; an IP literal stands only for itself and is never looked up."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError) as exc:
        raise ParleyError(422, "fetch_failed", f"The host {host} could not be resolved.") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))
    if not addresses:
        raise ParleyError(422, "fetch_failed", f"The host {host} could not be resolved.")
    return addresses


def _forbidden_reason(address: IPAddress) -> tuple[str, str] | None:
    """Why connecting to ``address`` could reach something internal (a metrics label and a sentence), or None
    when it is public."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 must be judged as the IPv4 address it reaches.
        candidates += [embedded for embedded in (address.ipv4_mapped, address.sixtofour) if embedded]
    for candidate in candidates:
        if candidate in _METADATA_ADDRESSES:
            return "metadata", "is the cloud metadata address"
        if candidate.is_loopback:
            return "loopback", "resolves to a loopback address"
        if candidate.is_unspecified:
            return "unspecified", "resolves to an unspecified address"
        if candidate.is_link_local:
            return "link_local", "resolves to a link-local address"
        if candidate.is_multicast:
            return "multicast", "resolves to a multicast address"
        if candidate.is_private:
            return "private", "resolves to a private address"
        if candidate.is_reserved:
            return "reserved", "resolves to a reserved address"
        if not candidate.is_global:
            return "not_global", "resolves to an address that is not publicly routable"
    return None
