"""The delivery worker: every serving process runs one; together they deliver each pending row.

A round leases due deliveries (the oldest pending one of each conversation, so a conversation's events arrive in
order), POSTs each outside any transaction, then records the outcome if the lease is still ours. A 2xx ends a
delivery; anything else (a status, a refused connection, a timeout, a URL that now resolves somewhere private)
schedules a retry: within `webhook_retry_base_seconds`, then doubling, with jitter, up to
`webhook_retry_max_seconds` apart, until `webhook_retry_window_seconds` have passed (then `failed`).

The loop is `LeasedWorker`'s; a commit that created deliveries rings it through the database's delivery listener.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx

from parley import __version__
from parley.background import LeasedWorker, retry_delay
from parley.clock import now_microseconds
from parley.config import Settings
from parley.errors import ParleyError
from parley.files.urlguard import KeptClients, resolve_fetch_target
from parley.observability import metrics
from parley.storage.database import Database, Transaction
from parley.storage.repositories import webhooks as repo
from parley.storage.repositories.webhooks import ClaimedDelivery
from parley.webhooks import signing
from parley.webhooks.sealing import SecretSeal, SecretUnreadable

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500
USER_AGENT = f"Parley-Webhooks/{__version__}"
KEPT_RECEIVERS = 64  # receivers whose connections stay open between POSTs
MAX_ANSWER_DRAINED = 64 * 1024  # bytes of a receiver's answer read so that its connection can be reused


class WebhookWorker(LeasedWorker[ClaimedDelivery]):
    def __init__(self, db: Database, settings: Settings, secret_seal: SecretSeal) -> None:
        # A POST must end well within its lease, or another worker could post the same row meanwhile.
        self._post_timeout = min(settings.webhook_timeout_seconds, settings.webhook_lease_seconds / 2)
        super().__init__(
            "parley-webhook-worker",
            settings.webhook_concurrency,
            settings.webhook_poll_seconds,
            stop_grace_seconds=min(self._post_timeout, 5.0),
        )
        self._db = db
        self._settings = settings
        self._secret_seal = secret_seal
        connect = min(settings.fetch_connect_timeout, self._post_timeout)
        self._clients = KeptClients(KEPT_RECEIVERS, httpx.Timeout(self._post_timeout, connect=connect))

    def start(self) -> None:
        self._db.add_delivery_listener(self.wake)
        super().start()

    async def stop(self) -> None:
        """Stop claiming; POSTs still in flight at the end of the grace are cancelled (their rows become due again)."""
        self._db.remove_delivery_listener(self.wake)
        await super().stop()
        await self._clients.aclose()

    async def claim(self, limit: int) -> list[ClaimedDelivery]:
        now_us = now_microseconds()
        lease_until = now_us + int(self._settings.webhook_lease_seconds * 1_000_000)

        def claim(tx: Transaction) -> list[ClaimedDelivery]:
            return repo.claim_due(tx.conn, now_us, lease_until, str(uuid.uuid4()), limit)

        return await self._db.write(claim)

    async def attempt(self, delivery: ClaimedDelivery) -> bool:
        try:
            status, error = await self._post(delivery)
        except asyncio.CancelledError:
            await self._record(delivery, None, "interrupted: Parley was shutting down", retry_now=True)
            raise
        return await self._record(delivery, status, error)

    async def _post(self, delivery: ClaimedDelivery) -> tuple[int | None, str | None]:
        """POST the stored event bytes, signed, to the address the URL check approved; (status, error)."""
        settings = self._settings
        body = delivery.payload.encode()
        try:
            secret = self._secret_seal.open(delivery.secret)  # first: a secret it cannot open needs no address
            async with asyncio.timeout(self._post_timeout):
                target = await resolve_fetch_target(delivery.url, settings)
                url = httpx.URL(target.url)
                headers = {
                    "Host": url.netloc.decode("ascii"),
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    signing.HEADER: signing.sign(secret, body),
                    "X-Parley-Event": delivery.event_name,
                    "X-Parley-Event-Id": delivery.event_id,
                    "X-Parley-Delivery": delivery.id,
                }
                async with (
                    self._clients.client(target) as client,
                    client.stream(
                        "POST",
                        url.copy_with(host=target.address),
                        content=body,
                        headers=headers,
                        extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
                    ) as response,
                ):
                    await _drained(response)
                    if response.is_success:
                        return response.status_code, None
                    return response.status_code, f"HTTP {response.status_code} {response.reason_phrase}".strip()
        except ParleyError as exc:
            return None, f"{exc.code}: {exc.message}"
        except SecretUnreadable as exc:
            return None, str(exc)
        except (TimeoutError, httpx.TimeoutException):
            return None, f"timed out after {self._post_timeout:g} s"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    async def _record(
        self, delivery: ClaimedDelivery, status: int | None, error: str | None, retry_now: bool = False
    ) -> bool:
        """Record the outcome; True when it let the next delivery of the conversation go."""
        settings = self._settings
        now_us = now_microseconds()
        now = now_us // 1_000_000
        values: dict[str, object] = {"last_status_code": status, "last_attempt_at": now, "updated_at": now}
        if error is None:
            values.update(status=repo.DELIVERED, delivered_at=now, last_error=None)
        else:
            values["last_error"] = error[:MAX_ERROR_LENGTH]
            window_us = int(settings.webhook_retry_window_seconds * 1_000_000)
            if not retry_now and now_us - delivery.window_start_us >= window_us:
                values["status"] = repo.FAILED
            else:
                delay = 0.0 if retry_now else retry_delay(delivery.attempts + 1, *self._retry_bounds())
                due = now_us + int(delay * 1_000_000)
                values["next_attempt_us"] = due
                self.retry_at(due)
        metrics.webhook_delivery(str(values.get("status", "interrupted" if retry_now else "retry")))

        def finish(tx: Transaction) -> repo.Finished:
            return repo.finish(tx.conn, delivery.id, delivery.claim_token, **values)

        try:
            finished = await self._db.write(finish)
        except Exception:
            # The lease runs out and the delivery is tried again: at least once, never lost.
            log.exception("webhook delivery %s: recording the outcome failed", delivery.id)
            return False
        if not finished.recorded:
            log.info("webhook delivery %s: lease lost before its outcome was recorded", delivery.id)
        return finished.stream_goes_on

    def _retry_bounds(self) -> tuple[float, float]:
        return self._settings.webhook_retry_base_seconds, self._settings.webhook_retry_max_seconds


async def _drained(response: httpx.Response) -> None:
    """Read a receiver's short answer to its end, so that its connection can carry the next POST; a long one is
    left unread (its connection is then closed rather than reused)."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > MAX_ANSWER_DRAINED:
            return
