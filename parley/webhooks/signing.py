"""The `X-Parley-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + raw body>`.

The timestamp is signed with the body so a receiver can refuse old replays; `v1` names the scheme so another can
be added beside it later without breaking receivers.
"""

from __future__ import annotations

import hashlib
import hmac

from parley.clock import now_seconds

HEADER = "X-Parley-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header's value for `body`, signed now (or at `timestamp`)."""
    t = now_seconds() if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"
