"""Webhook secrets sealed at rest.

A webhook's secret signs every delivery, so unlike a token it cannot be stored hashed. It is stored encrypted
(Fernet from `cryptography`: AES-128-CBC with an HMAC-SHA256) under a key derived with HKDF from the server's
secret key (`PARLEY_SECRET_KEY`, or the one generated into the data dir): a copy of the database alone does not
let anyone sign as Parley. A server holding another secret key cannot open them; that webhook's deliveries then
fail with the reason, until its secret is set again (`PUT /webhook` with a `secret`).

Secrets stored before sealing existed are plain: `open` takes them as they are, and every serving process seals
them when it starts (`seal_stored_secrets`).
"""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from parley.storage.database import Database, Transaction
from parley.storage.repositories import webhooks as repo

log = logging.getLogger(__name__)

PREFIX = "sealed:v1:"
_KEY_PURPOSE = b"parley webhook secrets v1"
_UNREADABLE = "the webhook's secret was sealed under another PARLEY_SECRET_KEY: set it again with PUT /webhook"


class SecretUnreadable(Exception):
    """Sealed under another server secret key."""


class SecretSeal:
    """Seals under a key of its own `purpose`, derived from the server's: a webhook secret's seal opens no mail."""

    def __init__(self, server_key: str, purpose: bytes = _KEY_PURPOSE, unreadable: str = _UNREADABLE) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(server_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._unreadable = unreadable

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :]).decode()
        except InvalidToken:
            raise SecretUnreadable(self._unreadable) from None


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


async def seal_stored_secrets(db: Database, seal: SecretSeal) -> int:
    """Seal the secrets still stored plain; each only if unchanged meanwhile (another process may be at it)."""
    plain = await db.read(repo.plain_secrets, PREFIX)
    if not plain:
        return 0

    def seal_each(tx: Transaction) -> int:
        return sum(repo.replace_secret(tx.conn, id_, secret, seal.seal(secret)) for id_, secret in plain)

    sealed = await db.write(seal_each)
    log.info("sealed %d webhook secrets stored before sealing existed", sealed)
    return sealed
