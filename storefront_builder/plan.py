"""The store plan: the hand-off between placement (layout + catalog) and the scene writer (GLB + manifest).

Placement produces a ``StorePlan``; geometry and the GLB writer consume it and nothing else, so the two sides
can be tested apart. Coordinates are glTF's: metres, +Y up, right-handed. The floor is the rectangle
x ∈ [-width/2, width/2], z ∈ [-depth/2, depth/2] at y = 0; the entrance is on the +Z wall and a shopper who
enters looks towards -Z. ``rotation_y`` is in degrees, counter-clockwise seen from above (a turn about +Y).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Vec3 = tuple[float, float, float]

StoreKind = Literal[
    "department_store", "traditional_market", "street_district", "convenience_store", "brand_shop",
    "festival_plaza",
]
FixtureType = Literal["shelf", "gondola", "table", "rack", "fridge", "counter", "stall", "display_case"]
# How a product without a model or image is drawn: a procedural placeholder chosen by category.
PlaceholderShape = Literal["box", "bottle", "jar", "folded_garment", "shoe_box", "fruit_crate", "can", "bag"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlacedFixture(_Frozen):
    id: str
    type: FixtureType
    position: Vec3 = Field(description="Centre of the fixture's footprint, on the floor (y = 0)")
    rotation_y: float = 0.0
    size: Vec3 = Field(description="Width (local X), height (Y), depth (local Z) in metres")
    levels: int = Field(default=1, ge=1, le=12)
    zone: str | None = None


class PlacedProduct(_Frozen):
    sku: str
    slot: str = Field(description="Stable slot id, e.g. 'F3-L2-S5' (fixture 3, level 2, slot 5)")
    fixture_id: str
    position: Vec3 = Field(description="Centre of the product's bottom face, resting on its level")
    rotation_y: float = 0.0
    size: Vec3 = Field(description="Width, height, depth in metres of the space the product occupies")
    category: str = "general"
    category_path: tuple[str, ...] = Field(default=(), description="The whole category path, most general first")
    shape: PlaceholderShape = "box"
    model_ref: str | None = Field(default=None, description="Key into the build's asset map (GLB bytes)")
    image_ref: str | None = Field(default=None, description="Key into the build's asset map (image bytes)")
    label: str = Field(default="", description="Display name (previews; the kit model when the category says little)")
    group: str | None = Field(default=None, description="The product (variant group) this slot shows")
    variants: tuple[str, ...] = Field(
        default=(), description="SKUs of the product's variants on sale, this slot's own SKU first")
    options: dict[str, str] = Field(
        default_factory=dict, description="Option values of the variant shown (e.g. its colour), in option order")


class UnplacedProduct(_Frozen):
    sku: str
    reason: str


class Sign(_Frozen):
    id: str
    text: str
    position: Vec3 = Field(description="Centre of the sign board")
    rotation_y: float = 0.0
    size: tuple[float, float] = (3.0, 0.6)


class SpawnPoint(_Frozen):
    id: str
    position: Vec3
    rotation_y: float = 0.0


class Portal(_Frozen):
    id: str
    target: str = Field(description="Store slug, or 'plaza' for the festival plaza")
    label: str = ""
    position: Vec3 = Field(description="Centre of the portal's footprint on the floor")
    rotation_y: float = 0.0
    size: Vec3 = (1.6, 2.4, 0.3)


class Zone(_Frozen):
    name: str
    categories: list[str] = Field(default_factory=list)
    bounds: tuple[float, float, float, float] = Field(description="min_x, min_z, max_x, max_z on the floor")


class StorePlan(_Frozen):
    """Everything the scene writer needs, already placed; a pure function of catalog + layout."""

    store_id: str
    store_name: str
    kind: StoreKind
    width: float = Field(gt=0)
    depth: float = Field(gt=0)
    wall_height: float = Field(gt=0)
    entrance_width: float = 3.0
    fixtures: list[PlacedFixture] = Field(default_factory=list)
    products: list[PlacedProduct] = Field(default_factory=list)
    unplaced: list[UnplacedProduct] = Field(default_factory=list)
    signs: list[Sign] = Field(default_factory=list)
    spawn_points: list[SpawnPoint] = Field(default_factory=list)
    portals: list[Portal] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    walkable: list[tuple[float, float, float, float]] = Field(
        default_factory=list, description="Rectangles (min_x, min_z, max_x, max_z) a shopper may stand in"
    )
