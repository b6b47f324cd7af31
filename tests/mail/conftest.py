"""Raw mails of common clients (tests/mail/samples/), filled in for a test."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from tests.support.upstream import image_bytes

SAMPLES = Path(__file__).parent / "samples"


def sample_mail(name: str, to: str, message_id: str | None = None) -> bytes:
    """The sample `name`.eml sent to `to`, its Message-ID made unique (or the one given)."""
    raw = (SAMPLES / f"{name}.eml").read_bytes()
    png = base64.encodebytes(image_bytes("PNG", size=(40, 30))).decode().strip()
    return (
        raw.replace(b"{to}", to.encode())
        .replace(b"{id}", (message_id or uuid.uuid4().hex).encode())
        .replace(b"{png}", png.encode())
    )
