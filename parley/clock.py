"""The wall clock, read in this one place, in the units the wire and the tables use.

Durations are measured with `time.monotonic` or `time.perf_counter` instead: the wall clock can jump.
"""

import time

MICROSECONDS_PER_DAY = 86_400 * 1_000_000


def now() -> float:
    """Seconds since the epoch, with their fraction (for expiries and ages)."""
    return time.time()


def now_seconds() -> int:
    return int(time.time())


def now_microseconds() -> int:
    return time.time_ns() // 1000
