"""Works out what an upload really is from its bytes, never from the name or header the client sent."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from PIL import Image

from parley.errors import ParleyError

FileType = Literal["image", "video", "audio", "file"]

# Larger images are refused so decoding them later (thumbnails) can't exhaust memory; about 8192 x 8192.
MAX_IMAGE_PIXELS = 64 * 1024 * 1024
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Only raster formats browsers render without running anything are treated as images.
_IMAGE_FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpeg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
# Pillow opens multi-picture JPEGs (as some cameras write) with its JPEG opener but reports them as "MPO".
_REPORTED_FORMATS = {**_IMAGE_FORMATS, "MPO": _IMAGE_FORMATS["JPEG"]}
_Kind = tuple[FileType, str, str]  # (type, mime type, extension)
_MP4: _Kind = ("video", "video/mp4", "mp4")
_WEBM: _Kind = ("video", "video/webm", "webm")
_MOV: _Kind = ("video", "video/quicktime", "mov")
_M4A: _Kind = ("audio", "audio/mp4", "m4a")
_MP3: _Kind = ("audio", "audio/mpeg", "mp3")
_OGG: _Kind = ("audio", "audio/ogg", "ogg")
_WAV: _Kind = ("audio", "audio/wav", "wav")
_PDF: _Kind = ("file", "application/pdf", "pdf")
_ZIP: _Kind = ("file", "application/zip", "zip")
# SVG can carry script, so it is kept as a plain file (served as an attachment), never an image.
_SVG_FILE: _Kind = ("file", "image/svg+xml", "svg")
_UNKNOWN: _Kind = ("file", "application/octet-stream", "bin")

_FTYP_BRANDS: dict[bytes, _Kind] = {
    **dict.fromkeys((b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V "), _MP4),
    b"qt  ": _MOV,
    b"M4A ": _M4A,
}
_SVG = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE\s+svg[^>]*>\s*)?<svg[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_HEAD_BYTES = 4096
_MIME_BY_EXT = {
    **{ext: mime for mime, ext in _IMAGE_FORMATS.values()},
    **{ext: mime for _, mime, ext in (_MP4, _WEBM, _MOV, _M4A, _MP3, _OGG, _WAV, _PDF, _ZIP, _SVG_FILE, _UNKNOWN)},
}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the bytes are; ``width`` and ``height`` are set for images only."""

    type: FileType
    mime_type: str
    ext: str
    width: int | None = None
    height: int | None = None


def sniff(content: bytes) -> Sniffed:
    """Classify ``content``; SVG and HTML are never images, since browsers would run their scripts."""
    return _sniff(io.BytesIO(content))


def sniff_file(path: Path) -> Sniffed:
    """Classify the file at ``path`` from its first bytes (and, for an image, its header); blocking I/O."""
    with path.open("rb") as file:
        return _sniff(file)


def _sniff(file: BinaryIO) -> Sniffed:
    image = _sniff_image(file)
    if image is not None:
        return image
    file.seek(0)
    file_type, mime_type, ext = _sniff_magic(file.read(_HEAD_BYTES))
    return Sniffed(type=file_type, mime_type=mime_type, ext=ext)


def mime_type_for_ext(ext: str) -> str:
    """The Content-Type to serve a stored file with, from the extension ``sniff`` gave it."""
    return _MIME_BY_EXT.get(ext, "application/octet-stream")


def _sniff_image(file: BinaryIO) -> Sniffed | None:
    """Read only the image header with Pillow; the pixels are never decoded here."""
    try:
        with Image.open(file, formats=list(_IMAGE_FORMATS)) as image:
            width, height = image.size
            mime_type, ext = _REPORTED_FORMATS[image.format or ""]
    except Image.DecompressionBombError as exc:
        raise too_many_pixels() from exc
    except OSError:  # includes UnidentifiedImageError: not one of the accepted image formats
        return None
    if width * height > MAX_IMAGE_PIXELS:
        raise too_many_pixels()
    return Sniffed(type="image", mime_type=mime_type, ext=ext, width=width, height=height)


def too_many_pixels() -> ParleyError:
    return ParleyError(
        422, "unsupported_media_type", f"The image has more than {MAX_IMAGE_PIXELS} pixels and is refused."
    )


def _sniff_magic(head: bytes) -> _Kind:
    """Recognise common media and documents by their leading magic numbers."""
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP_BRANDS:
        return _FTYP_BRANDS[head[8:12]]
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return _WEBM
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return _MP3
    if head.startswith(b"OggS"):
        return _OGG
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return _WAV
    if head.startswith(b"%PDF-"):
        return _PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _ZIP
    if _SVG.match(head):
        return _SVG_FILE
    return _UNKNOWN
