"""Request and response models of carts, checkout and orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from server.contracts.foundation import JSON_NUMBER, ONE_LINE, InputModel, Names, Timestamp, Whole

Quantity = Annotated[int, Field(ge=1, le=99, description="1..99 per line"), JSON_NUMBER]
MinorUnits = Annotated[int, Field(ge=0), JSON_NUMBER]
StoreSlug = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
OrderStatus = Literal["paid", "ready_for_pickup", "shipped", "delivered", "completed", "cancelled", "refunded"]
PaymentMethod = Literal["card", "kakaopay", "naverpay", "tosspay", "transfer"]
PAYMENT_METHODS: tuple[str, ...] = ("card", "kakaopay", "naverpay", "tosspay", "transfer")


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
    shipping_fee: int = Field(default=0, description="Delivery fee of this store's part before any remote-area "
                                                     "surcharge (which depends on the postal code: see /quote)")
    free_shipping_over: int | None = Field(default=None, description="The store ships free from this subtotal")


class NextCart(BaseModel):
    id: int
    share_code: str


class CartOut(BaseModel):
    id: int
    share_code: str
    status: Literal["open", "checked_out"]
    version: int
    currency: str | None
    members: list[Member]
    lines: list[CartLineOut]
    stores: list[StoreSubtotal]
    total: int = Field(description="The lines' total (what the goods cost)")
    shipping_total: int = Field(default=0, description="Delivery fees of every store, before remote surcharges")
    grand_total: int = Field(default=0, description="total + shipping_total")
    order_group: int | None = Field(default=None, description="Once checked out: the order group it became")
    paid_by: Person | None = Field(default=None, description="Once checked out: the member who paid")
    next_cart: NextCart | None = Field(default=None, description="Once checked out: the fresh cart its members "
                                                                 "carry on with (same members, new share code)")


class Address(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=100), ONE_LINE]
    phone: str = Field(min_length=6, max_length=20, pattern=r"^\+?[0-9][0-9 -]{4,18}[0-9]$")
    line1: Annotated[str, Field(min_length=1, max_length=200), ONE_LINE]
    line2: Annotated[str, Field(max_length=200), ONE_LINE] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100), ONE_LINE]
    postal_code: str = Field(min_length=3, max_length=10, pattern=r"^[0-9A-Za-z -]{3,10}$")


class Contact(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=100), ONE_LINE]
    phone: str = Field(min_length=6, max_length=20, pattern=r"^\+?[0-9][0-9 -]{4,18}[0-9]$")


class Delivery(InputModel):
    type: Literal["delivery"]
    address: Address


class Pickup(InputModel):
    type: Literal["pickup"]
    store: Annotated[str, Field(min_length=2, max_length=64), ONE_LINE] | None = Field(
        default=None, description="One of the cart's stores, if the pickup point is a single store")
    slot: Timestamp = Field(description="One of GET /carts/{c}/pickup_slots; there is no default slot")
    contact: Contact | None = Field(default=None, description="Who collects the order (the store calls them)")


Fulfilment = Annotated[Delivery | Pickup, Field(discriminator="type")]


class Payment(InputModel):
    provider: Literal["test", "toss"] = Field(description="test: the built-in provider (its approval page is "
                                                          "the client's); toss: Toss Payments, when configured")
    method: PaymentMethod = Field(default="card", description="What the shopper pays with")
    token: Annotated[str, Field(min_length=1, max_length=200), ONE_LINE] = Field(
        description="test: tok_decline is declined, any other token approved; toss: the paymentKey the payment "
                    "window returned")
    order_id: str | None = Field(default=None, min_length=6, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                 description="toss: the orderId the payment window was opened with")


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
    method: str = "card"
    status: str = Field(default="captured", description="authorised → captured; voided when no order came of it")


class OrderOut(BaseModel):
    id: int
    group: int
    store: str
    status: OrderStatus
    fulfilment: Delivery | Pickup
    lines: list[OrderLineOut]
    total: int = Field(description="The lines plus shipping_fee")
    currency: str
    created_at: datetime
    shipping_fee: int = 0
    store_name: Names | None = None
    buyer: str = Field(default="", description="The display name of the shopper who paid")
    updated_at: datetime | None = None


class OrderGroupOut(BaseModel):
    id: int
    cart: int
    status: Literal["paid"]
    orders: list[OrderOut]
    total: int = Field(description="What was charged: the orders' totals, shipping included")
    currency: str
    payment: PaymentOut
    fulfilment: Delivery | Pickup
    created_at: datetime
    shipping_total: int = 0
    buyer: Person | None = None
    next_cart: NextCart | None = Field(default=None, description="The fresh cart the members carry on with")
    time_zone: str | None = Field(default=None, description="The festival's: show the times in it")


class OrderGroupList(BaseModel):
    groups: list[OrderGroupOut]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page")


class OrderList(BaseModel):
    orders: list[OrderOut]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page")


class OrderListQuery(InputModel):
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = Field(default=None, ge=1, le=2**31 - 1)


class OrderStatusChange(InputModel):
    status: Literal["ready_for_pickup", "shipped", "delivered", "completed", "cancelled"]
