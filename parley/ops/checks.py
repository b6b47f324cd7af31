"""Production checks: what `PARLEY_ENV=production` requires before `parley serve` starts, and what `parley check`
prints (the same verdicts, without starting; exit 0 when all pass, 1 otherwise).

- a secret key (`PARLEY_SECRET_KEY`: it signs the visitors' websocket tokens), long and not a placeholder;
- `PARLEY_PUBLIC_URL` on https (tokens travel in headers and websocket URLs);
- no demo workspace (`make run` / `parley demo` make one, with a token printed on a terminal);
- `/metrics` not open to anyone: with metrics on (`PARLEY_METRICS`), `PARLEY_METRICS_TOKEN` is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from parley.config import Settings
from parley.storage.database import Database
from parley.storage.repositories import workspaces as workspace_repo

MIN_SECRET_KEY_LENGTH = 32
DATABASE_TIMEOUT_SECONDS = 10.0
PLACEHOLDER_WORDS = ("change", "secret", "default", "example", "parley", "password", "test", "demo", "xxxx")

OK, FAIL = "ok", "FAIL"


@dataclass(frozen=True, slots=True)
class Verdict:
    level: str  # OK or FAIL
    subject: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.level == FAIL

    def line(self) -> str:
        return f"{self.level:<4}  {self.subject}: {self.detail}"


def secret_key_verdict(settings: Settings) -> Verdict:
    subject = "secret key (PARLEY_SECRET_KEY)"
    key = settings.secret_key or ""
    if not key.strip():
        return Verdict(FAIL, subject, "not set; set it to a long random string, e.g. `openssl rand -base64 48`")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return Verdict(FAIL, subject, f"{len(key)} characters; at least {MIN_SECRET_KEY_LENGTH} are required")
    lowered = key.lower()
    if len(set(key)) < 8 or any(word in lowered for word in PLACEHOLDER_WORDS):
        return Verdict(FAIL, subject, "looks like a placeholder; use a long random string")
    return Verdict(OK, subject, f"set ({len(key)} characters)")


def public_url_verdict(settings: Settings) -> Verdict:
    subject = "public URL (PARLEY_PUBLIC_URL)"
    if not settings.public_url:
        return Verdict(FAIL, subject, f"not set (it defaults to {settings.resolved_public_url}); use https://...")
    parts = urlsplit(settings.public_url)
    if parts.scheme != "https" or not parts.hostname:
        return Verdict(FAIL, subject, f"{settings.public_url} is not an https URL")
    return Verdict(OK, subject, settings.resolved_public_url)


async def demo_workspace_verdict(settings: Settings) -> Verdict:
    subject = "demo workspace"
    db = Database(settings.resolved_database_url)
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            ids = await db.read(workspace_repo.demo_workspace_ids)
    except Exception as exc:  # unreachable, not migrated, ...: the check cannot pass
        return Verdict(FAIL, subject, f"could not look in the database ({type(exc).__name__}); run `parley migrate`")
    finally:
        await db.dispose()
    if ids:
        return Verdict(FAIL, subject, f"present ({', '.join(ids)}); delete it, or use a database without it")
    return Verdict(OK, subject, "none")


def metrics_token_verdict(settings: Settings) -> Verdict:
    subject = "metrics (PARLEY_METRICS_TOKEN)"
    if not settings.metrics:
        return Verdict(OK, subject, "metrics are off")
    if settings.metrics_token is None:
        return Verdict(
            FAIL,
            subject,
            "not set: /metrics is open to anyone who can reach the server; set a long random token, "
            "or PARLEY_METRICS=false",
        )
    return Verdict(OK, subject, "set: /metrics wants it as a bearer token")


def verdicts(settings: Settings) -> list[Verdict]:
    demo = asyncio.run(demo_workspace_verdict(settings))
    return [secret_key_verdict(settings), public_url_verdict(settings), demo, metrics_token_verdict(settings)]


def report(settings: Settings, echo: Callable[[str], object]) -> int:
    """`parley check`: every verdict, one per line; 0 when none failed, else 1."""
    found = verdicts(settings)
    echo(
        f"PARLEY_ENV={settings.env}"
        + ("" if settings.env == "production" else " (serve enforces these only in production)")
    )
    for verdict in found:
        echo(verdict.line())
    failed = [v for v in found if v.failed]
    echo(f"{len(failed)} check(s) failed" if failed else "ready for production")
    return 1 if failed else 0


def production_refusal(settings: Settings) -> str | None:
    """For `parley serve` with PARLEY_ENV=production: the message to refuse with, or None to start."""
    failed = [v for v in verdicts(settings) if v.failed]
    if not failed:
        return None
    lines = "\n".join(f"  {v.line()}" for v in failed)
    return f"PARLEY_ENV=production, and Parley is not ready for it:\n{lines}\n(`parley check` prints every verdict.)"
