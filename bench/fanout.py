"""Fan-out: the event loop's time to hand one event to the sockets it is for, with 1,000 and with 20,000 visitors
connected (#21: at most 1.5x as much at 20,000 as at 1,000).

In one process, the real hub (parley/realtime/hub.py) with every visitor's subscription (a conversation each,
and the agent assigned to it) and 20 agents' consoles, each woken as a socket's sender is when it has something to
send; the events are frames of the sizes Parley stores. Timed: `Hub.publish` of one `message.created` to a random
conversation, and of one `conversation.created` for a random visitor (whose sockets then follow it). Before #21
every event was offered to every socket of the workspace and each visitor's filter parsed it: 8 ms a
`conversation.created` at 1,000 visitors, 58 ms at 10,000 (the issue's measurement).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import dataclass
from functools import partial

from parley.realtime.hub import Hub, Subscription
from parley.storage.records import NewEvent

WORKSPACE = "0190c000-0000-7000-8000-000000000000"
AGENTS = 20


@dataclass(frozen=True)
class Figure:
    event: str
    visitors: int
    p50_us: float
    p99_us: float


def frame(name: str, conversation_id: str, data: dict[str, object]) -> str:
    body = {"event": name, "id": "e", "workspaceId": WORKSPACE, "conversationId": conversation_id}
    return json.dumps({**body, "microseconds": 1, "createdAt": 1, "data": data}, separators=(",", ":"))


def measure(visitors: int, samples: int) -> list[Figure]:
    hub = Hub()
    ready: list[Subscription] = []  # woken, as a socket's sender is: drained outside the timed part
    for n in range(visitors):
        subscription = hub.subscribe_visitor(WORKSPACE, f"u{n}", {f"c{n}"}, {f"a{n % AGENTS}"})
        subscription.on_ready = partial(ready.append, subscription)
    for n in range(AGENTS):
        console = hub.subscribe_agent(WORKSPACE, f"a{n}", frozenset({f"t{n}"}))
        console.on_ready = partial(ready.append, console)

    text = {"id": "m", "type": "text", "body": "Hello, my parcel has not arrived yet.", "status": "delivered"}
    message = frame("message.created", "c", text)
    conversation = {"id": "c", "status": "open", "labels": [], "endUser": {"id": "u", "name": "Vera", "meta": {}}}
    opened = frame("conversation.created", "c", conversation)

    def a_message(i: int) -> NewEvent:
        return NewEvent(f"m{i}", WORKSPACE, f"c{random.randrange(visitors)}", "message.created", message, 1, 0)

    def a_new_conversation(i: int) -> NewEvent:
        end_user_id = f"u{random.randrange(visitors)}"
        return NewEvent(f"n{i}", WORKSPACE, f"new{i}", "conversation.created", opened, 1, 0, end_user_id=end_user_id)

    figures = []
    for name, make in (("message.created", a_message), ("conversation.created", a_new_conversation)):
        timings = []
        for i in range(samples):
            event = make(i)
            started = time.perf_counter_ns()
            hub.publish([event])
            timings.append((time.perf_counter_ns() - started) / 1000)
            for subscription in ready:
                subscription.take()
            ready.clear()
        timings.sort()
        figures.append(Figure(name, visitors, statistics.median(timings), timings[int(len(timings) * 0.99) - 1]))
    return figures


def run(samples: int = 2_000, sizes: tuple[int, ...] = (1_000, 20_000)) -> list[Figure]:
    return [figure for visitors in sizes for figure in measure(visitors, samples)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=2_000)
    args = parser.parse_args()
    for figure in run(args.samples):
        timing = f"p50 {figure.p50_us:7.1f} µs, p99 {figure.p99_us:7.1f} µs"
        print(f"{figure.event:22} {figure.visitors:>6,} visitors: {timing}")


if __name__ == "__main__":
    main()
