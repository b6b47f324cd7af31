"""The baseline: a bare FastAPI endpoint on the same path that parses the same body and answers a same-sized
Message in the same envelope, touching no storage. Parley's throughput is reported as a ratio of this one's."""

from __future__ import annotations

import time
import uuid

from fastapi import FastAPI

from parley import schemas

app = FastAPI()

END_USER = schemas.EndUser(
    id=str(uuid.uuid4()),
    websocket_token="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ.x",
    created_at=1_700_000_000,
    updated_at=1_700_000_000,
)


@app.post("/api/external/v1/conversation/{id}/send-text-message", response_model=schemas.Envelope[schemas.Message])
async def send_text_message(id: str, body: schemas.SendTextRequest) -> schemas.Envelope[schemas.Message]:
    now_us = time.time_ns() // 1000
    message = schemas.Message(
        id=str(uuid.uuid4()),
        status="delivered",
        type="text",
        body=body.text,
        file=None,
        review=None,
        bot=None,
        agent=None,
        end_user=END_USER,
        microseconds=now_us,
        uuid=body.uuid,
        conversation_id=id,
        source="api",
        created_at=now_us // 1_000_000,
        updated_at=now_us // 1_000_000,
    )
    return schemas.Envelope(data=message)
