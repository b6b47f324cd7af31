"""Sniffing: the type of an upload comes from its bytes, and nothing that can run script is an image."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from parley.errors import ParleyError
from tests.support.files import DECODE_BYTES, sniff


def image_bytes(fmt: str, size: tuple[int, int] = (7, 5)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A real tiny PNG whose IHDR is patched (with a correct CRC) to claim another size."""
    png = bytearray(image_bytes("PNG", (1, 1)))
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


@pytest.mark.parametrize(
    ("fmt", "mime_type", "ext"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpeg"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_images_are_recognised_with_their_size(fmt: str, mime_type: str, ext: str) -> None:
    sniffed = sniff(image_bytes(fmt, (7, 5)), DECODE_BYTES)

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == ("image", mime_type, ext)
    assert (sniffed.width, sniffed.height) == (7, 5)


def _zip(entries: dict[str, bytes]) -> bytes:
    """A real zip with ``entries`` in order; ``mimetype`` (as OpenDocument writers do) is stored uncompressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "sent_ext", "kind"),
    [
        (b"Hello, this is just text.\n", "", ("file", "text/plain", "txt")),
        ("Grüße, 你好 🙂\n".encode(), "txt", ("file", "text/plain", "txt")),
        (b"name,amount\nada,3\n", "csv", ("file", "text/csv", "csv")),
        (b'{"a": [1, 2]}', "json", ("file", "application/json", "json")),
        (b"# Title\n\nSome *words*.\n", "md", ("file", "text/markdown", "md")),
        (b"12:00 started\n12:01 done\n", "log", ("file", "text/plain", "log")),
        (b"<!doctype html><script>alert(1)</script>", "html", ("file", "text/plain", "txt")),  # never text/html
        (b"just text", "exe", ("file", "text/plain", "txt")),
        (b"a,b\n\x00\x01", "csv", ("file", "application/octet-stream", "bin")),  # a NUL: not text
        (b"caf\xe9 latin-1", "txt", ("file", "application/octet-stream", "bin")),  # not UTF-8
        (b"%PDF-1.7\n", "txt", ("file", "application/pdf", "pdf")),  # the bytes win over the name
    ],
)
def test_text_is_text_and_keeps_a_text_extension_the_bytes_agree_with(
    content: bytes, sent_ext: str, kind: tuple[str, str, str]
) -> None:
    sniffed = sniff(content, DECODE_BYTES, sent_ext)

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == kind
    assert (sniffed.width, sniffed.height) == (None, None)


@pytest.mark.parametrize(
    ("entries", "kind"),
    [
        (
            {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<r/>", "word/document.xml": b"<w/>"},
            ("file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ),
        (
            {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml": b"<s/>"},
            ("file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ),
        (
            {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"},
            ("file", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
        ),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<c/>"},
            ("file", "application/vnd.oasis.opendocument.text", "odt"),
        ),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<c/>"},
            ("file", "application/vnd.oasis.opendocument.spreadsheet", "ods"),
        ),
        ({"word/document.xml": b"<w/>", "notes.txt": b"hi"}, ("file", "application/zip", "zip")),
        ({"holiday.jpg": b"\xff\xd8\xff"}, ("file", "application/zip", "zip")),
    ],
)
def test_office_documents_are_recognised_inside_their_zip(
    entries: dict[str, bytes], kind: tuple[str, str, str]
) -> None:
    sniffed = sniff(_zip(entries), DECODE_BYTES, "zip")

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == kind


@pytest.mark.parametrize(
    "payload",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<svg onload=alert(1)>",
    ],
)
def test_html_and_svg_are_never_images(payload: bytes) -> None:
    sniffed = sniff(payload, DECODE_BYTES)

    assert sniffed.type == "file"
    assert sniffed.width is None
    assert sniffed.mime_type in {"text/plain", "image/svg+xml"}


def test_svg_keeps_its_mime_type_and_extension() -> None:
    sniffed = sniff(b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>', DECODE_BYTES)

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == ("file", "image/svg+xml", "svg")


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", ("video", "video/mp4", "mp4")),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", ("video", "video/webm", "webm")),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", ("video", "video/x-matroska", "mkv")),
        (b"OggS\x00\x02" + bytes(22) + b"\x80theora\x03\x02", ("video", "video/ogg", "ogv")),
        (b"OggS\x00\x02" + bytes(22) + b"OpusHead\x01", ("audio", "audio/ogg", "ogg")),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", ("audio", "audio/mpeg", "mp3")),
        (b"\xff\xfb\x90\x64" + bytes(100), ("audio", "audio/mpeg", "mp3")),
        (b"OggS\x00\x02" + bytes(20), ("audio", "audio/ogg", "ogg")),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", ("audio", "audio/wav", "wav")),
        (b"%PDF-1.7\n", ("file", "application/pdf", "pdf")),
        (b"PK\x03\x04\x14\x00", ("file", "application/zip", "zip")),
    ],
)
def test_media_and_documents_are_recognised_by_magic_number(payload: bytes, kind: tuple[str, str, str]) -> None:
    sniffed = sniff(payload, DECODE_BYTES)

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == kind
    assert (sniffed.width, sniffed.height) == (None, None)


def test_a_decompression_bomb_is_refused() -> None:
    with pytest.raises(ParleyError) as caught:
        sniff(png_declaring(100_000, 100_000), DECODE_BYTES)

    assert (caught.value.status, caught.value.code) == (422, "unsupported_media_type")


def test_a_large_but_reasonable_image_header_is_accepted() -> None:
    sniffed = sniff(png_declaring(4000, 3000), DECODE_BYTES)

    assert (sniffed.type, sniffed.width, sniffed.height) == ("image", 4000, 3000)


@given(
    st.one_of(
        st.binary(),
        st.sampled_from([b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff", b"RIFF"]).flatmap(
            lambda magic: st.binary().map(lambda rest: magic + rest)
        ),
    )
)
def test_any_bytes_are_classified_or_refused_cleanly(content: bytes) -> None:
    try:
        sniffed = sniff(content, DECODE_BYTES)
    except ParleyError as error:
        assert error.code == "unsupported_media_type"
    else:
        assert sniffed.type in {"image", "video", "audio", "file"}
        assert (sniffed.width is None) == (sniffed.type != "image")
