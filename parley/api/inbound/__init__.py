"""Mail into Parley: a provider's raw-mail forwarding (`POST /api/inbound/email`); the SMTP listener is
parley/mail/listener.py."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request

from parley import schemas
from parley.api.deps import ServicesDep, error_responses
from parley.errors import unauthorized
from parley.schemas import Envelope
from parley.services import inbound_email

router = APIRouter(prefix="/api/inbound", tags=["inbound email"])
RAW_MAIL = {
    "requestBody": {"required": True, "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}}
}


@router.post(
    "/email",
    response_model=Envelope[schemas.InboundEmailReceipt],
    responses=error_responses(),
    openapi_extra=RAW_MAIL,
    summary="Receive a visitor's email reply",
)
async def receive_email(
    request: Request, services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Envelope[schemas.InboundEmailReceipt]:
    """The raw RFC 822 message as the body, `Authorization: Bearer <PARLEY_INBOUND_EMAIL_SECRET>` (for providers
    that forward raw mail). `messageId` is the first message this delivery stored, or null when every part of this
    mail (by its `Message-ID`, else its body) was stored before: a retry of a delivery that failed halfway stores
    what that one did not. An automatic reply (RFC 3834 `Auto-Submitted`, vacation replies, delivery reports) is
    accepted and dropped: 200, `messageId` null. 404 `not_found` when no recipient is a conversation's reply
    address (nothing is stored), 422 for what is not a mail, 413 past PARLEY_MAX_INBOUND_EMAIL_BYTES."""
    secret = services.settings.inbound_email_secret
    expected = f"Bearer {secret.get_secret_value()}" if secret else None
    if expected is None or not hmac.compare_digest((authorization or "").encode(), expected.encode()):
        raise unauthorized("The inbound email secret is required in the Authorization header.")
    stored = await inbound_email.receive(services, await request.body())
    return Envelope[schemas.InboundEmailReceipt](
        data=schemas.InboundEmailReceipt(message_id=stored.id if stored else None)
    )
