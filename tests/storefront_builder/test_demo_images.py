"""The demo's product photos (assets/demo/images) are what assets/make_demo_images.py draws, byte for byte,
and each shows the kit model and colour the store builder would draw the product with."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from storefront_builder.catalog.models import Money, Product
from storefront_builder.catalog.sample import sample_catalog, sample_image_name, sample_look
from storefront_builder.kit_colors import option_tint

ASSETS = Path(__file__).resolve().parents[2] / "assets"
IMAGES = ASSETS / "demo" / "images"


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_images", ASSETS / "make_demo_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_images_are_a_fresh_run(tmp_path: Path) -> None:
    maker = _maker()
    written = maker.write(tmp_path)
    committed = sorted(p.name for p in IMAGES.glob("*.jpg"))
    assert sorted(p.name for p in written) == committed, "run assets/make_demo_images.py and commit the result"
    for path in written:
        assert path.read_bytes() == (IMAGES / path.name).read_bytes(), f"{path.name} differs from a fresh run"
    assert sum(p.stat().st_size for p in written) < 1_500_000
    assert len(committed) >= 30


def test_a_photo_is_a_small_square_picture_of_a_product() -> None:
    with Image.open(IMAGES / "sneaker-a60707.jpg") as image:  # red canvas sneakers
        assert image.format == "JPEG" and image.size == (256, 256)
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert pixels[2, 2].min() > 225, "a soft white backdrop"
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    assert ((r > 90) & (g < 60) & (b < 60)).sum() > 2000, "the sneaker is drawn in its colour"


def _product(category: list[str], name: str, options: dict[str, str] | None = None) -> Product:
    return Product(sku="X-1", name_ko=name, category=category, price=Money(amount=1000, currency="KRW"),
                   options=options or {})


def test_the_look_is_the_kit_model_in_the_products_colour() -> None:
    model, tint = sample_look(_product(["의류", "상의"], "울 니트", {"색상": "네이비", "사이즈": "M"}))
    rgba = option_tint({"색상": "네이비"})
    assert rgba is not None
    assert (model, tint) == ("folded_shirt", rgba[:3])
    assert sample_look(_product(["신발"], "러닝화", {"색상": "화이트"}))[0] == "sneaker"
    assert sample_look(_product(["액세서리", "모자"], "볼캡", {"색상": "블랙"}))[0] == "hat"
    red = sample_image_name(_product(["신발"], "캔버스 스니커즈", {"색상": "레드"}))
    assert red == "sneaker-a60707.jpg"
    # Variants of one product in other colours get other photos; sizes share one.
    knit = [p for p in sample_catalog("department_store", 9, variants=True)]
    assert len({sample_image_name(p) for p in knit}) == 3
