"""Search figures: `GET /search` latency over 1,000,000 messages in 100,000 conversations, in a workspace beside a
second one of the same size, on SQLite and on PostgreSQL (issue #18: median under 50 ms, p99 under 200 ms).

The rows are written straight into the migrated database by one INSERT ... SELECT per table (through the API they
would take hours); the search indexes are the migrations' own, filled by their triggers (SQLite) or index builds
(PostgreSQL) as the rows go in, exactly as the message path fills them. Message `j` of a workspace goes to
conversation `j mod 100,000`, one millisecond after message `j - 1`, so conversations interleave in time as a live
site's do. Its text names two of five common words (each is in about 36 % of the messages) and a reference
`ref<n>` with `n = (j div 10) * 7919 mod 100,000`: every reference is in exactly 10 messages, of 10 conversations
(7919 is prime to 100,000).

Queries, each timed `--searches` times through HTTP against `parley serve` after a warm-up:
- common: one common word (hundreds of thousands of matches: only the newest 20 conversations are wanted);
- two common words: both must be in one message;
- rare: one reference, a different one each time (10 matches, 110 with the prefix rule on the last word);
- none: a word in no message.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import BIN, free_port, parley_env, scratch_postgres, server

COMMON = ("order", "delivery", "refund", "account", "payment")
REFERENCES = 100_000
BASE_MICROSECONDS = 1_700_000_000_000_000


@dataclass(frozen=True)
class Figure:
    query: str
    p50_ms: float
    p99_ms: float
    results: int  # conversations found by the last search of this kind


def _sqlite_fill(workspace_ids: list[str], conversations: int, messages: int) -> list[str]:
    """The statements that fill the workspaces on SQLite, their rows interleaved: row `r` is workspace `r mod W`'s
    `r div W`-th, as the rows of tenants served at once are."""
    seconds = BASE_MICROSECONDS // 1_000_000
    count = len(workspace_ids)
    workspace = "json_extract('" + json.dumps(workspace_ids) + f"', '$[' || (r % {count}) || ']')"
    uid = "printf('%08d-{kind}-4000-8000-%012d', r % " + str(count) + ", {n})"
    words = json.dumps(COMMON)
    return [
        f"""WITH RECURSIVE n(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM n WHERE r < {count * conversations - 1})
        INSERT INTO end_users (id, workspace_id, name, email, meta, created_at, updated_at)
        SELECT {uid.format(kind="eu00", n=f"r / {count}")}, {workspace}, 'Visitor ' || (r / {count}),
               'visitor' || (r / {count}) || '@example.com', '{{}}', {seconds}, {seconds} FROM n""",
        f"""WITH RECURSIVE n(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM n WHERE r < {count * conversations - 1})
        INSERT INTO conversations (id, workspace_id, end_user_id, locked, status, last_microseconds, created_us,
                                   created_at, updated_at)
        SELECT {uid.format(kind="cv00", n=f"r / {count}")}, {workspace}, {uid.format(kind="eu00", n=f"r / {count}")},
               0, 'open', {BASE_MICROSECONDS} + ({messages - conversations} + r / {count}) * 1000,
               {BASE_MICROSECONDS} + (r / {count}) * 1000, {seconds}, {seconds} FROM n""",
        f"""WITH RECURSIVE n(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM n WHERE r < {count * messages - 1}),
        w(k, word) AS (SELECT key, value FROM json_each('{words}')),
        m(r, j) AS (SELECT r, r / {count} FROM n)
        INSERT INTO messages (id, workspace_id, conversation_id, status, type, body, end_user_id, microseconds,
                              source, created_at, updated_at)
        SELECT {uid.format(kind="ms00", n="j")}, {workspace}, {uid.format(kind="cv00", n=f"j % {conversations}")},
               'delivered', 'text',
               'hello, my ' || (SELECT word FROM w WHERE k = j % 5) || ' and the '
                   || (SELECT word FROM w WHERE k = (j % 5 + 1 + (j / 5) % 4) % 5)
                   || ': ref' || (j / 10 * 7919 % {REFERENCES}) || ', thanks',
               {uid.format(kind="eu00", n=f"j % {conversations}")},
               {BASE_MICROSECONDS} + j * 1000, 'widget', {seconds}, {seconds} FROM m""",
    ]


def _postgres_fill(workspace_ids: list[str], conversations: int, messages: int) -> list[str]:
    """The same rows as `_sqlite_fill`, in PostgreSQL's words."""
    seconds = BASE_MICROSECONDS // 1_000_000
    count = len(workspace_ids)
    workspace = "(ARRAY[" + ", ".join(f"'{id_}'" for id_ in workspace_ids) + f"])[r % {count} + 1]"
    uid = "lpad((r % " + str(count) + ")::text, 8, '0') || '-{kind}-4000-8000-' || lpad(({n})::text, 12, '0')"
    words = "(ARRAY[" + ", ".join(f"'{word}'" for word in COMMON) + "])"
    return [
        f"""INSERT INTO end_users (id, workspace_id, name, email, meta, created_at, updated_at)
        SELECT {uid.format(kind="eu00", n=f"r / {count}")}, {workspace}, 'Visitor ' || (r / {count}),
               'visitor' || (r / {count}) || '@example.com', '{{}}', {seconds}, {seconds}
        FROM generate_series(0, {count * conversations - 1}) AS r""",
        f"""INSERT INTO conversations (id, workspace_id, end_user_id, locked, status, last_microseconds, created_us,
                                   created_at, updated_at)
        SELECT {uid.format(kind="cv00", n=f"r / {count}")}, {workspace}, {uid.format(kind="eu00", n=f"r / {count}")},
               false, 'open', {BASE_MICROSECONDS} + ({messages - conversations} + r / {count}) * 1000::bigint,
               {BASE_MICROSECONDS} + (r / {count}) * 1000::bigint, {seconds}, {seconds}
        FROM generate_series(0, {count * conversations - 1}) AS r""",
        f"""INSERT INTO messages (id, workspace_id, conversation_id, status, type, body, end_user_id, microseconds,
                              source, created_at, updated_at)
        SELECT {uid.format(kind="ms00", n="j")}, {workspace}, {uid.format(kind="cv00", n=f"j % {conversations}")},
               'delivered', 'text',
               'hello, my ' || {words}[j % 5 + 1] || ' and the ' || {words}[(j % 5 + 1 + (j / 5) % 4) % 5 + 1]
                   || ': ref' || (j / 10 * 7919 % {REFERENCES}) || ', thanks',
               {uid.format(kind="eu00", n=f"j % {conversations}")},
               {BASE_MICROSECONDS} + j::bigint * 1000, 'widget', {seconds}, {seconds}
        FROM generate_series(0, {count * messages - 1}) AS r, LATERAL (SELECT r / {count} AS j) AS m""",
    ]


def fill(database_url: str | None, data_dir: Path, workspace_ids: list[str], conversations: int, messages: int) -> None:
    if database_url is None:
        connection = sqlite3.connect(data_dir / "parley.db")
        try:
            for statement in _sqlite_fill(workspace_ids, conversations, messages):
                connection.execute(statement)
            connection.commit()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        return
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            for statement in _postgres_fill(workspace_ids, conversations, messages):
                await connection.execute(statement)
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    asyncio.run(run())


def queries(kind: str, rng: random.Random) -> str:
    if kind == "common word":
        return rng.choice(COMMON)
    if kind == "two common words":
        return " ".join(rng.sample(COMMON, 2))
    if kind == "rare word":
        return f"ref{rng.randrange(REFERENCES)}"
    return "nowhere"


KINDS = ("common word", "two common words", "rare word", "no match")


def measure(base: str, token: str, searches: int) -> list[Figure]:
    rng = random.Random(18)
    figures = []
    with httpx.Client(base_url=base, headers={"Authorization": token}, timeout=60) as client:
        for kind in KINDS:
            for _ in range(5):  # warm-up
                client.get("/api/external/v1/search", params={"q": queries(kind, rng)}).raise_for_status()
            timings, found = [], 0
            for _ in range(searches):
                started = time.perf_counter()
                answer = client.get("/api/external/v1/search", params={"q": queries(kind, rng)})
                timings.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
                found = len(answer.json()["data"])
            timings.sort()
            p99 = timings[min(len(timings) - 1, round(len(timings) * 0.99))]
            figures.append(Figure(kind, statistics.median(timings), p99, found))
    return figures


def run(
    env: dict[str, str], data_dir: Path, database_url: str | None, conversations: int, messages: int, searches: int
) -> tuple[list[Figure], float]:
    """Migrate, make two workspaces, fill both, serve, and time the searches of the first; returns the figures and
    the seconds the fill took."""
    parley = str(BIN / "parley")
    subprocess.run([parley, "migrate"], env=env, check=True, capture_output=True)
    created = [
        json.loads(
            subprocess.run(
                [parley, "workspaces", "create", f"search-{index}", "--json"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for index in range(2)
    ]
    started = time.monotonic()
    fill(database_url, data_dir, [workspace["id"] for workspace in created], conversations, messages)
    filled = time.monotonic() - started
    port = free_port()
    with server([parley, "serve", "--host", "127.0.0.1", "--port", str(port)], env, port) as base:
        return measure(base, created[0]["token"], searches), filled


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("PARLEY_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        figures, seconds = run(
            parley_env(Path(directory), None), Path(directory), None, args.conversations, args.messages, args.searches
        )
        print("SQLite", f"filled in {seconds:.0f} s", *figures, sep="\n")
    if args.postgres:
        with scratch_postgres(args.postgres) as url, tempfile.TemporaryDirectory() as directory:
            env = parley_env(Path(directory), url)
            figures, seconds = run(env, Path(directory), url, args.conversations, args.messages, args.searches)
            print("PostgreSQL", f"filled in {seconds:.0f} s", *figures, sep="\n")
