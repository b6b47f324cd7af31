"""The long-lived parts every service call needs, built once per process by the app (or the CLI)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from parley.api.rate_limit import RateLimits
from parley.background import Periodic
from parley.config import Settings
from parley.files.spool import spool_sweeper
from parley.files.store import FileStore, build_file_store
from parley.observability import metrics
from parley.realtime.broker import Broker, LocalBroker, build_broker
from parley.realtime.hub import Hub
from parley.realtime.presence import Presence
from parley.services._time import now_microseconds
from parley.services.auth import Principal, WebsocketTokens
from parley.services.bot import AgentsOnline
from parley.services.lookups import SharedLookups
from parley.services.views import Views
from parley.storage.database import Database
from parley.storage.message_writer import MessageWriter
from parley.storage.records import ConversationRecord, EndUserRecord, NewEvent, WorkspaceRecord
from parley.webhooks.pruning import outbox_pruner
from parley.webhooks.sealing import SecretSeal, seal_stored_secrets
from parley.webhooks.worker import WebhookWorker

CACHE_SIZE = 10_000


@dataclass
class Services:
    settings: Settings
    db: Database
    writer: MessageWriter
    files: FileStore
    websocket_tokens: WebsocketTokens
    secret_seal: SecretSeal  # webhook secrets, sealed under the server's secret key
    trusted_views: Views
    public_views: Views
    principals: SharedLookups[str, Principal]
    end_users: SharedLookups[str, EndUserRecord]
    workspaces: SharedLookups[str, WorkspaceRecord]
    current_conversations: SharedLookups[str, ConversationRecord]  # by end user
    hub: Hub = field(default_factory=Hub)
    broker: Broker = field(default_factory=LocalBroker)
    presence: Presence = field(default_factory=Presence)
    conversation_owners: SharedLookups[str, ConversationRecord] = field(
        default_factory=lambda: SharedLookups(CACHE_SIZE)
    )
    webhooks: WebhookWorker | None = None  # the delivery worker, while started
    housekeeping: list[Periodic] = field(default_factory=list)  # while started
    rate_limits: RateLimits = field(default_factory=RateLimits.unlimited)
    agents_online: AgentsOnline = field(default_factory=AgentsOnline)  # for the bot's away message

    @classmethod
    def build(cls, settings: Settings) -> Services:
        db = Database(settings.resolved_database_url)
        tokens = WebsocketTokens(settings.signing_key)
        services = cls(
            settings=settings,
            db=db,
            writer=MessageWriter(db, now_microseconds, settings.write_batch_max),
            files=build_file_store(settings),
            websocket_tokens=tokens,
            secret_seal=SecretSeal(settings.signing_key),
            trusted_views=Views(settings.resolved_static_url, tokens.issue, reveal_tokens=True),
            public_views=Views(settings.resolved_static_url, tokens.issue, reveal_tokens=False),
            principals=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            # Like tokens, end users are cached briefly: another process's erasure shows within this time.
            end_users=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            workspaces=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            current_conversations=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
        )
        services.hub = Hub(settings.ws_queue_limit)
        services.broker = build_broker(settings.redis_url)
        services.presence = Presence(settings.redis_url)
        services.rate_limits = RateLimits.build(settings)
        db.add_publisher(services.publish)
        services.agents_online = AgentsOnline(settings.agents_online_cache_seconds)
        db.add_publisher(services.agents_online.observe)
        return services

    def publish(self, events: Sequence[NewEvent]) -> None:
        """To this process's sockets and, through the broker, to every other process's."""
        self.observe(events)
        self.broker.publish(events)
        metrics.events_published(event.name for event in events)

    def observe(self, events: Sequence[NewEvent]) -> None:
        """Committed events, this process's or (through the broker) another's: to the sockets here, and to the
        caches they make stale."""
        for event in events:
            if event.name == "conversation.created":
                end_user = json.loads(event.payload)["data"].get("endUser") or {}
                self.current_conversations.forget(str(end_user.get("id")))
        self.hub.publish(events)

    async def start(self) -> None:
        self.db.start()
        self.writer.start()
        await seal_stored_secrets(self.db, self.secret_seal)
        self.webhooks = WebhookWorker(self.db, self.settings, self.secret_seal)
        self.webhooks.start()
        self.housekeeping = [
            outbox_pruner(self.db, self.settings.event_retention_days),
            spool_sweeper(self.files.staging_dir),
        ]
        for periodic in self.housekeeping:
            periodic.start()
        await self.broker.start(self.observe)

    async def close(self) -> None:
        for periodic in self.housekeeping:
            await periodic.stop()
        self.housekeeping = []
        if self.webhooks is not None:
            await self.webhooks.stop()
            self.webhooks = None
        await self.writer.stop()
        await self.broker.close()
        await self.presence.close()
        await self.rate_limits.close()
        await self.db.dispose()
