"""Thumbnails, rendered for real by Pillow from files on disk, and read back with Pillow."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from parley.errors import ParleyError
from parley.files.images import BOXES, fit, render_thumbnails
from tests.support.files import DECODE_BYTES

RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)


def saved(tmp_path: Path, image: Image.Image, fmt: str, **options: Any) -> tuple[Path, str]:
    ext = fmt.lower()
    path = tmp_path / f"source.{ext}"
    image.save(path, fmt, **options)
    return path, ext


def opened(data: bytes) -> Any:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: Any, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


@pytest.mark.parametrize(
    ("size", "small", "medium"),
    [
        ((1600, 1000), (120, 75), (520, 325)),  # landscape: the width decides
        ((1000, 1600), (75, 120), (250, 400)),  # portrait: the height decides
        ((3000, 100), (120, 4), (520, 17)),  # a panorama keeps its shape
        ((300, 200), (120, 80), (300, 200)),  # already inside 520x400: kept as it is
        ((64, 48), (64, 48), (64, 48)),  # tiny: never enlarged
        ((1, 1), (1, 1), (1, 1)),
    ],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_thumbnail_fits_its_box_keeps_the_aspect_and_the_format_and_is_never_enlarged(
    tmp_path: Path, fmt: str, size: tuple[int, int], small: tuple[int, int], medium: tuple[int, int]
) -> None:
    path, ext = saved(tmp_path, Image.new("RGB", size, RED), fmt)

    thumbnails = render_thumbnails(path, ext, DECODE_BYTES)

    assert set(thumbnails) == set(BOXES)
    for box, expected in (("120x120", small), ("520x400", medium)):
        thumbnail = opened(thumbnails[box])  # type: ignore[index]
        assert (thumbnail.format, thumbnail.size) == (fmt, expected)
        assert near(thumbnail.getpixel((0, 0)), RED)


def test_fit_never_leaves_the_box() -> None:
    for width in range(1, 2000, 37):
        for height in range(1, 2000, 41):
            for box in BOXES.values():
                fitted = fit((width, height), box)
                assert 1 <= fitted[0] <= box[0] and 1 <= fitted[1] <= box[1]
                assert fitted[0] <= width and fitted[1] <= height


def _sideways_photo_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: turn a quarter clockwise to view
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 13.0, 7.0)}
    return exif


def test_an_exif_rotated_jpeg_comes_out_upright(tmp_path: Path) -> None:
    stored = Image.new("RGB", (200, 100), BLUE)
    stored.paste(RED, (0, 0, 100, 100))  # red on the stored left: the top once turned upright
    path, ext = saved(tmp_path, stored, "JPEG", exif=_sideways_photo_exif(), quality=95)

    thumbnails = {box: opened(data) for box, data in render_thumbnails(path, ext, DECODE_BYTES).items()}

    assert thumbnails["120x120"].size == (60, 120)
    assert thumbnails["520x400"].size == (100, 200)  # upright and inside 520x400, never enlarged
    for thumbnail in thumbnails.values():
        width, height = thumbnail.size
        assert near(thumbnail.getpixel((width // 2, height // 8)), RED)
        assert near(thumbnail.getpixel((width // 2, height - height // 8)), BLUE)
        assert ExifTags.Base.Orientation not in thumbnail.getexif()


def test_gps_and_every_other_metadata_block_is_gone(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path, ext = saved(
        tmp_path,
        Image.new("RGB", (900, 600), RED),
        "JPEG",
        exif=_sideways_photo_exif(),
        icc_profile=srgb,
        comment=b"shot at 12 Secret Street",
        xmp=b"<x:xmpmeta>Secret Street</x:xmpmeta>",
    )
    original = Image.open(path)
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the source must carry GPS for this test to mean much"

    for data in render_thumbnails(path, ext, DECODE_BYTES).values():
        thumbnail = opened(data)
        assert dict(thumbnail.getexif()) == {}
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(thumbnail.info)
        for marker in (b"Exif", b"SpyCam", b"Secret Street", b"ICC_PROFILE"):
            assert marker not in data


def test_png_text_chunks_and_exif_are_gone(tmp_path: Path) -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Secret Person")
    exif = _sideways_photo_exif()
    del exif[ExifTags.Base.Orientation]
    image = Image.new("RGBA", (800, 800), (*RED, 128))
    path, ext = saved(tmp_path, image, "PNG", pnginfo=text, exif=exif)
    assert b"eXIf" in path.read_bytes() and b"SpyCam" in path.read_bytes()

    for data in render_thumbnails(path, ext, DECODE_BYTES).values():
        thumbnail = opened(data)
        assert thumbnail.mode == "RGBA" and thumbnail.getpixel((5, 5))[3] == 128  # transparency is kept
        assert b"Secret Person" not in data and b"eXIf" not in data and b"SpyCam" not in data


def test_an_animated_gif_gives_a_still_png_of_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (600, 300), colour) for colour in (RED, GREEN, BLUE)]
    path = tmp_path / "source.gif"
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(Image.open(path), "n_frames", 1) == 3

    thumbnails = {box: opened(data) for box, data in render_thumbnails(path, "gif", DECODE_BYTES).items()}

    assert thumbnails["120x120"].size == (120, 60)
    assert thumbnails["520x400"].size == (520, 260)
    for thumbnail in thumbnails.values():
        assert thumbnail.format == "PNG"
        assert not getattr(thumbnail, "is_animated", False)
        assert near(thumbnail.getpixel((10, 10)), RED)


def test_a_transparent_gif_keeps_its_transparency(tmp_path: Path) -> None:
    image = Image.new("P", (300, 300), 0)
    image.putpalette([*RED, *BLUE] + [0] * 762)
    image.paste(1, (0, 0, 150, 300))
    path, ext = saved(tmp_path, image, "GIF", transparency=1)

    thumbnail = opened(render_thumbnails(path, ext, DECODE_BYTES)["120x120"])

    assert thumbnail.mode == "RGBA"
    assert thumbnail.getpixel((10, 60))[3] == 0 and thumbnail.getpixel((110, 60))[3] == 255


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    path, ext = saved(tmp_path, Image.new("I;16", (400, 400), 32768), "PNG")

    thumbnail = opened(render_thumbnails(path, ext, DECODE_BYTES)["120x120"])

    assert thumbnail.mode == "L" and thumbnail.getpixel((5, 5)) == 128


def _png_declaring(width: int, height: int) -> bytes:
    """A real tiny PNG whose header is patched (with a correct CRC) to claim another size."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


def test_a_decompression_bomb_is_refused_without_being_decoded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_declaring(30_000, 30_000))
    started = time.monotonic()

    with pytest.raises(ParleyError) as caught:
        render_thumbnails(path, "png", DECODE_BYTES)

    assert (caught.value.status, caught.value.code) == (422, "unsupported_media_type")
    assert time.monotonic() - started < 1


def test_a_truncated_image_is_an_error_not_a_thumbnail(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.effect_noise((400, 400), 60).convert("RGB").save(buffer, "PNG")
    path = tmp_path / "broken.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    with pytest.raises(OSError):
        render_thumbnails(path, "png", DECODE_BYTES)
