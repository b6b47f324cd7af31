"""The workspace's webhook: where events are POSTed, its signing secret, and what became of each delivery."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from parley import schemas
from parley.api.deps import IdCursor, Limit
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import webhooks

WebhookEnvelope = Envelope[schemas.WebhookConfig]
DeliveryEnvelope = Envelope[schemas.WebhookDelivery]
DeliveryStatus = Annotated[
    Literal["pending", "delivered", "failed"] | None, Query(description="Only deliveries in this status.")
]


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/webhook", tags, admin)

    @router.get("", response_model=WebhookEnvelope, summary="Get the webhook")
    async def get_webhook(caller: Caller) -> WebhookEnvelope:
        """404 until one is set. The secret is never shown here."""
        return WebhookEnvelope(data=await webhooks.get_webhook(caller.services, caller.workspace))

    @router.put("", response_model=WebhookEnvelope, summary="Set the webhook")
    async def put_webhook(body: schemas.PutWebhookRequest, caller: Caller) -> WebhookEnvelope:
        """The URL must pass the checks file fetching applies (no private, loopback or link-local address unless
        allow-listed): 422 `unsupported_url`, `fetch_forbidden` or `fetch_failed` otherwise. Without `secret` the
        current one is kept; a new webhook gets a generated secret, returned in this answer only.

        Every delivery is a POST of the event's JSON, signed in `X-Parley-Signature: t=<unix>,v1=<hex>`, the
        HMAC-SHA256 with the secret of `<t>.` followed by the raw body.
        """
        return WebhookEnvelope(data=await webhooks.put_webhook(caller.services, caller.workspace, body, caller.actor))

    @router.post("/rotate-secret", response_model=WebhookEnvelope, summary="Rotate the signing secret")
    async def rotate_secret(caller: Caller) -> WebhookEnvelope:
        """A new generated secret, returned in this answer only; deliveries are signed with it from now on. 404
        without a webhook."""
        return WebhookEnvelope(data=await webhooks.rotate_secret(caller.services, caller.workspace, caller.actor))

    @router.get("/events", response_model=Envelope[list[schemas.WebhookEventName]], summary="The event names")
    async def list_events(caller: Caller) -> Envelope[list[schemas.WebhookEventName]]:
        """Every event a webhook may be sent, for `events`: what the console's admin page offers."""
        return Envelope[list[schemas.WebhookEventName]](data=sorted(schemas.WEBHOOK_EVENTS))

    @router.get("/deliveries", response_model=Envelope[list[schemas.WebhookDelivery]], summary="List deliveries")
    async def list_deliveries(
        caller: Caller, after: IdCursor = None, limit: Limit = 50, status: DeliveryStatus = None
    ) -> Envelope[list[schemas.WebhookDelivery]]:
        """Newest first; `after` is the id of the last delivery of the previous page."""
        found = await webhooks.list_deliveries(caller.services, caller.workspace, after, limit, status)
        return Envelope[list[schemas.WebhookDelivery]](data=found)

    @router.post("/deliveries/{id}/redeliver", response_model=DeliveryEnvelope, summary="Redeliver an event")
    async def redeliver(id: str, caller: Caller) -> DeliveryEnvelope:
        """Due again now, whatever its status, with a fresh retry schedule; receivers drop repeats by the event id."""
        return DeliveryEnvelope(data=await webhooks.redeliver(caller.services, caller.workspace, id))

    return router
