"""When each token was last used (`lastUsedAt` of an agent's tokens), kept without a write per request.

A request only notes the time in memory, and only when the token's figure is a minute old or more; a background
round writes what was noted, every token in one statement. So each process writes a token's last use at most once
a minute, never on a request's path, and the stored figure is never more than a minute (and a round) behind.
"""

from __future__ import annotations

import logging

from cachetools import LRUCache

from parley.background import Periodic
from parley.clock import now_seconds
from parley.storage.database import Database
from parley.storage.repositories import workspaces as repo

RESOLUTION_SECONDS = 60
WRITE_EVERY_SECONDS = 2.0
REMEMBERED_TOKENS = 10_000

log = logging.getLogger(__name__)


class TokenUses:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._noted: LRUCache[str, int] = LRUCache(REMEMBERED_TOKENS)  # the last figure noted, per token
        self._due: dict[str, int] = {}

    def note(self, token_id: str) -> None:
        """On every authenticated request: a dict lookup, and rarely a second one."""
        now = now_seconds()
        if now - self._noted.get(token_id, now - RESOLUTION_SECONDS) >= RESOLUTION_SECONDS:
            self._noted[token_id] = now
            self._due[token_id] = now

    async def write(self) -> None:
        """What was noted since the last round. A failure keeps it for the next round (the figures are only
        informative: nothing waits for them)."""
        if not self._due:
            return
        due, self._due = self._due, {}
        try:
            await self._db.write(lambda tx: repo.record_token_uses(tx.conn, due))
        except Exception as exc:
            self._due = due | self._due
            log.warning(
                "could not record when %d tokens were last used (%s); the next round tries again", len(due), exc
            )

    def writer(self) -> Periodic:
        return Periodic("parley-token-uses", WRITE_EVERY_SECONDS, self.write)
