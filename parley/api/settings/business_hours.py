"""The workspace's business hours: outside them (while enabled) the team is away, the widget says when it is back
and the bot posts its away message."""

from fastapi import APIRouter

from parley import schemas
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import business_hours

HoursEnvelope = Envelope[schemas.BusinessHours]


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/business-hours", tags, admin)

    @router.get("", response_model=HoursEnvelope, summary="Get the business hours")
    async def get_business_hours(caller: Caller) -> HoursEnvelope:
        """Before any PUT: disabled, `UTC`, every day closed, no holidays."""
        return HoursEnvelope(data=await business_hours.get_business_hours(caller.services, caller.workspace))

    @router.put("", response_model=HoursEnvelope, summary="Set the business hours")
    async def put_business_hours(body: schemas.PutBusinessHoursRequest, caller: Caller) -> HoursEnvelope:
        """The whole schedule, replacing the stored one. `weekly` maps `mon` ... `sun` to `[start, end)` ranges
        of `HH:MM` local times (`00:00` to `24:00`; at most 8 a day, each ending after it starts, none
        overlapping; a day left out is closed); `timezone` is an IANA name; `holidays` (at most 366
        `YYYY-MM-DD` dates) close the whole day in `timezone`. While `enabled`, the team is away outside
        them. Anything else is 422 `validation_error`, and nothing is stored."""
        changed = await business_hours.put_business_hours(caller.services, caller.workspace, body, caller.actor)
        return HoursEnvelope(data=changed)

    return router
