"""Configuration, read once from ``PARLEY_*`` environment variables."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = ""
    redis_url: str | None = None
    data_dir: Path = Path("./var")
    public_url: str = ""
    static_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    bootstrap_token: str | None = None
    secret_key: str | None = None
    fetch_allowlist: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed; none by default, so
    # the client address is the connection's and a client cannot name its own (docs/deploy.md).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    max_text_length: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_file_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    # Images: decoding one (for thumbnails) may hold at most this many bytes of pixels, computed from its header;
    # larger ones are refused (422). At most this many decodes run at once per process (docs/operations.md).
    image_decode_max_bytes: int = Field(default=128 * 1024 * 1024, ge=1024 * 1024)
    image_decode_concurrency: int = Field(default=2, ge=1)
    fetch_connect_timeout: float = 5.0
    fetch_read_timeout: float = 20.0
    fetch_total_timeout: float = Field(default=120.0, gt=0)
    token_cache_seconds: float = 5.0
    write_batch_max: int = Field(default=512, ge=1)

    # Where files live: "local" (under the data dir) or "s3" (any S3-compatible bucket). Credentials left unset
    # come from boto3's usual chain (AWS_* variables, shared config, instance role).
    file_store: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    presence_grace_seconds: float = Field(default=5.0, ge=0)
    ws_queue_limit: int = Field(default=1_000, ge=1)
    ws_max_message_bytes: int = Field(default=65_536, ge=1024)
    ws_ping_interval_seconds: float = Field(default=20.0, gt=0)
    ws_implementation: Literal["websockets", "websockets-sansio", "wsproto"] = "wsproto"
    # How long an idle HTTP connection stays open. It must outlast the keep-alive of whatever reuses connections:
    # nginx's upstream pool and cloud load balancers keep them 60 s, httpx 5 s. uvicorn's own default (5 s) equals
    # httpx's, and a CI run lost a request to it: the client sent on a connection the server was closing that
    # moment, and got no answer (`httpx.ReadError`).
    keep_alive_seconds: float = Field(default=75.0, gt=0)

    # Webhook delivery: a failed POST is retried after `base` seconds (with jitter), the delay doubling up to
    # `max`, until a 2xx or until `window` seconds have passed since the first try (then it is `failed`).
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=86_400.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Whole-request cap of one POST.")
    webhook_lease_seconds: float = Field(default=60.0, gt=0, description="How long a claimed delivery is ours.")
    webhook_poll_seconds: float = Field(default=2.0, gt=0, description="Look for due deliveries at least this often.")
    webhook_concurrency: int = Field(default=16, ge=1, description="POSTs in flight per process.")
    # Events (the websocket replay log, the webhook outbox) and finished deliveries are deleted after this long.
    event_retention_days: float = Field(default=30.0, gt=0)

    # Operations (docs/operations.md). Metrics: `GET /metrics`, bearer-protected when the token is set.
    metrics: bool = True
    metrics_token: SecretStr | None = None
    # The webhook backlog gauges are read from the database at most this often per process, not once per scrape.
    metrics_backlog_seconds: float = Field(default=15.0, ge=0)
    # Logs: one structured line per request; JSON by default when env is production, else text.
    log_format: Literal["json", "text"] | None = None
    # Rate limits in the `limits` notation ("600/minute", "20/second;600/minute"); empty for none. Counted in Redis
    # (shared by every worker) when PARLEY_REDIS_URL is set, else in the process.
    rate_limit_api_token: str = "60000/minute"
    rate_limit_agent_token: str = "6000/minute"
    rate_limit_visitor: str = "600/minute"
    rate_limit_session: str = "300/minute"
    # Failed sign-ins (workflow.md 2): per email in a workspace, and per client address. A success neither counts
    # nor resets the count; an attempt refused with 429 does not count.
    rate_limit_sign_in_email: str = "10/15 minutes"
    rate_limit_sign_in_address: str = "30/15 minutes"
    # Password reset mails per email in a workspace: beyond it the request still answers 200 and mails nothing.
    rate_limit_password_reset: str = "5/hour"
    # Mail (workflow.md 3): `smtp://user:password@host:port` (STARTTLS when offered) or `smtps://...`, and the
    # sender's address. Without both, nothing is mailed.
    smtp_url: SecretStr | None = None
    mail_from: str = ""
    # The mail outbox: a failed send (the SMTP server away, a 4xx answer) is tried again after `base` seconds (with
    # jitter), the delay doubling up to `max`, at most `attempts` times; a permanent refusal (5xx) fails at once.
    mail_retry_base_seconds: float = Field(default=30.0, gt=0)
    mail_retry_max_seconds: float = Field(default=1800.0, gt=0)
    mail_max_attempts: int = Field(default=10, ge=1)
    mail_lease_seconds: float = Field(default=120.0, gt=0, description="How long a claimed mail is ours.")
    mail_poll_seconds: float = Field(default=5.0, gt=0, description="Look for due mail at least this often.")
    mail_concurrency: int = Field(default=4, ge=1, description="SMTP sessions in flight per process.")
    # Agents are mailed about a visitor's messages left unanswered and unread this long (workflow.md 3).
    notify_agent_after_seconds: float = Field(default=120.0, ge=0)
    # Visitors with an email are mailed the agents' messages they left unread this long.
    notify_visitor_after_seconds: float = Field(default=300.0, ge=0)
    # Email replies: the domain of the per-conversation reply addresses (`reply+<token>@<domain>`, its MX pointing
    # at Parley's SMTP listener or a provider forwarding raw mail to POST /api/inbound/email, which takes
    # `Authorization: Bearer <inbound_email_secret>`). Without a domain, visitors' mails have no reply address.
    inbound_email_domain: str = ""
    inbound_email_secret: SecretStr | None = None
    inbound_smtp_port: int | None = Field(default=None, ge=1, le=65535, description="`parley serve` listens for mail.")
    inbound_smtp_host: str = "0.0.0.0"
    max_inbound_email_bytes: int = Field(default=40 * 1024 * 1024, ge=1024, description="A whole mail, encoded.")
    # How long a sign-in's session lasts (the console then asks to sign in again).
    session_days: float = Field(default=30.0, gt=0)

    # The bot (issue 5): "is some agent online?" is cached per workspace for the away message; a status change in
    # this process clears it at once, one in another process is seen within this many seconds.
    agents_online_cache_seconds: float = Field(default=2.0, ge=0)

    @field_validator("fetch_allowlist", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks_only(cls, value: list[str]) -> list[str]:
        """Canonical networks (`10.0.0.7/8` is `10.0.0.0/8`), the form uvicorn's proxy check takes."""
        networks = []
        for entry in value:
            if (network := _as_network(entry)) is None:
                raise ValueError(f"PARLEY_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network")
            networks.append(str(network))
        return networks

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.file_store == "s3" and not self.s3_bucket:
            raise ValueError("PARLEY_S3_BUCKET is required when PARLEY_FILE_STORE=s3")
        return self

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'parley.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def resolved_static_url(self) -> str:
        return (self.static_url or f"{self.resolved_public_url}/static").rstrip("/")

    @cached_property
    def allowlisted_hosts(self) -> frozenset[str]:
        """Allow-list entries that are host names rather than addresses or networks."""
        return frozenset(entry.lower() for entry in self.fetch_allowlist if _as_network(entry) is None)

    @cached_property
    def allowlisted_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(net for entry in self.fetch_allowlist if (net := _as_network(entry)) is not None)

    @cached_property
    def signing_key(self) -> str:
        """The server's secret (it signs visitors' websocket tokens and seals webhook secrets): configured, or
        generated once and kept in the data dir (development only)."""
        if self.secret_key:
            return self.secret_key
        return _shared_generated_key(self.data_dir / "secret_key")


def _shared_generated_key(key_file: Path) -> str:
    """The key in `key_file`, which the first process to get here creates: every worker of `parley serve
    --workers N` starting at once must sign with the same key. A key is written whole to a private temporary file,
    then hard-linked to its name, which fails if the name exists: the file is never seen half-written, and one
    process's key wins whatever the timing. The others (and every later start) read the winner's."""
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=key_file.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another process linked its key first
                os.link(temporary, key_file)
        finally:
            os.unlink(temporary)
    key = key_file.read_text().strip()
    if not key:
        raise ValueError(f"{key_file} is empty: delete it (visitors sign in again) or set PARLEY_SECRET_KEY")
    return key


def _as_network(entry: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
