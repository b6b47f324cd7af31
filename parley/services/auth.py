"""Credentials: API tokens (stored as SHA-256 only) and the visitors' websocket tokens (JWT, HS256)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

import jwt

from parley.errors import unauthorized
from parley.storage.records import WorkspaceRecord

TOKEN_PREFIX = "plt_"
DISPLAY_PREFIX_LEN = 10


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so an unsalted SHA-256 is enough to make a leaked table useless."""
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    return token[:DISPLAY_PREFIX_LEN]


def bearer_token(authorization: str | None) -> str | None:
    """The token an `Authorization` header carries: `Bearer <token>`, or the bare token (as the seed sends it).
    None without a header, empty for one that names no token: each caller says what a missing token means."""
    if authorization is None:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else authorization.strip()


def token_from_header(authorization: str | None) -> str:
    """The API and agent tokens: without one, the generic 401."""
    token = bearer_token(authorization)
    if not token:
        raise unauthorized()
    return token


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a workspace's API token, or (agent_id set) an agent's console token."""

    workspace: WorkspaceRecord
    token_id: str
    agent_id: str | None
    expires_at: int | None = None  # a sign-in's session: refused from then on, cached or not


class WebsocketTokens:
    """The EndUser's `websocketToken`: a JWT whose `sub` is the end user's id, as in the seed."""

    def __init__(self, key: str) -> None:
        self._key = key
        self.issue = lru_cache(maxsize=50_000)(self._issue)

    def _issue(self, end_user_id: str) -> str:
        return jwt.encode({"sub": end_user_id}, self._key, algorithm="HS256")

    def subject(self, token: str) -> str:
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], options={"require": ["sub"]})
        except jwt.PyJWTError:
            raise unauthorized("The visitor token is invalid or expired.") from None
        return str(claims["sub"])
