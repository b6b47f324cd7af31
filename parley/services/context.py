"""The long-lived parts every service call needs, built in one step per process by the app (or the CLI), which
starts them (`start`: the writer, the delivery and mail workers, the housekeeping with the snooze waker, the broker's
subscription) and stops them (`close`) in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from parley.background import Deferred, Periodic
from parley.clock import now_microseconds
from parley.config import Settings
from parley.files.spool import spool_sweeper
from parley.files.store import FileStore, build_file_store
from parley.mail.sender import Mailer
from parley.mail.worker import MailWorker, mail_seal
from parley.observability import metrics
from parley.realtime.broker import Broker, Invalidation, build_broker
from parley.realtime.hub import Hub
from parley.realtime.ordering import StreamOrder
from parley.realtime.presence import AgentsOnline, Presence
from parley.services.auth import Principal, WebsocketTokens
from parley.services.lookups import SharedLookups
from parley.services.rate_limits import RateLimits
from parley.services.reopening import reopen_for_visitors, snooze_waker
from parley.services.token_uses import TokenUses
from parley.services.views import Views
from parley.storage.database import Database
from parley.storage.message_writer import MessageWriter
from parley.storage.records import ConversationRef, EndUserRecord, NewEvent, WorkspaceRecord
from parley.webhooks.pruning import outbox_pruner
from parley.webhooks.sealing import SecretSeal, seal_stored_secrets
from parley.webhooks.worker import WebhookWorker

CACHE_SIZE = 10_000
DEFERRED_CLOSE_SECONDS = 10.0
# Events that may change which conversation is a visitor's current one (their newest that is not locked).
CURRENT_CONVERSATION_CHANGES = frozenset({"conversation.created", "conversation.locked", "conversation.unlocked"})


@dataclass
class Services:
    settings: Settings
    db: Database
    writer: MessageWriter
    files: FileStore
    websocket_tokens: WebsocketTokens
    secret_seal: SecretSeal  # webhook secrets, sealed under the server's secret key
    trusted_views: Views  # the integrator's: every token and agents' emails
    visitor_views: Views  # a visitor's own: their token, never an agent's email
    public_views: Views
    # The caches. A change that makes an entry untrue drops it in every process (`invalidate`); their time limit
    # only bounds what a lost invalidation (Redis away) could leave behind.
    principals: SharedLookups[str, Principal]
    end_users: SharedLookups[str, EndUserRecord]  # changed only by erasure, which invalidates them
    workspaces: SharedLookups[str, WorkspaceRecord]
    current_conversations: SharedLookups[str, ConversationRef]  # by end user
    conversation_owners: SharedLookups[str, ConversationRef]
    token_uses: TokenUses
    hub: Hub
    order: StreamOrder  # committed events on to the hub, in each workspace's stream order
    broker: Broker
    presence: Presence
    rate_limits: RateLimits
    agents_online: AgentsOnline  # for the bot's away message
    webhooks: WebhookWorker  # the delivery worker
    mailer: Mailer
    mail_seal: SecretSeal  # queued mail, sealed under the server's secret key
    mail: MailWorker  # the mail outbox's worker
    deferred: Deferred  # what requests start and do not wait for (password resets)
    housekeeping: list[Periodic]

    @classmethod
    def build(cls, settings: Settings) -> Services:
        db = Database(settings.resolved_database_url)
        tokens = WebsocketTokens(settings.signing_key)
        files = build_file_store(settings)
        token_uses = TokenUses(db)
        secret_seal = SecretSeal(settings.signing_key)
        public_views = Views(settings.resolved_static_url, tokens.issue, reveal_tokens=False)
        deferred = Deferred()
        mailer = Mailer.build(settings)
        sealed_mail = mail_seal(settings.signing_key)
        hub = Hub(settings.ws_queue_limit)
        services = cls(
            settings=settings,
            db=db,
            writer=MessageWriter(
                db, now_microseconds, settings.write_batch_max, partial(reopen_for_visitors, public_views)
            ),
            files=files,
            websocket_tokens=tokens,
            secret_seal=secret_seal,
            trusted_views=Views(settings.resolved_static_url, tokens.issue, reveal_tokens=True, reveal_emails=True),
            visitor_views=Views(settings.resolved_static_url, tokens.issue, reveal_tokens=True),
            public_views=public_views,
            principals=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            # Like tokens, end users are cached briefly: another process's erasure shows within this time.
            end_users=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            workspaces=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            current_conversations=SharedLookups(CACHE_SIZE, ttl=settings.token_cache_seconds),
            conversation_owners=SharedLookups(CACHE_SIZE),
            token_uses=token_uses,
            hub=hub,
            order=StreamOrder(db, hub.publish),
            broker=build_broker(settings.redis_url),
            presence=Presence(settings.redis_url),
            rate_limits=RateLimits.build(settings),
            agents_online=AgentsOnline(settings.agents_online_cache_seconds),
            webhooks=WebhookWorker(db, settings, secret_seal),
            mailer=mailer,
            mail_seal=sealed_mail,
            mail=MailWorker(db, settings, mailer, sealed_mail),
            deferred=deferred,
            housekeeping=[
                outbox_pruner(db, settings.event_retention_days),
                spool_sweeper(files.staging_dir),
                token_uses.writer(),
                snooze_waker(db, public_views),
            ],
        )
        # Imported here: the notifications read conversations through the services that import this module.
        from parley.services import notifications

        services.mail.compose = partial(notifications.compose, services)
        if services.mailer.configured:
            services.housekeeping.append(notifications.notifier(services))
        db.add_publisher(services.publish)
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
            if event.name in CURRENT_CONVERSATION_CHANGES:
                self.current_conversations.forget(str(event.end_user_id))
        self.order.offer(events)

    async def invalidate(self, stale: Invalidation) -> None:
        """After the commit that made `stale` untrue, before answering: this process forgets it, and every other one
        (the servers' workers, when this is a `parley` command) is told through the broker."""
        self.forget(stale)
        await self.broker.invalidate(stale)

    def forget(self, stale: Invalidation) -> None:
        """Drop what `stale` names from this process's caches, and close the sockets of revoked credentials."""
        tokens, agents, workspaces = set(stale.token_ids), set(stale.agent_ids), set(stale.workspace_ids)
        if tokens or agents or workspaces:
            self.principals.forget_where(
                lambda p: p.token_id in tokens or p.agent_id in agents or p.workspace.id in workspaces
            )
            self.hub.revoke(tokens | agents)
        for workspace_id in workspaces:
            self.workspaces.forget(workspace_id)
        for end_user_id in stale.end_user_ids:
            self.end_users.forget(end_user_id)
            self.current_conversations.forget(end_user_id)
        if stale.conversation_ids:
            gone = set(stale.conversation_ids)
            for conversation_id in gone:
                self.conversation_owners.forget(conversation_id)
            self.current_conversations.forget_where(lambda conversation: conversation.id in gone)

    async def start(self) -> None:
        self.db.start()
        self.writer.start()
        await seal_stored_secrets(self.db, self.secret_seal)
        self.webhooks.start()
        self.mail.start()
        for periodic in self.housekeeping:
            periodic.start()
        await self.broker.start(self.observe, self.forget)

    async def close(self) -> None:
        for periodic in self.housekeeping:
            await periodic.stop()
        await self.token_uses.write()  # the last uses noted
        await self.webhooks.stop()
        await self.mail.stop()
        await self.deferred.close(DEFERRED_CLOSE_SECONDS)
        await self.writer.stop()
        await self.broker.close()
        await self.order.close()
        await self.presence.close()
        await self.rate_limits.close()
        await self.db.dispose()
