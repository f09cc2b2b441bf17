"""Image checks shared by product images and glTF textures: sniff by magic bytes, read the declared size
from the header *before* decoding, then decode with Pillow with decompression-bomb warnings as errors."""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image

from storefront_builder.assets.report import (
    BOMB_PIXELS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    AssetIssue,
    AssetReport,
    Reject,
)

_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def sniff_image(data: bytes) -> str | None:
    """``png``, ``jpeg`` or ``webp`` judged by magic bytes only; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise Reject("bad_image", "JPEG segment does not start with 0xFF")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers have no length
            i += 2
            continue
        if marker in (0xD9, 0xDA):
            break
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if length < 2:
            raise Reject("bad_image", "JPEG segment length below 2")
        if marker in _SOF:
            if i + 9 > n:
                break
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise Reject("bad_image", "JPEG has no frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise Reject("bad_image", "WebP header is truncated or unknown")


def declared_size(data: bytes, fmt: str) -> tuple[int, int]:
    """Width and height as the header declares them, without decoding any pixels."""
    if fmt == "png":
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise Reject("bad_image", "PNG has no IHDR header")
        width, height = struct.unpack(">II", data[16:24])
    elif fmt == "jpeg":
        width, height = _jpeg_size(data)
    else:
        width, height = _webp_size(data)
    if width <= 0 or height <= 0:
        raise Reject("bad_image", f"image declares a zero size ({width}×{height})")
    return width, height


def check_image(data: bytes, *, max_side: int, too_large_code: str, type_code: str,
                label: str = "image") -> tuple[str, int, int]:
    """Sniff, size-check and decode ``data``; return ``(format, width, height)`` or raise Reject."""
    fmt = sniff_image(data)
    if fmt is None:
        raise Reject(type_code, f"{label} is not PNG, JPEG or WebP (judged by its bytes)")
    width, height = declared_size(data, fmt)
    if width * height > BOMB_PIXELS:
        raise Reject("decompression_bomb", f"{label} declares {width}×{height} pixels")
    if width > max_side or height > max_side:
        raise Reject(too_large_code, f"{label} is {width}×{height}; the limit is {max_side}×{max_side}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]]) as im:
                if im.size != (width, height):
                    raise Reject("bad_image", f"{label} header size disagrees with the decoder")
                im.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise Reject("decompression_bomb", f"{label}: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, MemoryError) as exc:
        raise Reject("bad_image", f"{label} cannot be decoded: {exc}") from exc
    return fmt, width, height


def validate_image(data: bytes) -> AssetReport:
    """Validate a product image: PNG/JPEG/WebP by content, at most 4096×4096, decodable."""
    report = AssetReport(kind="image", bytes=len(data))
    try:
        if len(data) > MAX_IMAGE_BYTES:
            raise Reject("too_large", f"image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}")
        fmt, width, height = check_image(data, max_side=MAX_IMAGE_SIDE, too_large_code="image_too_large",
                                         type_code="unsupported_format")
        report.format, report.width, report.height = fmt, width, height
    except Reject as exc:
        report.errors.append(AssetIssue(code=exc.code, message=exc.message))
    except Exception as exc:  # a validator must answer with a report, never crash the caller
        report.errors.append(AssetIssue(code="malformed", message=f"{type(exc).__name__}: {exc}"))
    report.ok = not report.errors
    return report
