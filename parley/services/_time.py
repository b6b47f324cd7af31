"""The clock, in the units the wire uses."""

import time


def now_seconds() -> int:
    return int(time.time())


def now_microseconds() -> int:
    return time.time_ns() // 1000
