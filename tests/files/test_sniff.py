"""Sniffing: the type of an upload comes from its bytes, and nothing that can run script is an image."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from parley.errors import ParleyError
from parley.files.sniff import sniff


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
    sniffed = sniff(image_bytes(fmt, (7, 5)))

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == ("image", mime_type, ext)
    assert (sniffed.width, sniffed.height) == (7, 5)


def test_a_text_file_is_a_plain_file() -> None:
    sniffed = sniff(b"Hello, this is just text.\n")

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == ("file", "application/octet-stream", "bin")
    assert (sniffed.width, sniffed.height) == (None, None)


@pytest.mark.parametrize(
    "payload",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<svg onload=alert(1)>",
    ],
)
def test_html_and_svg_are_never_images(payload: bytes) -> None:
    sniffed = sniff(payload)

    assert sniffed.type == "file"
    assert sniffed.width is None
    assert sniffed.mime_type in {"application/octet-stream", "image/svg+xml"}


def test_svg_keeps_its_mime_type_and_extension() -> None:
    sniffed = sniff(b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>')

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == ("file", "image/svg+xml", "svg")


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", ("video", "video/mp4", "mp4")),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", ("video", "video/webm", "webm")),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", ("audio", "audio/mpeg", "mp3")),
        (b"\xff\xfb\x90\x64" + bytes(100), ("audio", "audio/mpeg", "mp3")),
        (b"OggS\x00\x02" + bytes(20), ("audio", "audio/ogg", "ogg")),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", ("audio", "audio/wav", "wav")),
        (b"%PDF-1.7\n", ("file", "application/pdf", "pdf")),
        (b"PK\x03\x04\x14\x00", ("file", "application/zip", "zip")),
    ],
)
def test_media_and_documents_are_recognised_by_magic_number(payload: bytes, kind: tuple[str, str, str]) -> None:
    sniffed = sniff(payload)

    assert (sniffed.type, sniffed.mime_type, sniffed.ext) == kind
    assert (sniffed.width, sniffed.height) == (None, None)


def test_a_decompression_bomb_is_refused() -> None:
    with pytest.raises(ParleyError) as caught:
        sniff(png_declaring(100_000, 100_000))

    assert (caught.value.status, caught.value.code) == (422, "unsupported_media_type")


def test_a_large_but_reasonable_image_header_is_accepted() -> None:
    sniffed = sniff(png_declaring(4000, 3000))

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
        sniffed = sniff(content)
    except ParleyError as error:
        assert error.code == "unsupported_media_type"
    else:
        assert sniffed.type in {"image", "video", "audio", "file"}
        assert (sniffed.width is None) == (sniffed.type != "image")
