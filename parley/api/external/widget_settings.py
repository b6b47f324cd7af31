"""The workspace's widget settings: what the widget shows, what the bot says, and auto-assignment."""

from __future__ import annotations

from fastapi import APIRouter

from parley import schemas
from parley.api.deps import ExternalAuth, error_responses
from parley.schemas import Envelope
from parley.services import bot

router = APIRouter(prefix="/widget-settings", tags=["widget settings"], responses=error_responses())

SettingsEnvelope = Envelope[schemas.WorkspaceWidgetSettings]


@router.get("", response_model=SettingsEnvelope, summary="Get the widget settings")
async def get_widget_settings(auth: ExternalAuth) -> SettingsEnvelope:
    """With the workspace's public `siteKey` (read-only) and the bot's name."""
    return SettingsEnvelope(data=await bot.get_widget_settings(auth.services, auth.workspace))


@router.put("", response_model=SettingsEnvelope, summary="Change the widget settings")
async def put_widget_settings(body: schemas.PutWidgetSettingsRequest, auth: ExternalAuth) -> SettingsEnvelope:
    """Partial: absent or null fields keep their value. `accentColor` is `#rrggbb`; `allowedOrigins` lists origins
    such as `https://example.com` (empty: any page may embed the widget); `greeting` and `awayMessage` are capped
    like message text (empty: the bot stays silent); `autoAssign` gives new conversations to the online agent with
    the fewest open ones; `botName` renames the bot."""
    return SettingsEnvelope(data=await bot.put_widget_settings(auth.services, auth.workspace, body))
