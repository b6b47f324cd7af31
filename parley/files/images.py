"""Thumbnails: each image is shrunk to fit the File object's boxes, upright, in sRGB, with no metadata left.

Rules (one place, so the views, the store and the tests agree):
- A thumbnail fits inside its box with the aspect kept, and is never enlarged: an image already inside the box
  keeps its size (it is still re-encoded, so its metadata is gone).
- EXIF orientation is applied, so a phone's sideways JPEG comes out upright.
- Colours are converted to sRGB when the image carries an ICC profile; then every metadata block (EXIF with GPS,
  XMP, ICC, comments, text chunks) is left out.
- JPEG, PNG and WebP thumbnails keep their format; a GIF's thumbnail is a PNG still of its first frame (PNG keeps
  the transparency a re-quantised GIF would lose). An animated WebP or PNG also gives a still of its first frame.
- Pixels are decoded only for images within ``MAX_IMAGE_PIXELS``; anything larger is refused from its header.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Any, Final, Literal

from PIL import ExifTags, Image, ImageCms, ImageOps

from parley.files.sniff import MAX_IMAGE_PIXELS, too_many_pixels

Box = Literal["120x120", "520x400"]
BOXES: Final[dict[Box, tuple[int, int]]] = {"120x120": (120, 120), "520x400": (520, 400)}
# Extensions sniff gives to images: the only stored files with thumbnails, and the only ones shown inline.
IMAGE_EXTENSIONS: Final = frozenset({"png", "jpeg", "gif", "webp"})

_FORMATS: Final = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
# What each stored extension's thumbnail is encoded as.
_OUTPUT: Final = {"png": "PNG", "jpeg": "JPEG", "gif": "PNG", "webp": "WEBP"}
_OUTPUT_MIME: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_SWAPPING_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})  # rotated a quarter turn: width and height trade places
_LARGEST_SIDE: Final = max(max(box) for box in BOXES.values())
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# Decoding a large image takes a lot of memory for a moment: at most one decode per CPU at a time.
_DECODE_SLOTS: Final = threading.BoundedSemaphore(os.cpu_count() or 2)


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


def render_thumbnails(source: Path, ext: str) -> dict[Box, bytes]:
    """Every box's thumbnail of the image file ``source`` (stored with extension ``ext``), encoded.

    Blocking and CPU-bound: call it through ``asyncio.to_thread``. Raises ``ParleyError`` for an image over the
    pixel limit (without decoding it), and ``OSError``/``ValueError`` for one that cannot be decoded.
    """
    try:
        opened = Image.open(source, formats=[_FORMATS[ext]])
    except Image.DecompressionBombError as exc:
        raise too_many_pixels() from exc
    with _DECODE_SLOTS, opened as image:
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise too_many_pixels()
        # JPEG can decode at 1/2, 1/4 or 1/8 scale: ask for no less than the largest box needs either way round.
        image.draft(None, (_LARGEST_SIDE, _LARGEST_SIDE))
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        swapped = orientation in _SWAPPING_ORIENTATIONS
        frame = _normalized(image)  # the first frame only: an animation becomes a still
        return {box: _encode(_shrink(frame, size, swapped, image.info), ext) for box, size in BOXES.items()}


def _normalized(image: Image.Image) -> Image.Image:
    """The loaded first frame in a mode that resizes smoothly: L, LA, RGB or RGBA (palettes are expanded)."""
    image.load()
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
