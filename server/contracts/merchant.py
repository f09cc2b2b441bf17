"""Models of the merchant and organizer workflow: catalogs, products, layouts, assets, builds, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.contracts.foundation import JSON_NUMBER, ONE_LINE, InputModel, Names, Omittable, StoreOut, Text

BuildStatus = Literal["queued", "running", "succeeded", "failed"]
Price = Annotated[int, Field(ge=0, le=10**12, description="Integer minor units"), JSON_NUMBER]


class RowProblem(BaseModel):
    """A row of the import report: a refused row (``errors``) or a product imported hidden (``notices``)."""

    row: int
    column: str | None = None
    message: str = Field(description="English text (kept for compatibility)")
    code: str = Field(default="value_invalid", description="Stable code (docs/CATALOG-FORMATS.md)")
    message_ko: str = Field(default="", description="Korean text")
    params: dict[str, str | int] = Field(default_factory=dict, description="The values in the text")


class ImportReport(BaseModel):
    format: str
    encoding: str
    rows_read: int
    imported: int = Field(description="Rows stored (variants), hidden ones included")
    rejected: int
    deactivated: int = Field(description="Products of the previous catalog no longer in this one")
    errors: list[RowProblem]
    products: int = Field(default=0, description="Products (variant groups) imported, hidden ones included")
    variants: int = Field(default=0, description="Variants (rows with a SKU) imported, hidden ones included")
    hidden: dict[str, int] = Field(default_factory=dict,
                                   description="Products imported hidden, by reason code (hidden_draft, …)")
    images: int = Field(default=0, description="Image references kept from the file (URLs, per product)")
    images_fetch: Literal["off", "allowlist", "any"] = Field(
        default="off", description="VRSTORE_IMAGE_FETCH: off (the file's image URLs are kept, never fetched), or "
        "which hosts `POST /stores/{s}/image-fetches` may fetch them from")
    notices: list[RowProblem] = Field(default_factory=list,
                                      description="One row per hidden product and reason, with its code")


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
    active: bool = Field(default=True, description="Still in the catalog (false once a replacement dropped it)")
    group: str = Field(description="The product this variant belongs to (its SKU without variants)")
    options: dict[str, str] = Field(description="This variant's option values, in the product's option order")
    images: list[str] = Field(description="Image URLs the client can load, the uploaded image first")
    image_sources: list[str] = Field(
        default_factory=list, description="Image references from the catalog file (remote URLs, not fetched); "
                                          "filled for the store's merchant and organizer only")
    barcode: str | None = Field(description="The barcode from the file (a GTIN or an internal code)")
    availability: str = Field(description="in_stock, out_of_stock (by live stock), preorder or backorder")
    status: str = Field(description="active, draft, archived or unpublished; shoppers see active")


class StoreDetail(StoreOut):
    """The store without its products: a catalog can hold 100,000 of them. ``snapshot`` is the whole product
    document (cached, gzipped, ETagged), ``products`` the paged list."""

    product_count: int = Field(description="Products on sale: active variants with status active")
    snapshot: str = Field(description="URL of every active product in one cached document (ProductSnapshot)")
    products: str = Field(description="URL of the paged product list (ProductPage)")
    sale_ends_at: datetime | None = None
    sale_open: bool = False


class ProductSnapshot(BaseModel):
    """``GET /stores/{s}/snapshot``: what the shopper's client needs to show the store's products."""

    store: str
    generated_at: datetime
    products: list[ProductOut]


# A page cursor as the server writes it (``ProductPage.next``): a product id, 1..2**31-1, in its plain decimal
# form. Spelled out digit by digit so that the schema states exactly what is accepted, up to the largest id.
CURSOR_PATTERN = (r"^(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
                  r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$")


class ProductPageQuery(InputModel):
    limit: int = Field(default=50, ge=1, le=200)
    after: str | None = Field(default=None, pattern=CURSOR_PATTERN,
                              description="The `next` of the previous page (opaque)")
    include_hidden: bool = Field(default=False, description="Also the products hidden from shoppers (status other "
                                                            "than active): the store's merchant and organizer only")


class ProductPage(BaseModel):
    items: list[ProductOut]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last")


class ProductPatch(InputModel):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})  # the schema's word for _something below

    price: Omittable[Price] = None
    sale_price: Price | None = Field(default=None, description="null clears the sale price")
    stock: Omittable[Annotated[int, Field(ge=0, le=1_000_000), JSON_NUMBER]] = None

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
    percent: Annotated[int, Field(ge=1, le=90), JSON_NUMBER]
    store: Text | None = Field(default=None, description="Store slug; unset means every store")
    category: Annotated[str, Field(max_length=300), ONE_LINE] | None = Field(
        default=None, description="Category path prefix, e.g. '식품 > 과일'")


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
