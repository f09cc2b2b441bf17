"""Models of the merchant and organizer workflow: catalogs, products, layouts, assets, builds, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.contracts.foundation import InputModel, Names, StoreOut

BuildStatus = Literal["queued", "running", "succeeded", "failed"]


class RowProblem(BaseModel):
    row: int
    column: str | None = None
    message: str


class ImportReport(BaseModel):
    format: str
    encoding: str
    rows_read: int
    imported: int
    rejected: int
    deactivated: int = Field(description="Products of the previous catalog no longer in this one")
    errors: list[RowProblem]


class ProductOut(BaseModel):
    sku: str
    name: Names
    description: str = ""
    category: str
    brand: str | None = None
    price: int = Field(description="Regular price, integer minor units")
    sale_price: int | None = Field(description="The merchant's sale price, if any")
    unit_price: int = Field(description="What a shopper pays now (pricing rule in docs/API.md)")
    festival_percent: int
    currency: str
    stock: int
    image: str | None = Field(default=None, description="URL of the product image, if uploaded")
    model: bool = Field(default=False, description="A merchant 3D model is attached")
    active: bool = True


class StoreDetail(StoreOut):
    """The store without its products: a catalog can hold 100,000 of them. ``snapshot`` is the whole product
    document (cached, gzipped, ETagged), ``products`` the paged list."""

    product_count: int = Field(description="Active products")
    snapshot: str = Field(description="URL of every active product in one cached document (ProductSnapshot)")
    products: str = Field(description="URL of the paged product list (ProductPage)")
    sale_ends_at: datetime | None = None
    sale_open: bool = False


class ProductSnapshot(BaseModel):
    """``GET /stores/{s}/snapshot``: what the shopper's client needs to show the store's products."""

    store: str
    generated_at: datetime
    products: list[ProductOut]


class ProductPageQuery(InputModel):
    limit: int = Field(default=50, ge=1, le=200)
    after: str | None = Field(default=None, max_length=16, description="The `next` of the previous page (opaque)")


class ProductPage(BaseModel):
    items: list[ProductOut]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last")


class ProductPatch(InputModel):
    price: int | None = Field(default=None, ge=0, le=10**12)
    sale_price: int | None = Field(default=None, ge=0, le=10**12, description="null clears the sale price")
    stock: int | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _something(self) -> ProductPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one of price, sale_price, stock")
        return self


class LayoutPut(BaseModel):
    """Either ``{"template": kind}`` or a whole layout document (see docs/LAYOUT-FORMAT.md)."""

    model_config = ConfigDict(extra="allow")

    template: Literal["department_store", "traditional_market", "street_district", "convenience_store"] | None = None


class LayoutOut(BaseModel):
    source: Literal["template", "custom", "auto"]
    template: str | None = None
    layout: dict[str, Any] | None = None


class AssetOut(BaseModel):
    sku: str
    kind: Literal["model", "image"]
    sha256: str
    size: int
    report: dict[str, Any]


class BuildOut(BaseModel):
    id: str
    store: str
    status: BuildStatus
    progress: int = Field(ge=0, le=100)
    step: str | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    scene_hash: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class DiscountRuleIn(InputModel):
    percent: int = Field(ge=1, le=90)
    store: str | None = Field(default=None, description="Store slug; unset means every store")
    category: str | None = Field(default=None, max_length=300, description="Category path prefix, e.g. '식품 > 과일'")


class DiscountRules(BaseModel):
    rules: list[DiscountRuleIn] = Field(max_length=200)


class DiscountRulesIn(InputModel):
    rules: list[DiscountRuleIn] = Field(max_length=200)


class StoreStats(BaseModel):
    slug: str
    name: Names
    kind: str
    status: str
    visitors: int
    build: BuildStatus | None = None
    scene_hash: str | None = None
    orders: int = 0
    revenue: int = 0


class FestivalStats(BaseModel):
    festival: str
    currency: str = "KRW"
    visitors: int
    orders: int
    revenue: int
    stores: list[StoreStats]
