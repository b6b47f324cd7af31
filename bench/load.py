"""A realistic load (#21 part 2): 10,000 visitors connected, 300 of them chatting with 20 agents whose consoles receive
the workspace's events, webhooks on; on SQLite with one process, and on PostgreSQL + Redis with two workers (`parley
serve --workers 2`).

Parley runs as operators run it (`parley migrate`, `parley workspaces create`, `parley serve`) in a temporary data
dir, with no PARLEY_* of this environment; on PostgreSQL in a scratch database, with a Redis database of its own
(`--redis`, db 14: the tests use 0) flushed first. Two settings are changed, both because every client here is on
127.0.0.1: PARLEY_RATE_LIMIT_SESSION is lifted (new anonymous widget sessions per client address, 300/minute: the
10,000 visitors all start here), and PARLEY_FETCH_ALLOWLIST=127.0.0.1 (the webhook's receiver is on this machine,
and loopback is refused otherwise). The limits per visitor, per agent and on sign-ins stay as they are.

Everyone starts as in a browser. A visitor: `POST /api/widget/v1/session`, then the widget's websocket. An agent:
created with an email through the External API, invited, chooses a password with the invitation's link, signs in
(`POST /api/agent/v1/sessions`) and opens the console's websocket (and so is online). A chatting visitor's first
message opens their conversation and an agent takes it (`/assign`). Each visitor and agent has HTTP connections of
their own, as browsers do, so that with two workers the requests spread over both. The webhook (every event) points
at a bare HTTP receiver in this process, set once everyone is in: it delivers the load's events only.

The load is open-loop: `--rate` messages a second, both sides together (50: each of 300 conversations has a message
every 6 s, each side one every 12 s, a busy hour's pace), evenly spaced whatever the answers, each conversation's
turns alternating: the visitor (widget API), then its agent (agent API). Timed: from just before the HTTP send to
the frame at the other party's socket (a visitor's message at their agent's console, an agent's at the visitor's
widget socket), for the messages sent in the steady phase (`--seconds`, after `--warmup`). Messages/s counts the
frames that arrived in it; server CPU is utime + stime of `parley serve` and all its workers (/proc/<pid>/stat) over
it, per message; on PostgreSQL that of PostgreSQL and Redis is given beside it (on SQLite the database
is in Parley's process). Webhooks: the message deliveries received in the steady phase, their time from the send,
and how many of the steady phase's messages had none yet at the end. The server's CPU is also sampled for 4 s
before the load, everyone connected: what holding them costs (the server pings each socket every 20 s), which each
message's share above includes.

So that the generator is not what is measured: the idle visitors' sockets are held by a child process; both
processes freeze what they hold once connected (their collectors would otherwise walk every socket while timing);
the timed sends go through a bare HTTP/1.1 client (with httpx, about 4 ms of this process's CPU a request here, the
pacer fell 100-250 ms behind at 100 messages/s) and frames are matched by their `uuid` without parsing them; clients
send no pings of their own (browsers do not), the server's are answered. Reported beside the figures: how late the
pacer sent (p99) and how late each process's loop woke a task sleeping 10 ms (p99), over the steady phase; and the
CPU that the machine's other processes used meanwhile (/proc/stat's busy time less this benchmark's processes and
the database's), since on a shared 2-core machine anything else running skews every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import redis
import uvloop
import websockets

from bench.common import (
    PARLEY,
    browser_socket,
    free_port,
    parley,
    parley_env,
    raise_open_files,
    scratch_postgres,
    started,
    visitor_token,
)

CONFIGURATIONS = {"sqlite": "SQLite, one process", "postgres": "PostgreSQL + Redis, 2 workers"}
TEXT = "Hello, my parcel has not arrived yet. Could you look at order 4711?"
PASSWORD = "a load-test password"
CONNECTING = 48  # visitors being set up at once, each by a client of its own
IDLE_SECONDS = 4  # the server's CPU is sampled this long with everyone connected, before the load


@dataclass(frozen=True)
class Options:
    visitors: int = 10_000
    chatting: int = 300
    consoles: int = 20
    rate: float = 50.0
    warmup: float = 5.0
    seconds: float = 20.0
    postgres: str = "postgresql://postgres@127.0.0.1:5432/test"
    redis: str = "redis://127.0.0.1:6379/14"
    webhooks: bool = True


@dataclass(frozen=True)
class Result:
    configuration: str
    p50_ms: float
    p99_ms: float
    delivered_per_second: float
    cpu_ms_per_message: float
    database_cpu_ms_per_message: float | None  # PostgreSQL's and Redis's
    others_cores: float  # what other processes on the machine used meanwhile
    idle_cores: float  # the server's CPU before the load, with everyone connected (pings, housekeeping)
    errors: int  # steady-phase messages refused, or never at the other party
    short_consoles: int  # steady-phase messages some console did not get
    webhooks: int  # message.created deliveries received in the steady phase
    webhooks_per_second: float
    webhooks_behind: int  # steady-phase messages whose delivery had not come at the end
    webhook_p50_ms: float
    webhook_p99_ms: float
    pacer_lag_p99_ms: float
    loop_lag_p99_ms: float
    idle_loop_lag_p99_ms: float
    setup_seconds: float

    def note(self) -> str:
        database = self.database_cpu_ms_per_message
        return (
            f"{self.cpu_ms_per_message:.2f} ms server CPU a message"
            + ("" if database is None else f" (+ {database:.2f} ms PostgreSQL and Redis)")
            + f", {self.idle_cores:.2f} cores before the load"
            + f"; webhooks: {self.webhooks:,} message deliveries in the steady phase "
            f"({self.webhooks_per_second:.1f}/s), {self.webhook_p50_ms:,.0f} / {self.webhook_p99_ms:,.0f} ms from the "
            f"send, {self.webhooks_behind:,} of its messages undelivered at the end; "
            f"{self.short_consoles} messages missed by a console; generator lag p99: pacer {self.pacer_lag_p99_ms:.1f}"
            f" ms, loops {self.loop_lag_p99_ms:.1f} ms (timing) and {self.idle_loop_lag_p99_ms:.1f} ms (idle sockets);"
            f" other processes on the machine meanwhile: {self.others_cores:.2f} cores"
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


class LoopLag:
    """How late this process's loop wakes a task that sleeps 10 ms at a time, in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append((time.perf_counter() - before - 0.01) * 1000)

    def p99(self) -> float:
        self._task.cancel()
        return percentile(self.samples, 0.99)


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used so far (utime + stime, with those of children that ended) by:"""

    server: float  # `parley serve` with all its workers
    database: float  # PostgreSQL's and Redis's (whoever they serve: on a quiet machine, Parley)
    others: float  # every other process on the machine, this benchmark's own apart

    @staticmethod
    def now(server: int, database: bool) -> Cpu:
        processes = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                text = stat.read_text()
                fields = text[text.rindex(")") + 2 :].split()
                name = text[text.index("(") + 1 : text.rindex(")")]
                processes[int(stat.parent.name)] = (int(fields[1]), name, sum(map(int, fields[11:15])))

        def tree(root: int) -> int:
            def under(pid: int) -> bool:
                while pid > 1 and pid != root:
                    pid = processes[pid][0] if pid in processes else 0
                return pid == root

            return sum(ticks for pid, (_, _, ticks) in processes.items() if under(pid))

        stat = [int(n) for n in Path("/proc/stat").read_text().split()[1:8]]  # the machine's: user ... softirq
        busy = sum(stat) - stat[3] - stat[4]  # but idle and iowait
        # A backend that ended (the pool closes what overflowed) is in its postmaster's children's times.
        used = sum(ticks for _, name, ticks in processes.values() if database and name in ("postgres", "redis-server"))
        tick = os.sysconf("SC_CLK_TCK")
        return Cpu(tree(server) / tick, used / tick, (busy - tree(os.getpid()) - used) / tick)


async def data(response: Any) -> Any:
    """The envelope's data of an awaited httpx response, or an error saying what the server answered."""
    answer = await response
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.request.method} {answer.url.path}: {answer.status_code} {answer.text}")
    return answer.json()["data"]


def content_length(head: bytes) -> int:
    return next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))


class Party:
    """A visitor or an agent: their socket, and their keep-alive HTTP/1.1 connections, opened as needed."""

    def __init__(self, base: str, name: str, token: str) -> None:
        self.base, self.name, self.token = base, name, token
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.request = f"POST %s HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.reading: asyncio.Task[None] | None = None  # held: the loop keeps only a weak reference to a task

    async def post(self, path: str, body: object = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        request = self.request % path + f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        while True:
            reused = bool(self.idle)
            reader, writer = self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
            writer.write(request.encode() + payload)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                if not reused:
                    raise
                # an idle connection the server closed after its keep-alive: as a browser, open another
        answer = await reader.readexactly(content_length(head))
        self.idle.append((reader, writer))
        return int(head[9:12]), answer

    async def call(self, path: str, body: object = None) -> Any:
        status, answer = await self.post(path, body)
        if status != 200:
            raise RuntimeError(f"{self.name} POST {path}: {status} {answer[:300]!r}")
        return json.loads(answer)["data"]

    async def listen(self, path: str, on_frame: Callable[[Party, float, str], None]) -> None:
        """Open the socket; every frame goes to `on_frame` with the time it arrived."""
        socket = await browser_socket(self.base, path, self.token)

        async def read() -> None:
            async for raw in socket:
                on_frame(self, time.perf_counter(), str(raw))

        self.reading = asyncio.create_task(read())


@dataclass
class Chat:
    visitor: Party
    agent: Party
    conversation_id: str


@dataclass
class Sent:
    started: float
    to: str  # the party whose socket it is timed at
    ok: bool = False
    arrived: float | None = None
    consoles: int = 0
    hooked: float | None = None


class Webhooks:
    """A bare HTTP/1.1 receiver: the time and body of every POST, answered 204."""

    def __init__(self) -> None:
        self.received: list[tuple[float, bytes]] = []
        self._listening: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    async def start(self) -> str:
        self._listening = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._listening.sockets[0].getsockname()[1]}/hooks"

    async def stop(self) -> None:
        """Every connection closed and its task ended (a task left to be cancelled with the loop makes Python
        3.11's stream callback raise)."""
        if self._listening is not None:
            self._listening.close()
        for writer in self._connections.values():
            writer.close()
        await asyncio.gather(*self._connections)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.received.append((time.perf_counter(), await reader.readexactly(content_length(head))))
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        writer.close()


class Load:
    def __init__(self, base: str, workspace: dict[str, str], options: Options) -> None:
        self.base, self.workspace, self.options = base, workspace, options
        self.sent: dict[str, Sent] = {}
        self.consoles: list[Party] = []
        self.chats: list[Chat] = []

    def frame(self, party: Party, now: float, raw: str) -> None:
        """A frame at `party`'s socket: one of ours (found by its uuid, unparsed) is counted and timed."""
        at = raw.find('"uuid":"load-') + 8
        if at < 8 or '"event":"message.created"' not in raw:
            return
        if (sent := self.sent.get(raw[at : raw.index('"', at)])) is None:
            return
        if party.name.startswith("agent"):
            sent.consoles += 1
        if sent.to == party.name and sent.arrived is None:
            sent.arrived = now

    async def sign_in(self, api: httpx.AsyncClient, anonymous: httpx.AsyncClient, n: int) -> Party:
        """An agent as a person: created with an email, invited, a password chosen, signed in, console open."""
        email = f"agent{n}@load.example"
        body = {"serviceUserId": f"agent-{n}", "name": f"Agent {n}", "email": email}
        agent = await data(api.post("/api/external/v1/agents", json=body))
        invitation = await data(api.post(f"/api/external/v1/agents/{agent['id']}/invite"))
        link = invitation["inviteUrl"].split("#token=", 1)[1]
        await data(anonymous.post("/api/agent/v1/invitations/accept", json={"token": link, "password": PASSWORD}))
        body = {"workspaceId": self.workspace["id"], "email": email, "password": PASSWORD}
        session = await data(anonymous.post("/api/agent/v1/sessions", json=body))
        party = Party(self.base, f"agent{n}", session["token"])
        await party.listen("/api/agent/v1/ws", self.frame)
        return party

    async def open_chats(self, site_key: str, numbers: range) -> list[Chat]:
        """These visitors, one after the other, each in a conversation their agent has taken."""
        chats = []
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as anonymous:
            for n in numbers:
                visitor = Party(self.base, f"visitor{n}", await visitor_token(anonymous, site_key))
                await visitor.listen("/api/widget/v1/ws", self.frame)
                opened = await visitor.call("/api/widget/v1/messages", {"uuid": f"hello-{n}", "text": "Hello"})
                agent = self.consoles[n % len(self.consoles)]
                await agent.call(f"/api/agent/v1/conversations/{opened['conversationId']}/assign")
                chats.append(Chat(visitor, agent, opened["conversationId"]))
        return chats

    async def send(self, i: int) -> None:
        chat = self.chats[i % len(self.chats)]
        if (i // len(self.chats)) % 2 == 0:
            sender, receiver, path = chat.visitor, chat.agent, "/api/widget/v1/messages"
        else:
            sender, receiver = chat.agent, chat.visitor
            path = f"/api/agent/v1/conversations/{chat.conversation_id}/messages"
        uuid = f"load-{i}"
        sent = self.sent[uuid] = Sent(time.perf_counter(), receiver.name)
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            sent.ok = (await sender.post(path, {"uuid": uuid, "text": TEXT}))[0] == 200

    async def measure(self, configuration: str, server_pid: int) -> Result:
        options, began = self.options, time.perf_counter()
        spawn = multiprocessing.get_context("spawn")
        idle_pipe, child_pipe = spawn.Pipe()
        async with (
            httpx.AsyncClient(
                base_url=self.base, headers={"Authorization": self.workspace["token"]}, timeout=60
            ) as api,
            httpx.AsyncClient(base_url=self.base, timeout=60) as anonymous,
        ):
            site_key = (await data(api.get("/api/external/v1/widget-settings")))["siteKey"]
            idle = spawn.Process(
                target=hold, args=(self.base, site_key, options.visitors - options.chatting, child_pipe)
            )
            idle.start()
            signing_in = (self.sign_in(api, anonymous, n) for n in range(options.consoles))
            self.consoles = list(await asyncio.gather(*signing_in))
            shares = [range(k, options.chatting, CONNECTING) for k in range(CONNECTING)]
            opened = await asyncio.gather(*(self.open_chats(site_key, numbers) for numbers in shares))
            self.chats = [chat for chats in opened for chat in chats]
            await asyncio.to_thread(idle_pipe.recv)  # every idle visitor is connected
            hooks = Webhooks()
            if options.webhooks:
                await data(api.put("/api/external/v1/webhook", json={"url": await hooks.start()}))
        setup = time.perf_counter() - began
        gc.collect()
        gc.freeze()
        database = configuration == "postgres"
        idle_before = await asyncio.to_thread(Cpu.now, server_pid, database)
        await asyncio.sleep(IDLE_SECONDS)
        idle_cores = (
            (await asyncio.to_thread(Cpu.now, server_pid, database)).server - idle_before.server
        ) / IDLE_SECONDS

        start = time.perf_counter() + 0.5
        window = (start + options.warmup, start + options.warmup + options.seconds)

        async def watch() -> tuple[Cpu, Cpu, float]:
            """The CPU used before and after the steady phase, and this loop's lag in it."""
            await asyncio.sleep(window[0] - time.perf_counter())
            before = await asyncio.to_thread(Cpu.now, server_pid, database)
            idle_pipe.send("start")
            lag = LoopLag()
            await asyncio.sleep(window[1] - time.perf_counter())
            after = await asyncio.to_thread(Cpu.now, server_pid, database)
            idle_pipe.send("stop")
            return before, after, lag.p99()

        watching = asyncio.create_task(watch())
        sending, pacer_lag = set(), []
        for i in range(round((options.warmup + options.seconds) * options.rate)):
            due = start + i / options.rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if window[0] <= due < window[1]:
                pacer_lag.append((time.perf_counter() - due) * 1000)
            sending.add(asyncio.create_task(self.send(i)))
        before, after, loop_lag = await watching
        idle_lag = await asyncio.to_thread(idle_pipe.recv)
        await asyncio.gather(*sending)
        for _ in range(50):  # what is still on its way, to the other party and every console: 5 s at most
            if all(sent.arrived and sent.consoles == len(self.consoles) for sent in self.sent.values() if sent.ok):
                break
            await asyncio.sleep(0.1)
        idle.join(timeout=30)
        await hooks.stop()

        for received, body in hooks.received:
            event = json.loads(body)
            if event["event"] == "message.created" and (sent := self.sent.get(event["data"].get("uuid"))):
                sent.hooked = received
        steady = [sent for sent in self.sent.values() if window[0] <= sent.started < window[1]]
        latencies = [(sent.arrived - sent.started) * 1000 for sent in steady if sent.arrived]
        hooked = [(sent.hooked - sent.started) * 1000 for sent in steady if sent.hooked]
        delivered = sum(1 for sent in self.sent.values() if sent.arrived and window[0] <= sent.arrived < window[1])
        webhooks = sum(1 for sent in self.sent.values() if sent.hooked and window[0] <= sent.hooked < window[1])
        return Result(
            configuration=configuration,
            p50_ms=statistics.median(latencies),
            p99_ms=percentile(latencies, 0.99),
            delivered_per_second=delivered / options.seconds,
            cpu_ms_per_message=(after.server - before.server) * 1000 / max(1, delivered),
            database_cpu_ms_per_message=(after.database - before.database) * 1000 / max(1, delivered)
            if database
            else None,
            others_cores=(after.others - before.others) / options.seconds,
            idle_cores=idle_cores,
            errors=sum(1 for sent in steady if not (sent.ok and sent.arrived)),
            short_consoles=sum(1 for sent in steady if sent.consoles < len(self.consoles)),
            webhooks=webhooks,
            webhooks_per_second=webhooks / options.seconds,
            webhooks_behind=sum(1 for sent in steady if sent.ok and not sent.hooked) if options.webhooks else 0,
            webhook_p50_ms=percentile(hooked, 0.5),
            webhook_p99_ms=percentile(hooked, 0.99),
            pacer_lag_p99_ms=percentile(pacer_lag, 0.99),
            loop_lag_p99_ms=loop_lag,
            idle_loop_lag_p99_ms=idle_lag,
            setup_seconds=setup,
        )


def hold(base: str, site_key: str, count: int, pipe: Connection) -> None:
    """The idle visitors, in a process of their own: started as the widget starts them, then held until told."""

    async def visitors(count: int) -> list[websockets.ClientConnection]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            return [
                await browser_socket(base, "/api/widget/v1/ws", await visitor_token(http, site_key))
                for _ in range(count)
            ]

    async def main() -> None:
        shares = [len(range(k, count, CONNECTING)) for k in range(CONNECTING)]
        sockets = await asyncio.gather(*(visitors(n) for n in shares))
        gc.collect()
        gc.freeze()
        pipe.send(sum(map(len, sockets)))
        await asyncio.to_thread(pipe.recv)  # the steady phase begins
        lag = LoopLag()
        await asyncio.to_thread(pipe.recv)
        pipe.send(lag.p99())

    uvloop.run(main())


def run(configuration: str, options: Options) -> Result:
    """One configuration, start to end: its own server, data dir and database."""
    raise_open_files()
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = {"RATE_LIMIT_SESSION": "", "FETCH_ALLOWLIST": "127.0.0.1"}  # see the module's docstring
        database_url, workers = None, 1
        if configuration == "postgres":
            database_url, workers = stack.enter_context(scratch_postgres(options.postgres)), 2
            redis.Redis.from_url(options.redis).flushdb()
            settings["REDIS_URL"] = options.redis
        env = parley_env(directory, database_url, **settings)
        parley(env, "migrate")
        workspace = json.loads(parley(env, "workspaces", "create", "load", "--json"))
        port = free_port()
        command = [PARLEY, "serve", "--port", str(port), "--workers", str(workers)]
        server = stack.enter_context(started(command, env, port))
        return uvloop.run(Load(f"http://127.0.0.1:{port}", workspace, options).measure(configuration, server.pid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Options()
    parser.add_argument("--visitors", type=int, default=defaults.visitors, help="visitors connected, chatting or not")
    parser.add_argument("--chatting", type=int, default=defaults.chatting, help="visitors in a conversation")
    parser.add_argument("--consoles", type=int, default=defaults.consoles, help="agents, each with a console open")
    parser.add_argument("--rate", type=float, default=defaults.rate, help="messages a second, both sides together")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds of load before the timing")
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="seconds of the timed steady phase")
    parser.add_argument("--postgres", default=os.environ.get("PARLEY_BENCH_POSTGRES_URL", defaults.postgres))
    parser.add_argument("--redis", default=defaults.redis, help="a Redis database of the benchmark's own (flushed)")
    parser.add_argument("--no-webhooks", dest="webhooks", action="store_false", help="to see what webhooks cost")
    parser.add_argument("--configurations", nargs="+", choices=list(CONFIGURATIONS), default=list(CONFIGURATIONS))
    args = parser.parse_args()
    options = Options(**{k: v for k, v in vars(args).items() if k != "configurations"})
    for configuration in args.configurations:
        result = run(configuration, options)
        print(
            f"{CONFIGURATIONS[configuration]}: delivery p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"{result.delivered_per_second:,.1f} msgs/s, {result.errors} errors; {result.note()}; "
            f"set up in {result.setup_seconds:.0f} s"
        )


if __name__ == "__main__":
    main()
