"""Thumbnails: each image is shrunk to fit the File object's boxes, upright, in sRGB, with no metadata left.

Rules (one place, so the views, the store and the tests agree):
- A thumbnail fits inside its box with the aspect kept, and is never enlarged: an image already inside the box
  keeps its size (it is still re-encoded, so its metadata is gone).
- EXIF orientation is applied, so a phone's sideways JPEG comes out upright.
- Colours are converted to sRGB when the image carries an ICC profile; then every metadata block (EXIF with GPS,
  XMP, ICC, comments, text chunks) is left out.
- JPEG, PNG and WebP thumbnails keep their format; a GIF's thumbnail is a PNG still of its first frame (PNG keeps
  the transparency a re-quantised GIF would lose). An animated WebP or PNG also gives a still of its first frame.

Decoding is what costs memory, so it is bounded before any pixel is read (``check_decodable``, from the header):
at most ``MAX_IMAGE_PIXELS`` pixels, and at most ``max_decode_bytes`` for the decoded pixels (width x height x
bytes per pixel, 16-bit samples counted as two bytes). A JPEG is decoded at the smallest scale the thumbnails allow
(``draft``), though a progressive one still holds all its coefficients at full size. Every image is then reduced
strip by strip, so the working copies (mode conversions, premultiplied alpha) stay small and the decoded image is
the only large thing held. Decodes run in ``Thumbnailer``'s own few threads. Measured by
``tests/files/test_decode_memory.py``: the worst image accepted under the default budget
(``PARLEY_IMAGE_DECODE_MAX_BYTES``, 128 MiB) grows a process by less than 160 MB.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Literal

from PIL import ExifTags, Image, ImageCms, ImageOps

from parley.errors import ParleyError

Box = Literal["120x120", "520x400"]
BOXES: Final[dict[Box, tuple[int, int]]] = {"120x120": (120, 120), "520x400": (520, 400)}
# Extensions sniff gives to images: the only stored files with thumbnails, and the only ones shown inline.
IMAGE_EXTENSIONS: Final = frozenset({"png", "jpeg", "gif", "webp"})
# Larger images are refused from their header (about 8192 x 8192), whatever the byte budget says.
MAX_IMAGE_PIXELS: Final = 64 * 1024 * 1024
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

_FORMATS: Final = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
# What each stored extension's thumbnail is encoded as.
_OUTPUT: Final = {"png": "PNG", "jpeg": "JPEG", "gif": "PNG", "webp": "WEBP"}
_OUTPUT_MIME: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_SWAPPING_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})  # rotated a quarter turn: width and height trade places
_LARGEST_SIDE: Final = max(max(box) for box in BOXES.values())
# The reduced copy keeps this many times the largest thumbnail's size per side, so the final resize stays smooth.
_REDUCING_GAP: Final = 3
_STRIP_ROWS: Final = 64  # rows of the decoded image converted and reduced at a time
# Pillow keeps a pixel of these modes in 1 or 2 bytes; every other mode (RGB included) in 4.
_PIXEL_BYTES: Final = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Pillow's WebP decoder holds the pixels four times over (libwebp's canvas and previous frame, the bytes handed
# over, the image); measured 15.3 bytes a pixel for a large RGBA WebP.
_DECODER_COPIES: Final = {"WEBP": 4}
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def too_many_pixels() -> ParleyError:
    return ParleyError(
        422, "unsupported_media_type", f"The image has more than {MAX_IMAGE_PIXELS} pixels and is refused."
    )


def check_decodable(image: Image.Image, max_decode_bytes: int) -> None:
    """Refuse (422) an opened image whose decode would pass the pixel cap or ``max_decode_bytes``, from its header.

    A JPEG is first set to decode at the smallest scale the thumbnails allow (``draft``): that is what it costs.
    """
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise too_many_pixels()
    needed = _coefficient_bytes(image)  # at the full size: draft does not shrink them
    image.draft(None, (_LARGEST_SIDE, _LARGEST_SIDE))  # does nothing for any format but JPEG
    needed += image.width * image.height * _bytes_per_pixel(image) * _DECODER_COPIES.get(image.format or "", 1)
    if needed > max_decode_bytes:
        raise ParleyError(
            422,
            "unsupported_media_type",
            f"Decoding the image would take {needed} bytes, more than the {max_decode_bytes} byte limit.",
        )


def _bytes_per_pixel(image: Image.Image) -> int:
    """The larger of what Pillow keeps a decoded pixel in and what the file stores one in (16-bit samples)."""
    stored = len(image.getbands()) * (2 if any(";16" in str(tile.args) for tile in getattr(image, "tile", [])) else 1)
    return max(_PIXEL_BYTES.get(image.mode, 4), stored)


def _coefficient_bytes(image: Image.Image) -> int:
    """A progressive JPEG is decoded from all its DCT coefficients at once: two bytes each, per component at its
    sampling (``layer``: id, horizontal and vertical sampling, table), held at full size."""
    layers: list[tuple[int, int, int, int]] = getattr(image, "layer", [])
    if image.format not in {"JPEG", "MPO"} or not image.info.get("progressive") or not layers:
        return 0
    most = max(h for _, h, _, _ in layers) * max(v for _, _, v, _ in layers)
    return image.width * image.height * 2 * sum(h * v for _, h, v, _ in layers) // most


class Thumbnailer:
    """Renders thumbnails in threads of its own: at most ``concurrency`` decodes at once in this process (the rest
    wait in a queue, holding no thread), each within ``max_decode_bytes``. They are not the threads the rest of the
    server's file I/O runs in, so a burst of images never stalls downloads."""

    def __init__(self, max_decode_bytes: int, concurrency: int) -> None:
        self.max_decode_bytes = max_decode_bytes
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="parley-thumbnails")

    async def render(self, source: Path, ext: str) -> dict[Box, bytes]:
        """``render_thumbnails`` in one of the pool's threads. A decode that has started runs to its end even if
        the caller is cancelled, in its thread: the bound counts it until then."""
        return await asyncio.wrap_future(self._pool.submit(render_thumbnails, source, ext, self.max_decode_bytes))


def has_thumbnails(ext: str) -> bool:
    return ext in IMAGE_EXTENSIONS


def thumbnail_mime_type(ext: str) -> str:
    """The Content-Type of the thumbnails of a stored file with extension ``ext`` (an image extension)."""
    return _OUTPUT_MIME[_OUTPUT[ext]]


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled down to fit inside ``box``, aspect kept, never enlarged, never below 1 pixel."""
    width, height = size
    box_width, box_height = box
    if width <= box_width and height <= box_height:
        return width, height
    scale = min(box_width / width, box_height / height)
    return min(box_width, max(1, round(width * scale))), min(box_height, max(1, round(height * scale)))


def render_thumbnails(source: Path, ext: str, max_decode_bytes: int) -> dict[Box, bytes]:
    """Every box's thumbnail of the image file ``source`` (stored with extension ``ext``), encoded.

    Blocking and CPU-bound: ``Thumbnailer.render`` runs it. Raises ``ParleyError`` for an image over the pixel cap
    or the byte budget (without decoding it), and ``OSError``/``ValueError`` for one that cannot be decoded.
    """
    try:
        opened = Image.open(source, formats=[_FORMATS[ext]])
    except Image.DecompressionBombError as exc:
        raise too_many_pixels() from exc
    with opened as image:
        check_decodable(image, max_decode_bytes)
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        swapped = orientation in _SWAPPING_ORIENTATIONS
        info = dict(image.info)
        frame = _reduced(image)  # the first frame only: an animation becomes a still
        return {box: _encode(_shrink(frame, size, swapped, info), ext) for box, size in BOXES.items()}


def _reduced(image: Image.Image) -> Image.Image:
    """The first frame, normalized and reduced by a whole factor to no less than ``_REDUCING_GAP`` times the
    largest thumbnail, strip by strip: no full-size copy (a mode conversion, premultiplied alpha) is ever made."""
    image.load()
    width, height = image.size
    fitted = fit(image.size, (_LARGEST_SIDE, _LARGEST_SIDE))  # at least as large as either box's, either way round
    factor = max(1, min(width // (_REDUCING_GAP * fitted[0]), height // (_REDUCING_GAP * fitted[1])))
    if factor == 1:
        return _normalized(image)
    rows = factor * max(1, _STRIP_ROWS // factor)  # a whole number of reduced rows per strip
    reduced: Image.Image | None = None
    for top in range(0, height, rows):
        strip = _normalized(image.crop((0, top, width, min(top + rows, height)))).reduce(factor)
        if reduced is None:
            reduced = Image.new(strip.mode, (-(-width // factor), -(-height // factor)))
        reduced.paste(strip, (0, top // factor))
    assert reduced is not None
    return reduced


def _normalized(image: Image.Image) -> Image.Image:
    """The loaded image in a mode that resizes smoothly: L, LA, RGB or RGBA (palettes are expanded)."""
    if image.mode.startswith("I"):  # 16-bit greyscale: scale to 8 bits rather than clip
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in {"L", "LA", "RGB", "RGBA"} and "transparency" not in image.info:
        return image
    if image.mode in {"1", "L", "LA"} and not image.has_transparency_data:
        return image.convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _shrink(
    frame: Image.Image, box: tuple[int, int], swapped: bool, info: dict[str | tuple[int, int], Any]
) -> Image.Image:
    """Resize first (cheap on the small result), then turn upright, then to sRGB, then drop every metadata block."""
    target_box = (box[1], box[0]) if swapped else box
    thumbnail = frame.resize(fit(frame.size, target_box), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumbnail.info = dict(info)  # the source's metadata: exif_transpose reads the orientation from here
    icc_profile = info.get("icc_profile")
    thumbnail = ImageOps.exif_transpose(thumbnail)
    if thumbnail.width > box[0] or thumbnail.height > box[1]:  # an orientation Pillow read differently than us
        thumbnail.thumbnail(box, Image.Resampling.LANCZOS)
    if isinstance(icc_profile, bytes) and icc_profile and thumbnail.mode in {"RGB", "RGBA"}:
        thumbnail = _to_srgb(thumbnail, icc_profile)
    thumbnail.info = {}
    return thumbnail


def _to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """The image's colours in sRGB; an unreadable or unsuitable profile leaves the pixels as they are."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _encode(image: Image.Image, ext: str) -> bytes:
    output = _OUTPUT[ext]
    if output == "JPEG" and image.mode not in {"RGB", "L"}:
        image = image.convert("RGB")
    if output == "WEBP" and image.mode not in {"RGB", "RGBA"}:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    buffer = io.BytesIO()
    if output == "JPEG":
        image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif output == "WEBP":
        image.save(buffer, "WEBP", quality=85, method=4)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
