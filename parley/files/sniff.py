"""Works out what an upload really is from its bytes; the name the client sent only ever picks between text formats.

Images are the raster formats browsers render without running anything, refused from their header when decoding
them would cost too much (``check_decodable``). Media and documents are recognised by their leading bytes, zip
archives by the entries the office formats put in them. Bytes that are UTF-8 with no NUL are text: ``text/plain``
unless the sent name's extension is one of the text formats below. Nothing here ever runs the content, and SVG and
HTML are never images (the store serves every non-image as a download).
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from PIL import Image

from parley.files.images import check_decodable, too_many_pixels

FileType = Literal["image", "video", "audio", "file"]

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
_MKV: _Kind = ("video", "video/x-matroska", "mkv")
_MOV: _Kind = ("video", "video/quicktime", "mov")
_OGV: _Kind = ("video", "video/ogg", "ogv")
_M4A: _Kind = ("audio", "audio/mp4", "m4a")
_MP3: _Kind = ("audio", "audio/mpeg", "mp3")
_OGG: _Kind = ("audio", "audio/ogg", "ogg")
_WAV: _Kind = ("audio", "audio/wav", "wav")
_PDF: _Kind = ("file", "application/pdf", "pdf")
_ZIP: _Kind = ("file", "application/zip", "zip")
_DOCX: _Kind = ("file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
_XLSX: _Kind = ("file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
_PPTX: _Kind = ("file", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx")
_ODT: _Kind = ("file", "application/vnd.oasis.opendocument.text", "odt")
_ODS: _Kind = ("file", "application/vnd.oasis.opendocument.spreadsheet", "ods")
_ODP: _Kind = ("file", "application/vnd.oasis.opendocument.presentation", "odp")
# SVG can carry script, so it is kept as a plain file (served as an attachment), never an image.
_SVG_FILE: _Kind = ("file", "image/svg+xml", "svg")
_TEXT: _Kind = ("file", "text/plain", "txt")
_UNKNOWN: _Kind = ("file", "application/octet-stream", "bin")
# Text formats a sent name may choose between: the bytes cannot tell a CSV from a log, the name can.
_TEXT_FORMATS: dict[str, _Kind] = {
    "txt": _TEXT,
    "log": ("file", "text/plain", "log"),
    "csv": ("file", "text/csv", "csv"),
    "tsv": ("file", "text/tab-separated-values", "tsv"),
    "md": ("file", "text/markdown", "md"),
    "json": ("file", "application/json", "json"),
    "yaml": ("file", "application/yaml", "yaml"),
    "yml": ("file", "application/yaml", "yml"),
}

_FTYP_BRANDS: dict[bytes, _Kind] = {
    **dict.fromkeys((b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V "), _MP4),
    b"qt  ": _MOV,
    b"M4A ": _M4A,
}
# The first entry of an OpenDocument file is `mimetype`, stored uncompressed: its content names the format.
_OPENDOCUMENT: dict[bytes, _Kind] = {
    b"application/vnd.oasis.opendocument.text": _ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": _ODS,
    b"application/vnd.oasis.opendocument.presentation": _ODP,
}
# An Office Open XML file has `[Content_Types].xml` and its main part at one of these paths.
_OFFICE_PARTS: dict[str, _Kind] = {
    "word/document.xml": _DOCX,
    "xl/workbook.xml": _XLSX,
    "ppt/presentation.xml": _PPTX,
}
# Zip archives with more entries are not looked into (the entry list is read into memory): they stay zip.
_MAX_ZIP_ENTRIES = 10_000
_SVG = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE\s+svg[^>]*>\s*)?<svg[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_HEAD_BYTES = 4096
_TEXT_CHUNK = 256 * 1024
_MIME_BY_EXT = {
    **{ext: mime for mime, ext in _IMAGE_FORMATS.values()},
    **{
        ext: mime
        for _, mime, ext in (
            *(_MP4, _WEBM, _MKV, _MOV, _OGV, _M4A, _MP3, _OGG, _WAV, _PDF, _ZIP, _SVG_FILE, _UNKNOWN),
            *(_DOCX, _XLSX, _PPTX, _ODT, _ODS, _ODP),
            *_TEXT_FORMATS.values(),
        )
    },
}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the bytes are; ``width`` and ``height`` are set for images only."""

    type: FileType
    mime_type: str
    ext: str
    width: int | None = None
    height: int | None = None


def sniff_file(path: Path, max_decode_bytes: int, sent_ext: str = "") -> Sniffed:
    """Classify the file at ``path``; ``sent_ext`` is the extension of the name it came with (lower case, no dot).
    Blocking I/O (text is read through to its end)."""
    with path.open("rb") as file:
        return _sniff(file, max_decode_bytes, sent_ext)


def mime_type_for_ext(ext: str) -> str:
    """The Content-Type to serve a stored file with, from the extension ``sniff_file`` gave it."""
    return _MIME_BY_EXT.get(ext, "application/octet-stream")


def _sniff(file: BinaryIO, max_decode_bytes: int, sent_ext: str) -> Sniffed:
    image = _sniff_image(file, max_decode_bytes)
    if image is not None:
        return image
    file.seek(0)
    kind = _sniff_magic(file.read(_HEAD_BYTES))
    if kind == _ZIP:
        kind = _sniff_zip(file)
    elif kind == _UNKNOWN and _is_text(file):
        kind = _TEXT_FORMATS.get(sent_ext, _TEXT)
    file_type, mime_type, ext = kind
    return Sniffed(type=file_type, mime_type=mime_type, ext=ext)


def _sniff_image(file: BinaryIO, max_decode_bytes: int) -> Sniffed | None:
    """Read only the image header with Pillow; the pixels are never decoded here."""
    try:
        with Image.open(file, formats=list(_IMAGE_FORMATS)) as image:
            width, height = image.size
            mime_type, ext = _REPORTED_FORMATS[image.format or ""]
            check_decodable(image, max_decode_bytes)
    except Image.DecompressionBombError as exc:
        raise too_many_pixels() from exc
    except OSError:  # includes UnidentifiedImageError: not one of the accepted image formats
        return None
    return Sniffed(type="image", mime_type=mime_type, ext=ext, width=width, height=height)


def _sniff_magic(head: bytes) -> _Kind:
    """Recognise common media and documents by their leading magic numbers."""
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP_BRANDS:
        return _FTYP_BRANDS[head[8:12]]
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: the DocType near the start says which Matroska flavour
        return _WEBM if b"webm" in head[:64] else _MKV
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return _MP3
    if head.startswith(b"OggS"):  # the first page's codec header: Theora is video, the rest (Vorbis, Opus) audio
        return _OGV if b"\x80theora" in head[:64] else _OGG
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return _WAV
    if head.startswith(b"%PDF-"):
        return _PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _ZIP
    if _SVG.match(head):
        return _SVG_FILE
    return _UNKNOWN


def _sniff_zip(file: BinaryIO) -> _Kind:
    """An office document by the entries inside the zip (only their names and a `mimetype` entry's first bytes are
    read, never anything decompressed beyond that); any other zip, or one that cannot be read, stays a zip."""
    file.seek(0)
    local_header = file.read(38 + 64)
    if local_header[30:38] == b"mimetype":  # stored first and uncompressed by every OpenDocument writer
        for mimetype, kind in _OPENDOCUMENT.items():
            if local_header[38:].startswith(mimetype):
                return kind
    if not 0 < _zip_entry_count(file) <= _MAX_ZIP_ENTRIES:
        return _ZIP
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return _ZIP
    if "[Content_Types].xml" in names:
        for part, kind in _OFFICE_PARTS.items():
            if part in names:
                return kind
    return _ZIP


def _zip_entry_count(file: BinaryIO) -> int:
    """The entry count the end-of-central-directory record declares (0 when there is none to be found)."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(max(0, size - 65_557))  # the record (22 bytes) plus the longest comment
    tail = file.read()
    found = tail.rfind(b"PK\x05\x06")
    if found < 0 or len(tail) < found + 22:
        return 0
    (entries,) = struct.unpack("<H", tail[found + 10 : found + 12])
    return int(entries)


def _is_text(file: BinaryIO) -> bool:
    """Whether the whole file decodes as UTF-8 and holds no NUL, read a chunk at a time."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(_TEXT_CHUNK):
            if b"\0" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
