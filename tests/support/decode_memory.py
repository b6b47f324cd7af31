"""Run as ``python -m tests.support.decode_memory <max bytes> <concurrency> <file>...``: renders every file's
thumbnails at once through one ``Thumbnailer`` in this fresh process and prints how far the peak resident size grew
(in bytes) above what it was before, so the figure holds the decoding alone."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from parley.files.images import Thumbnailer


def peak_resident_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


async def main(max_bytes: int, concurrency: int, files: list[Path]) -> None:
    thumbnailer = Thumbnailer(max_bytes, concurrency)
    before = peak_resident_bytes()
    rendered = await asyncio.gather(*(thumbnailer.render(path, path.suffix[1:]) for path in files))
    assert all(set(thumbnails) == {"120x120", "520x400"} for thumbnails in rendered)
    print(peak_resident_bytes() - before)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), [Path(name) for name in sys.argv[3:]]))
