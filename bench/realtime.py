"""Realtime figures: delivery latency (API call -> frame at the visitor's websocket) with many visitors
connected, and the server's memory per idle authenticated, subscribed connection.

The server runs alone (`parley serve`, SQLite, its default websocket implementation unless `--ws` names
another); this process holds every websocket, opened as a browser opens one (no pings of its own: with
websockets' default of one every 20 s, 19,500 sockets sent the server 975 a second), and sends the messages, one
at a time. `make bench` runs it after
the HTTP benchmark and puts its figures in the same table (`bench/run.py`).

Memory per connection is the slope of the server's RSS between the first fifth of the visitors connected and all of
them: what each further connection costs, without the fixed costs the first ones set off (the database readers'
page caches filling as sockets replay, allocator arenas).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import PARLEY, browser_socket, free_port, parley, parley_env, raise_open_files, started, visitor_token

WARM_UP = 20
SAMPLES = 1000  # 10 above the p99: with 300, it was the third-worst send, which one hiccup of the machine decides


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def run(visitors: int, samples: int, ws_impl: str | None = None) -> dict[str, float]:
    raise_open_files()
    with tempfile.TemporaryDirectory() as directory:
        # Every visitor starts from this one address: the per-address limit on new sessions is lifted.
        settings = {"RATE_LIMIT_SESSION": ""} | ({"WS_IMPLEMENTATION": ws_impl} if ws_impl else {})
        env = parley_env(Path(directory), None, **settings)
        parley(env, "migrate")
        parley(env, "workspaces", "create", "bench")
        site_key = json.loads(parley(env, "workspaces", "list", "--json"))[0]["siteKey"]
        port = free_port()
        with started([PARLEY, "serve", "--port", str(port)], env, port) as server:
            return asyncio.run(measure(port, server.pid, site_key, visitors, samples))


async def measure(port: int, pid: int, site_key: str, visitors: int, samples: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=32)) as http:
        gate = asyncio.Semaphore(16)

        async def session() -> str:
            """A visitor whose first message has opened their conversation: what is timed is the steady path."""
            async with gate:
                token = await visitor_token(http, site_key)
                opened = await http.post(
                    "/api/widget/v1/messages",
                    json={"uuid": "hello", "text": "hello"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if opened.status_code != 200:
                    raise RuntimeError(f"a first message was refused: {opened.status_code} {opened.text[:300]}")
            return token

        tokens = await asyncio.gather(*(session() for _ in range(visitors)))
        sockets = []
        first = max(1, visitors // 5)

        async def connect(batch: list[str]) -> int:
            for token in batch:
                sockets.append(await browser_socket(f"http://127.0.0.1:{port}", "/api/widget/v1/ws", token))
            await asyncio.sleep(2)
            return rss_kib(pid)

        before = await connect(tokens[:first])
        per_connection_kib = (await connect(tokens[first:]) - before) / max(1, visitors - first)
        # This process's own collector would otherwise walk every client socket now and then, and its pauses
        # would count as the server's latency: what it holds so far is never collected while it is timed.
        gc.collect()
        gc.freeze()

        async def delivery(i: int) -> float:
            """Milliseconds from a random visitor's send to the frame at that visitor's socket."""
            index = random.randrange(visitors)
            started = time.perf_counter()
            await http.post(
                "/api/widget/v1/messages",
                json={"uuid": f"bench-{i}", "text": "ping"},
                headers={"Authorization": f"Bearer {tokens[index]}"},
            )
            while json.loads(await sockets[index].recv())["event"] != "message.created":
                pass
            return (time.perf_counter() - started) * 1000

        # The first sends after minutes of connecting pay once for what the steady path has at hand (measured at
        # 19,500 visitors: the first took 29.6 ms, the 299 after it 2-12): they are not timed.
        for i in range(WARM_UP):
            await delivery(-1 - i)
        latencies = [await delivery(i) for i in range(samples)]
        for socket in sockets:
            await socket.close()
    latencies.sort()
    return {
        "visitors": visitors,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "kib_per_connection": per_connection_kib,
        "connections_per_gib": 1024 * 1024 / max(per_connection_kib, 0.001),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--ws", default=None, choices=["websockets", "websockets-sansio", "wsproto"])
    args = parser.parse_args()
    result = run(args.visitors, args.samples, args.ws)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
