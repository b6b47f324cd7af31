"""The workspace's widget settings: what the widget shows, what the bot says, and auto-assignment."""

from fastapi import APIRouter

from parley import schemas
from parley.api.settings import CallerDependency, Tags, settings_router
from parley.schemas import Envelope
from parley.services import bot

SettingsEnvelope = Envelope[schemas.WorkspaceWidgetSettings]


def build(Caller: CallerDependency, tags: Tags, admin: bool = False) -> APIRouter:
    router = settings_router("/widget-settings", tags, admin)

    @router.get("", response_model=SettingsEnvelope, summary="Get the widget settings")
    async def get_widget_settings(caller: Caller) -> SettingsEnvelope:
        """With the workspace's public `siteKey` (read-only) and the bot's name."""
        return SettingsEnvelope(data=await bot.get_widget_settings(caller.services, caller.workspace))

    @router.put("", response_model=SettingsEnvelope, summary="Change the widget settings")
    async def put_widget_settings(body: schemas.PutWidgetSettingsRequest, caller: Caller) -> SettingsEnvelope:
        """Partial: absent or null fields keep their value. `accentColor` is `#rrggbb`; `allowedOrigins` lists
        origins such as `https://example.com` (empty: any page may embed the widget); `greeting` and `awayMessage`
        are capped like message text (empty: the bot stays silent); `autoAssign` gives new conversations to the
        online agent with the fewest open ones; `botName` renames the bot."""
        changed = await bot.put_widget_settings(caller.services, caller.workspace, body, caller.actor)
        return SettingsEnvelope(data=changed)

    return router
