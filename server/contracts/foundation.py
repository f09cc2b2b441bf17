"""Request and response models of the foundation resources (festivals, merchants, stores, sessions)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

StoreKind = Literal["department_store", "traditional_market", "street_district", "convenience_store", "brand_shop"]
StoreStatus = Literal["pending", "approved", "suspended"]
Slug = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class InputModel(BaseModel):
    """The one base of every request body: unknown fields are refused, text is stripped of outer whitespace."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Names(BaseModel):
    ko: str
    en: str


class SceneRef(BaseModel):
    hash: str
    glb: str = Field(description="URL of the immutable GLB")
    manifest: str = Field(description="URL of the immutable manifest JSON")


class StoreSummary(BaseModel):
    slug: str
    name: Names
    kind: StoreKind
    status: StoreStatus
    scene: SceneRef | None = None
    visitors: int = Field(default=0, description="Shoppers in the store right now")


class FestivalOut(BaseModel):
    slug: str
    name: Names
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    sale_open: bool = Field(description="True while now is inside the sale window")
    visitor_cap: int | None
    instance_capacity: int
    plaza: SceneRef | None = Field(default=None, description="The festival plaza scene, with a portal per store")
    stores: list[StoreSummary]


class FestivalBrief(BaseModel):
    slug: str
    name: Names
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    sale_open: bool


class FestivalList(BaseModel):
    festivals: list[FestivalBrief]


class FestivalPatch(InputModel):
    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    visitor_cap: int | None = Field(default=None, ge=1, le=1_000_000)
    instance_capacity: int | None = Field(default=None, ge=1, le=5000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _window(self) -> FestivalPatch:
        for name in ("name_ko", "name_en", "timezone", "instance_capacity"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null (only the sale window and visitor_cap can be cleared)")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MerchantCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    contact_email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class MerchantOut(BaseModel):
    id: int
    name: str
    contact_email: str | None
    stores: list[str] = Field(default_factory=list, description="Slugs of the merchant's stores")


class MerchantCreated(MerchantOut):
    token: str = Field(description="The merchant's bearer token; shown only this once")


class MerchantList(BaseModel):
    merchants: list[MerchantOut]


class StoreCreate(InputModel):
    slug: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
                      description="URL name; 'plaza' is reserved for the festival plaza")
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    kind: StoreKind
    currency: str = Field(default="KRW", pattern=r"^[A-Z]{3}$")

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "plaza":
            raise ValueError("'plaza' is reserved for the festival plaza")
        return value


class StorePatch(InputModel):
    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)


class StoreStatusChange(InputModel):
    status: StoreStatus


class StoreOut(StoreSummary):
    festival: str
    merchant_id: int
    currency: str


class StoreList(BaseModel):
    stores: list[StoreOut]


class SessionCreate(InputModel):
    display_name: str = Field(min_length=1, max_length=40)
    locale: Literal["ko", "en"] = "ko"


class SessionOut(BaseModel):
    id: int
    display_name: str
    locale: str


class SessionCreated(BaseModel):
    token: str = Field(description="The shopper's bearer token (also set as an HttpOnly cookie)")
    session: SessionOut


class Me(BaseModel):
    role: str
    festival: str | None = None
    merchant_id: int | None = None
    session: SessionOut | None = None
