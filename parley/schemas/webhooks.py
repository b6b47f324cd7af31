"""The workspace's webhook and its deliveries (issue 5)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from parley.schemas.common import RequestModel, StorableStr, WireModel
from parley.schemas.events import WEBHOOK_EVENTS, WebhookEventName

WebhookSecret = Annotated[StorableStr, Field(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class WebhookConfig(WireModel):
    id: str
    url: str
    events: list[WebhookEventName] | None = Field(description="The event names delivered; null means all.")
    secret: str | None = Field(
        description="The signing secret: only in the answer to the PUT that generated it, null everywhere else."
    )
    created_at: int
    updated_at: int


class PutWebhookRequest(RequestModel):
    url: Annotated[StorableStr, Field(min_length=1, max_length=2048, description="http(s) URL receiving the POSTs.")]
    secret: WebhookSecret | None = Field(
        default=None,
        description="16-200 printable ASCII characters. Absent: the current secret is kept, or one is generated "
        "(and returned once) when the webhook is new.",
    )
    events: list[WebhookEventName] | None = Field(
        default=None, max_length=len(WEBHOOK_EVENTS), description="Event names to deliver; absent or null: all."
    )


class WebhookDelivery(WireModel):
    id: str
    event_id: str = Field(description="The event's `id`: receivers drop repeats by it.")
    event: WebhookEventName
    conversation_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None = Field(description="The HTTP status of the last attempt; null if none answered.")
    last_error: str | None
    last_attempt_at: int | None
    next_attempt_at: int | None = Field(description="When the next try is due, while `pending`.")
    delivered_at: int | None
    created_at: int
    updated_at: int
