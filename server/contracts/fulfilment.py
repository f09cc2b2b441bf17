"""Request and response models of fulfilment: a store's shipping fees and opening hours, pickup slots, a cart's
quote (its goods and shipping per store), and the payment choices the server offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from server.contracts.foundation import JSON_NUMBER, InputModel

PostalCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", description="A 5-digit Korean postal code")]
ClockTime = Annotated[str, Field(pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
                                 description="HH:MM, local time of the festival; 24:00 closes at midnight")]
Fee = Annotated[int, Field(ge=0, le=1_000_000), JSON_NUMBER]


class RemoteArea(InputModel):
    first: PostalCode
    last: PostalCode
    surcharge: Fee


class Shipping(InputModel):
    flat_fee: Fee = Field(default=0, description="Per order of this store, minor units")
    free_over: Annotated[int, Field(ge=0, le=100_000_000), JSON_NUMBER] | None = Field(
        default=None, description="Orders of this store from this subtotal ship free (null: never)")
    remote_areas: list[RemoteArea] = Field(default_factory=list, max_length=50, description=(
        "Postal code ranges that cost more to reach, e.g. Jeju {first: 63000, last: 63644}"))


class Interval(InputModel):
    opens: ClockTime
    closes: ClockTime


DayHours = Annotated[list[Interval], Field(max_length=4)]


class OpeningHours(InputModel):
    mon: DayHours = Field(default_factory=list)
    tue: DayHours = Field(default_factory=list)
    wed: DayHours = Field(default_factory=list)
    thu: DayHours = Field(default_factory=list)
    fri: DayHours = Field(default_factory=list)
    sat: DayHours = Field(default_factory=list)
    sun: DayHours = Field(default_factory=list)


class StoreFulfilmentIn(InputModel):
    shipping: Shipping
    opening_hours: OpeningHours = Field(description="Pickup slots come from these; none at all: no pickup")


class StoreFulfilmentOut(BaseModel):
    store: str
    shipping: Shipping
    opening_hours: OpeningHours
    time_zone: str = Field(description="The festival's: the hours are local times there")
    pickup: bool = Field(description="The store offers pickup (it has opening hours)")


class PickupSlotsQuery(InputModel):
    days: int = Field(default=7, ge=1, le=14, description="How many days ahead, today included")


class CartSlotsQuery(PickupSlotsQuery):
    store: str | None = Field(default=None, min_length=2, max_length=64,
                              pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
                              description="Only this store of the cart (the pickup point); else all of them")


class PickupSlots(BaseModel):
    stores: list[str] = Field(description="The stores the slots are valid at (all of the cart's)")
    time_zone: str
    slot_minutes: int
    slots: list[datetime] = Field(description="Slot start times, with the festival's UTC offset")


class QuoteQuery(InputModel):
    type: Literal["delivery", "pickup"] = "delivery"
    postal_code: str | None = Field(default=None, pattern=r"^[0-9A-Za-z -]{3,10}$")


class StoreQuote(BaseModel):
    store: str
    subtotal: int
    shipping_fee: int
    remote_surcharge: int
    shipping_waived: bool
    total: int


class CartQuote(BaseModel):
    cart: int
    version: int
    currency: str | None
    stores: list[StoreQuote]
    items_total: int
    shipping_total: int
    total: int = Field(description="What the checkout charges now for this fulfilment: send as expected_total")


class PaymentChoice(BaseModel):
    provider: str
    methods: list[str]
    client_key: str | None = Field(default=None, description="toss: the public client key of its payment window")


class PaymentChoices(BaseModel):
    providers: list[PaymentChoice]


class WebhookAck(BaseModel):
    received: bool
    payment: str | None = None
    status: str | None = None

