"""The layout file a merchant or organizer writes (YAML or JSON), as pydantic models.

Coordinates follow ``storefront_builder.plan``: metres, the floor is centred on the origin
(x ∈ [-width/2, width/2], z ∈ [-depth/2, depth/2]), the entrance is on the +Z wall and rotations are degrees
counter-clockwise seen from above. A fixture's front faces its local +Z. These models check each field on
its own; ``storefront_builder.layout.parse.check_layout`` checks how the parts fit together (inside the
floor, no overlaps, ids that resolve).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storefront_builder.plan import FixtureType, StoreKind

MAX_FIXTURES = 5_000
MAX_FLOOR_M = 2_000.0  # a festival plaza with a thousand portals still fits; anything larger is a typo

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Metres = Annotated[float, Field(gt=0, le=100)]
Coord = Annotated[float, Field(ge=-MAX_FLOOR_M, le=MAX_FLOOR_M)]
Degrees = Annotated[float, Field(ge=-720, le=720)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    # extra="forbid" so a misspelt key ("fixture", "positon") is an error that points at it, not a silent
    # default; NaN/inf are never a position.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Floor(_Model):
    width: float = Field(gt=0, le=MAX_FLOOR_M, description="Extent along X in metres")
    depth: float = Field(gt=0, le=MAX_FLOOR_M, description="Extent along Z in metres")


class Entrance(_Model):
    width: float = Field(default=3.0, gt=0, le=MAX_FLOOR_M, description="Width of the gap in the +Z wall")
    x: float | None = Field(default=None, ge=-MAX_FLOOR_M, le=MAX_FLOOR_M, description="Centre of the gap")

    @property
    def centre_x(self) -> float:
        """Centre of the gap along X (0 when not given)."""
        return 0.0 if self.x is None else self.x


class SpawnPointSpec(_Model):
    position: tuple[Coord, Coord] = Field(description="[x, z] on the floor")
    rotation: Degrees = Field(default=0.0, description="0 looks towards -Z, into the store")


class FixtureSpec(_Model):
    id: str = Field(
        default="", pattern=r"^([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})?$",
        description="Stable id; empty means 'F<n>' from the fixture's 1-based position in the list",
    )
    type: FixtureType
    position: tuple[Coord, Coord] = Field(description="[x, z] of the footprint's centre")
    rotation: Degrees = 0.0
    size: tuple[Metres, Metres, Metres] = Field(description="[width, height, depth] in metres")
    levels: int | None = Field(default=None, ge=1, le=12, description="Shelf levels; None = the type's default")
    zone: str | None = Field(default=None, max_length=200, description="Zone name this fixture belongs to")


class ZoneSpec(_Model):
    name: Text
    categories: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=200,
        description="Category names or paths ('식품/음료' or '식품 > 음료') placed in this zone",
    )
    fixtures: list[str] = Field(default_factory=list, max_length=MAX_FIXTURES)


class SignSpec(_Model):
    text: Text
    position: tuple[Coord, Annotated[float, Field(ge=0, le=100)], Coord] = Field(description="[x, y, z]")
    rotation: Degrees = Field(default=0.0, description="0 faces +Z (readable by a shopper looking -Z)")
    size: tuple[Metres, Metres] = (3.0, 0.6)


class PortalSpec(_Model):
    id: Id
    target: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] = Field(
        description="Store slug, or 'plaza' for the festival plaza"
    )
    label: str = Field(default="", max_length=200)
    position: tuple[Coord, Coord]
    rotation: Degrees = 0.0


class Layout(_Model):
    """A whole layout file. Fixture ids are filled in ('F1', 'F2', ...) where the file leaves them out."""

    version: Literal[1]
    kind: StoreKind
    name: str | None = Field(default=None, max_length=200, description="Sign text over the entrance")
    floor: Floor
    wall_height: float = Field(default=3.5, gt=0, le=50)
    entrance: Entrance = Field(default_factory=Entrance)
    spawn_points: list[SpawnPointSpec] = Field(default_factory=list, max_length=256)
    fixtures: list[FixtureSpec] = Field(default_factory=list, max_length=MAX_FIXTURES)
    zones: list[ZoneSpec] = Field(default_factory=list, max_length=1_000)
    signage: list[SignSpec] = Field(default_factory=list, max_length=MAX_FIXTURES)
    portals: list[PortalSpec] = Field(default_factory=list, max_length=2_000)

    @field_validator("fixtures")
    @classmethod
    def _fill_ids(cls, fixtures: list[FixtureSpec]) -> list[FixtureSpec]:
        # Ids are filled here (not in placement) so zones can refer to 'F3' and slot ids stay stable.
        return [
            fixture if fixture.id else fixture.model_copy(update={"id": f"F{index + 1}"})
            for index, fixture in enumerate(fixtures)
        ]
