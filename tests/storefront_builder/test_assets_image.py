"""Product image validation: content sniffing, size limits, decompression bombs."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storefront_builder.assets import AssetReport, validate_image
from storefront_builder.assets.image import declared_size


def _timed(data: bytes) -> AssetReport:
    start = time.perf_counter()
    report = validate_image(data)
    assert time.perf_counter() - start < 2.0
    return report


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_real_images_pass(image_bytes: Callable[..., bytes], fmt: str, name: str) -> None:
    data = image_bytes(300, 200, fmt)
    report = _timed(data)
    assert report.ok and (report.format, report.width, report.height) == (name, 300, 200)
    assert declared_size(data, name) == (300, 200)


def test_lossless_webp_header(image_bytes: Callable[..., bytes]) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (123, 45)).save(out, format="WEBP", lossless=True)
    assert declared_size(out.getvalue(), "webp") == (123, 45)


def test_other_formats_are_refused(image_bytes: Callable[..., bytes]) -> None:
    assert _timed(image_bytes(10, 10, "GIF")).codes() == ["unsupported_format"]
    assert _timed(image_bytes(10, 10, "BMP")).codes() == ["unsupported_format"]
    assert _timed(b"").codes() == ["unsupported_format"]
    assert _timed(b"<svg xmlns='http://www.w3.org/2000/svg'/>").codes() == ["unsupported_format"]


def test_decompression_bomb_header(bomb_png: Callable[[int, int], bytes]) -> None:
    report = _timed(bomb_png(100_000, 100_000))
    assert report.codes() == ["decompression_bomb"]


def test_too_large_dimensions(bomb_png: Callable[[int, int], bytes], image_bytes: Callable[..., bytes]) -> None:
    assert _timed(bomb_png(5000, 5000)).codes() == ["image_too_large"]
    assert _timed(image_bytes(4097, 2, "PNG")).codes() == ["image_too_large"]
    assert _timed(image_bytes(4096, 2, "PNG")).ok


def test_corrupt_images(image_bytes: Callable[..., bytes], bomb_png: Callable[[int, int], bytes]) -> None:
    png = image_bytes(64, 64, "PNG")
    assert _timed(png[: len(png) // 2]).codes() == ["bad_image"]
    assert _timed(png[:20]).codes() == ["bad_image"]
    assert _timed(bomb_png(500, 500)).codes() == ["bad_image"]  # IDAT far too short
    assert _timed(b"\xff\xd8\xff\xe0\x00\x02").codes() == ["bad_image"]
    assert _timed(b"RIFF\0\0\0\0WEBPVP8 ").codes() == ["bad_image"]


def test_over_size_file() -> None:
    assert _timed(b"\x89PNG\r\n\x1a\n" + b"\0" * (15 * 1024 * 1024)).codes() == ["too_large"]


@settings(max_examples=150, deadline=None)
@given(prefix=st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\0\0\0\0WEBP"]),
       tail=st.binary(max_size=200))
def test_random_bytes_never_raise(prefix: bytes, tail: bytes) -> None:
    report = _timed(prefix + tail)
    assert not report.ok and report.errors


def test_raise_for_report(bomb_png: Callable[[int, int], bytes], image_bytes: Callable[..., bytes]) -> None:
    from storefront_builder.assets import raise_for_report
    from storefront_builder.errors import AssetError

    raise_for_report(validate_image(image_bytes(4, 4)))
    with pytest.raises(AssetError) as info:
        raise_for_report(validate_image(bomb_png(100_000, 100_000)))
    assert info.value.codes == ["decompression_bomb"]
