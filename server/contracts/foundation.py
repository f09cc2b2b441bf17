"""Request and response models of the foundation resources (festivals, merchants, stores, sessions)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

StoreKind = Literal["department_store", "traditional_market", "street_district", "convenience_store", "brand_shop"]
StoreStatus = Literal["pending", "approved", "suspended"]
Slug = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


# --- the rules of request bodies (docs/API.md, Conventions) ------------------------------------------------------
#
# pydantic's lax mode would take `true` as 1 and "5" as 5, and a number as a time (seconds since 1970): a shop must
# never read an amount, a quantity or a pickup slot out of something the client did not write as one. So every
# integer of a request body is checked by JSON_NUMBER, every time is a ``Timestamp``, and every free text is checked
# by ONE_LINE or LINES; tests/server/test_input_rules.py checks every body model for it. Query strings are text by
# nature: their numbers are parsed from it, on purpose.
#
# Bounds go BEFORE these markers: ``Annotated[str, Field(max_length=200), ONE_LINE]``. Given after them (or on an
# optional field), pydantic can no longer apply them to the str or int itself: it checks them afterwards, with
# messages about "items", and writes "ge" instead of "minimum" into the JSON Schema.

# C0 controls, DEL and C1 controls: invisible, meaningless in a name or an address, able to rewrite a terminal or a
# log line (ESC, CR), and NUL is refused outright by PostgreSQL text columns. Written as the body of a regex class,
# so that a field with a pattern of its own leaves out the same characters.
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")

STORED: dict[str, bool] = {"stored": True}
"""Validation context for a request model read back from the database (an order's fulfilment): it was judged when
it came in, and a rule made stricter since must not make what was accepted then unreadable now."""


class _NoControls:
    """Text without control characters (``allowed`` excepted), judged as sent: before outer whitespace is stripped,
    so "name\\n" is refused as the schema's pattern says rather than taken as "name"."""

    def __init__(self, allowed: str, pattern: str) -> None:
        self.allowed = frozenset(allowed)
        self.pattern = pattern

    def _check(self, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not (isinstance(info.context, dict) and info.context.get("stored")):
            found = next((m for m in _CONTROL.finditer(value) if m.group() not in self.allowed), None)
            if found is not None:
                raise PydanticCustomError(
                    "control_character", "must not contain control characters (found U+{code} at position {position})",
                    {"code": f"{ord(found.group()):04X}", "position": found.start()})
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if json_schema.get("minLength", 0) >= 1:
            # Request bodies are stripped of outer whitespace before the length is checked (InputModel), so a
            # required text must hold at least one character that is not a space: the schema says so too.
            allowed = self.pattern.removeprefix("^").removesuffix("*$")
            visible = f"[^\\s{CONTROL_CHARACTERS}]"
            return {**json_schema, "pattern": f"^{allowed}*{visible}{allowed}*$"}
        return {**json_schema, "pattern": self.pattern}


ONE_LINE = _NoControls("", f"^[^{CONTROL_CHARACTERS}]*$")
"""One line of text a person reads or types (a name, an address line, a code): no control character at all."""
LINES = _NoControls("\t\n\r", f"^(?:[\\t\\n\\r]|[^{CONTROL_CHARACTERS}])*$")
"""Text that may run over several lines: tab, line feed and carriage return are allowed, no other control."""
Text = Annotated[str, ONE_LINE]
Name = Annotated[str, Field(min_length=1, max_length=200), ONE_LINE]
"""A festival's, a store's or a merchant's name."""


_JSON_KINDS = {bool: "a boolean", str: "a string", list: "an array", dict: "an object", type(None): "null"}


def _json_number(value: Any) -> Any:
    # bool is an int to Python and 1 to lax pydantic; a string is no number at all. 5.0 stays: JSON has one number
    # type, JSON Schema's "integer" includes it, and pydantic then refuses 5.5 (a fractional part) by itself.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "must be a whole number written as a JSON number, not {kind}",
                                  {"kind": _JSON_KINDS.get(type(value), type(value).__name__)})
    return value


JSON_NUMBER = BeforeValidator(_json_number)
"""An integer written as a JSON number (``5``, or ``5.0``): never ``true``, ``"5"`` or ``5.5``."""
Whole = Annotated[int, JSON_NUMBER]

_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_text(value: Any) -> Any:
    # Lax pydantic would also read 1700000000 (or "1700000000") as seconds since 1970.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE_TIME.match(value)):
        return value
    raise PydanticCustomError("datetime_type", "must be an ISO 8601 date and time with a UTC offset, as a string")


def _utc_representable(value: datetime) -> datetime:
    # 0001-01-01T00:00+23:59 is a valid ISO 8601 time, but in UTC it falls before year 1, which neither Python nor
    # the database can hold: refuse it here instead of failing to store it.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "is outside the years 1 to 9999 once converted to UTC") from None
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc_representable)]
"""A moment: an ISO 8601 string with a UTC offset (``2026-11-28T15:00:00+09:00``), never a number."""


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "may be left out, but not null: there is nothing to clear here")
    return value


class _NotNull:
    """Marks a PATCH field that may be left out but has no "nothing" to be set to: an explicit null is refused
    (422 naming the field) and the schema offers no null either, so that what it allows is what is accepted."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        options = [o for o in out.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1 and len(out["anyOf"]) == 2:
            del out["anyOf"]
            out.update(options[0])
        return out


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names the server can use (its tzdata)."""
    return frozenset(available_timezones())


class _TimeZone:
    """A known IANA zone name: checked against, and listed in the schema as, the same set (``time_zones``)."""

    @staticmethod
    def _check(value: str) -> str:
        if value not in time_zones():
            raise PydanticCustomError("time_zone", "unknown time zone '{zone}': use an IANA name such as Asia/Seoul",
                                      {"zone": value})
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "enum": sorted(time_zones())}


TIME_ZONE = _TimeZone()


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # None stands for "left out" in Python; in the schema it would be a null


T = TypeVar("T")
Omittable = Annotated[T | None, _NotNull(), Field(json_schema_extra=_no_default)]
"""``Omittable[X]``: X, or left out (None in Python); never null in the request."""


class InputModel(BaseModel):
    """The one base of every request body: unknown fields are refused, text is stripped of outer whitespace.
    Its fields follow the rules above (JSON_NUMBER, ONE_LINE or LINES, Timestamp)."""

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
    """Only the sale window and the visitor cap can be cleared (null); the other fields can only change."""

    name_ko: Omittable[Name] = None
    name_en: Omittable[Name] = None
    timezone: Omittable[Annotated[str, Field(max_length=64), ONE_LINE, TIME_ZONE]] = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    visitor_cap: Annotated[int, Field(ge=1, le=1_000_000), JSON_NUMBER] | None = None
    instance_capacity: Omittable[Annotated[int, Field(ge=1, le=5000), JSON_NUMBER]] = None

    @model_validator(mode="after")
    def _window(self) -> FestivalPatch:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MerchantCreate(InputModel):
    name: Name
    contact_email: str | None = Field(default=None, max_length=320,
                                      pattern=rf"^[^@\s{CONTROL_CHARACTERS}]+@[^@\s{CONTROL_CHARACTERS}]+$")


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
    name_ko: Name
    name_en: Name
    kind: StoreKind
    currency: str = Field(default="KRW", pattern=r"^[A-Z]{3}$")

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "plaza":
            raise ValueError("'plaza' is reserved for the festival plaza")
        return value


class StorePatch(InputModel):
    name_ko: Name | None = Field(default=None, description="null or left out: unchanged")
    name_en: Name | None = Field(default=None, description="null or left out: unchanged")


class StoreStatusChange(InputModel):
    status: StoreStatus


class StoreOut(StoreSummary):
    festival: str
    merchant_id: int
    currency: str


class StoreList(BaseModel):
    stores: list[StoreOut]


class SessionCreate(InputModel):
    display_name: Annotated[str, Field(min_length=1, max_length=40), ONE_LINE]
    locale: Literal["ko", "en"] = "ko"


class SessionRename(InputModel):
    display_name: Annotated[str, Field(min_length=1, max_length=40), ONE_LINE]


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
