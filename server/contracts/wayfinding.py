"""The way to a product on a store's floor, or to the door towards its store (docs/API.md, Wayfinding)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from server.contracts.foundation import ONE_LINE, InputModel, Names, Slug

# Scene metres with at most 3 decimals (a millimetre); five digits cover any floor the builder makes.
POINT_PATTERN = r"^-?[0-9]{1,5}(\.[0-9]{1,3})?,-?[0-9]{1,5}(\.[0-9]{1,3})?$"


class PathQuery(InputModel):
    start: str = Field(alias="from", pattern=POINT_PATTERN,
                       description="Where the shopper stands: `x,z` in metres, scene coordinates (`1.5,-2`)")
    product: Annotated[str, Field(min_length=1, max_length=64), ONE_LINE] = Field(
        description="The product's SKU (any variant's)")
    product_store: Annotated[str, Slug] | None = Field(
        default=None, description="The store the product is in (its slug), when it is not this one")


class PlazaPathQuery(PathQuery):
    product_store: Annotated[str, Slug] = Field(description="The store the product is in (its slug)")


class PortalRef(BaseModel):
    id: str
    target: str = Field(description="The store slug the portal leads to, or `plaza`")
    label: str | None


class StoreLink(BaseModel):
    """The other store the product is in: what a client offers to open at the end of the walk."""

    slug: str
    name: Names
    url: str = Field(description="The store page (`/store/{slug}`)")


class PathOut(BaseModel):
    points: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        description="The walk as floor points `[x, z]` (metres), from where the shopper stands to the goal, "
                    "only where it turns")
    length_m: float = Field(description="The walk's length in metres")
    arrives: Literal["product", "portal", "entrance"] = Field(
        description="`product`: in front of its slot; `portal`: in front of the way towards the product's store; "
                    "`entrance`: at this store's entrance (a scene without portals)")
    product: str = Field(description="The SKU asked for")
    product_store: str = Field(description="The store the product is in")
    portal: PortalRef | None = Field(description="The portal the walk ends in front of (`arrives: portal`)")
    store: StoreLink | None = Field(description="The product's store when it is another one than the walk's")
