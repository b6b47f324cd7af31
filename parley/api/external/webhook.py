"""The workspace's webhook: where events are POSTed, and what became of each delivery."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from parley import schemas
from parley.api.deps import ExternalAuth, IdCursor, Limit, error_responses
from parley.schemas import Envelope
from parley.services import webhooks

router = APIRouter(prefix="/webhook", tags=["webhook"], responses=error_responses())

WebhookEnvelope = Envelope[schemas.WebhookConfig]
DeliveryEnvelope = Envelope[schemas.WebhookDelivery]
DeliveryStatus = Annotated[
    Literal["pending", "delivered", "failed"] | None, Query(description="Only deliveries in this status.")
]


@router.get("", response_model=WebhookEnvelope, summary="Get the webhook")
async def get_webhook(auth: ExternalAuth) -> WebhookEnvelope:
    """404 until one is set. The secret is never shown here."""
    return WebhookEnvelope(data=await webhooks.get_webhook(auth.services, auth.workspace))


@router.put("", response_model=WebhookEnvelope, summary="Set the webhook")
async def put_webhook(body: schemas.PutWebhookRequest, auth: ExternalAuth) -> WebhookEnvelope:
    """The URL must pass the checks file fetching applies (no private, loopback or link-local address unless
    allow-listed): 422 `unsupported_url`, `fetch_forbidden` or `fetch_failed` otherwise. Without `secret` the
    current one is kept; a new webhook gets a generated secret, returned in this answer only.

    Every delivery is a POST of the event's JSON, signed in `X-Parley-Signature: t=<unix>,v1=<hex>`, the
    HMAC-SHA256 with the secret of `<t>.` followed by the raw body.
    """
    return WebhookEnvelope(data=await webhooks.put_webhook(auth.services, auth.workspace, body))


@router.get("/deliveries", response_model=Envelope[list[schemas.WebhookDelivery]], summary="List deliveries")
async def list_deliveries(
    auth: ExternalAuth, after: IdCursor = None, limit: Limit = 50, status: DeliveryStatus = None
) -> Envelope[list[schemas.WebhookDelivery]]:
    """Newest first; `after` is the id of the last delivery of the previous page."""
    found = await webhooks.list_deliveries(auth.services, auth.workspace, after, limit, status)
    return Envelope[list[schemas.WebhookDelivery]](data=found)


@router.post("/deliveries/{id}/redeliver", response_model=DeliveryEnvelope, summary="Redeliver an event")
async def redeliver(id: str, auth: ExternalAuth) -> DeliveryEnvelope:
    """Due again now, whatever its status, with a fresh retry schedule; receivers drop repeats by the event id."""
    return DeliveryEnvelope(data=await webhooks.redeliver(auth.services, auth.workspace, id))
