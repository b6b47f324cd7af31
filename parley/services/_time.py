"""The clock, in the units the wire uses."""

import time

MICROSECONDS_PER_DAY = 86_400 * 1_000_000


def now_seconds() -> int:
    return int(time.time())


def now_microseconds() -> int:
    return time.time_ns() // 1000
