"""Request and response models of carts, checkout and orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from server.contracts.foundation import JSON_NUMBER, ONE_LINE, InputModel, Timestamp, Whole

Quantity = Annotated[int, Field(ge=1, le=99, description="1..99 per line"), JSON_NUMBER]
MinorUnits = Annotated[int, Field(ge=0), JSON_NUMBER]
StoreSlug = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
OrderStatus = Literal["paid", "ready_for_pickup", "shipped", "completed", "cancelled"]


class CartCreated(BaseModel):
    id: int
    share_code: str = Field(description="6 characters from an alphabet without look-alikes (no 0/O/1/I/L)")
    version: int


class JoinCart(InputModel):
    share_code: Annotated[str, Field(min_length=6, max_length=12), ONE_LINE] = Field(
        description="Case and spaces/hyphens are ignored")


class LineAdd(InputModel):
    store: str = StoreSlug
    sku: Annotated[str, Field(min_length=1, max_length=64), ONE_LINE]
    quantity: Quantity = 1


class LinePatch(InputModel):
    quantity: Quantity


class Person(BaseModel):
    session: int
    name: str


class Member(Person):
    owner: bool


class CartLineOut(BaseModel):
    id: int
    store: str
    sku: str
    name: str
    quantity: int
    unit_price: int = Field(description="Current price of one unit from the pricing rule, minor units")
    regular_price: int
    line_total: int
    available: int = Field(description="Stock right now (not reserved)")
    added_by: Person


class StoreSubtotal(BaseModel):
    store: str
    merchant_id: int
    lines: int
    subtotal: int


class CartOut(BaseModel):
    id: int
    share_code: str
    status: Literal["open", "checked_out"]
    version: int
    currency: str | None
    members: list[Member]
    lines: list[CartLineOut]
    stores: list[StoreSubtotal]
    total: int


class Address(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=100), ONE_LINE]
    phone: str = Field(min_length=6, max_length=20, pattern=r"^\+?[0-9][0-9 -]{4,18}[0-9]$")
    line1: Annotated[str, Field(min_length=1, max_length=200), ONE_LINE]
    line2: Annotated[str, Field(max_length=200), ONE_LINE] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100), ONE_LINE]
    postal_code: str = Field(min_length=3, max_length=10, pattern=r"^[0-9A-Za-z -]{3,10}$")


class Delivery(InputModel):
    type: Literal["delivery"]
    address: Address


class Pickup(InputModel):
    type: Literal["pickup"]
    store: Annotated[str, Field(min_length=2, max_length=64), ONE_LINE] | None = Field(
        default=None, description="One of the cart's stores, if the pickup point is a single store")
    slot: Timestamp


Fulfilment = Annotated[Delivery | Pickup, Field(discriminator="type")]


class Payment(InputModel):
    provider: Literal["test"]
    token: Annotated[str, Field(min_length=1, max_length=200), ONE_LINE] = Field(
        description="For the test provider: tok_decline is declined, any other token approved")


class ExpectedPrice(InputModel):
    line: Whole
    unit_price: MinorUnits


class CheckoutIn(InputModel):
    fulfilment: Fulfilment
    payment: Payment
    expected_total: MinorUnits | None = Field(default=None, description="The total the shopper was shown")
    expected_prices: list[ExpectedPrice] = Field(
        default_factory=list, max_length=100, description="Per-line unit prices the shopper was shown"
    )


class OrderLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class PaymentOut(BaseModel):
    provider: str
    reference: str


class OrderOut(BaseModel):
    id: int
    group: int
    store: str
    status: OrderStatus
    fulfilment: Delivery | Pickup
    lines: list[OrderLineOut]
    total: int
    currency: str
    created_at: datetime


class OrderGroupOut(BaseModel):
    id: int
    cart: int
    status: Literal["paid"]
    orders: list[OrderOut]
    total: int
    currency: str
    payment: PaymentOut
    fulfilment: Delivery | Pickup
    created_at: datetime


class OrderList(BaseModel):
    orders: list[OrderOut]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page")


class OrderListQuery(InputModel):
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = Field(default=None, ge=1, le=2**31 - 1)


class OrderStatusChange(InputModel):
    status: Literal["ready_for_pickup", "shipped", "completed", "cancelled"]
