"""Mail: whether it is on, and the mail outbox (what was queued, sent, failed and why)."""

from typing import Annotated

from fastapi import APIRouter, Query

from parley import schemas
from parley.api.deps import IdCursor, Limit
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import mail

MailEnvelope = Envelope[schemas.OutboxMail]
MailStateQuery = Annotated[schemas.MailState | None, Query(description="Only mail in this status.")]


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/mail", tags, admin)

    @router.get("", response_model=Envelope[schemas.MailStatus], summary="Whether mail is on")
    async def get_mail_status(caller: Caller) -> Envelope[schemas.MailStatus]:
        """Mail is on when the server has `PARLEY_SMTP_URL` and `PARLEY_MAIL_FROM`; without them nothing is mailed
        (invitations and resets then have to be passed on by hand)."""
        return Envelope[schemas.MailStatus](data=mail.status(caller.services))

    @router.get("/outbox", response_model=Envelope[list[schemas.OutboxMail]], summary="List queued mail")
    async def list_mail(
        caller: Caller, after: IdCursor = None, limit: Limit = 50, status: MailStateQuery = None
    ) -> Envelope[list[schemas.OutboxMail]]:
        """Newest first; `after` is the id of the last mail of the previous page. The mails' text is never shown."""
        found = await mail.list_mail(caller.services, caller.workspace, after, limit, status)
        return Envelope[list[schemas.OutboxMail]](data=found)

    @router.post("/outbox/{id}/retry", response_model=MailEnvelope, summary="Send a failed mail again")
    async def retry_mail(id: str, caller: Caller) -> MailEnvelope:
        """A `failed` mail is due again now, its attempts counted afresh; a mail in any other status is answered
        as it is."""
        return MailEnvelope(data=await mail.retry_mail(caller.services, caller.workspace, id))

    return router
