"""What decoding an image costs, measured: the worst image the budget accepts, in a fresh process each time.

The figure held: with the default budget (``PARLEY_IMAGE_DECODE_MAX_BYTES``, 128 MiB) the worst accepted image
grows a process's peak resident size by less than 176 MiB (the decoded pixels, at most the budget, plus the reduced
copy the thumbnails are made from). Before the budget, a 7000 x 7000 16-bit RGBA PNG of 381 KB added 386 MiB.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from parley.errors import ParleyError
from parley.files.images import render_thumbnails
from tests.support.files import DECODE_BYTES

MiB = 1024 * 1024
WORST_GROWTH = 176 * MiB


def _png(path: Path, width: int, height: int, bit_depth: int, colour_type: int, channels: int) -> Path:
    """A valid, highly compressible PNG of the given header, written a row at a time (never whole in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\0" + bytes(width * channels * bit_depth // 8)
    idat = b"".join([*(compressor.compress(row) for _ in range(height)), compressor.flush()])
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def _growth(files: list[Path], concurrency: int = 1) -> int:
    """Peak resident growth, in bytes, of a fresh process rendering ``files`` at once."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.decode_memory", str(DECODE_BYTES), str(concurrency), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    return int(result.stdout.strip())


def _worst_accepted(tmp_path: Path) -> dict[str, Path]:
    """One image per kind of decode, each as large as the default budget lets it be."""
    webp = tmp_path / "rgba.webp"
    Image.new("RGBA", (2896, 2896), (10, 20, 30, 40)).save(webp, "WEBP", quality=50, method=0)
    progressive = tmp_path / "progressive.jpeg"
    Image.new("RGB", (6000, 6000), (200, 30, 90)).save(progressive, "JPEG", progressive=True, quality=90)
    return {
        "rgba png": _png(tmp_path / "rgba.png", 5792, 5792, 8, 6, 4),  # 4 bytes a pixel: 128 MiB
        "16-bit grey png": _png(tmp_path / "grey16.png", 8192, 8192, 16, 0, 1),  # 2 bytes a pixel: 128 MiB
        "palette png": _png(tmp_path / "palette.png", 8192, 8192, 8, 0, 1),  # the pixel cap comes first
        "rgba webp": webp,  # decoded four times over: 128 MiB
        "progressive jpeg": progressive,  # coefficients at full size, pixels at draft scale
    }


def test_the_worst_accepted_images_stay_under_the_stated_growth(tmp_path: Path) -> None:
    for kind, path in _worst_accepted(tmp_path).items():
        growth = _growth([path])

        assert growth < WORST_GROWTH, f"{kind}: {growth / MiB:.0f} MiB"


def test_decodes_past_the_concurrency_limit_wait_instead_of_adding_memory(tmp_path: Path) -> None:
    images = [_png(tmp_path / f"rgba-{n}.png", 5792, 5792 - n, 8, 6, 4) for n in range(3)]

    growth = _growth(images, concurrency=1)

    assert growth < WORST_GROWTH  # one decode's worth, not three


@pytest.mark.parametrize(
    ("width", "height", "bit_depth", "colour_type", "channels"),
    [
        (7000, 7000, 16, 6, 4),  # the audit's 381 KB PNG: 392 MB of 16-bit samples
        (5793, 5793, 8, 6, 4),  # one pixel a side past the budget
    ],
)
def test_an_image_over_the_budget_is_refused_from_its_header(
    tmp_path: Path, width: int, height: int, bit_depth: int, colour_type: int, channels: int
) -> None:
    path = _png(tmp_path / "large.png", width, height, bit_depth, colour_type, channels)

    with pytest.raises(ParleyError) as caught:
        render_thumbnails(path, "png", DECODE_BYTES)

    assert (caught.value.status, caught.value.code) == (422, "unsupported_media_type")
