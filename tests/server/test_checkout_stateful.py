"""Hypothesis state machine over the cart/checkout/order services: stock is conserved, totals add up.

Several members edit one shared cart, prices change under them, they check out (some payments declined)
and merchants cancel orders. After every step, for every product: initial stock = stock + units sold in
live (not cancelled) orders, stock is never negative, and every order's total is the sum of its lines.
The machine is synchronous (Hypothesis drives it); each example owns an event loop and an engine.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, insert, select, update

from server.contracts import carts as cs
from server.domain.errors import DomainError
from server.domain.principal import Principal
from server.persistence import migrate
from server.persistence.database import Database
from server.persistence.engine import make_engine
from server.persistence.tables import Festival, Merchant, Order, OrderGroup, OrderLine, Product, ShopperSession, Store
from server.services import carts, checkout, orders
from server.services.payments import Payments, TestProvider

MEMBERS = 3
_seq = itertools.count()
DELIVERY = {"type": "delivery", "address": {"name": "n", "phone": "010-1234-5678", "line1": "l", "city": "서울",
                                             "postal_code": "04524"}}

PAYMENTS = Payments({"test": TestProvider()})


class CheckoutMachine(RuleBasedStateMachine):
    db_url = ""
    paid = 0  # across examples: proves the machine reaches real checkouts, not only refusals
    cancelled = 0

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.database = Database.connect(self.db_url)
        self.loop.run_until_complete(self._setup())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _setup(self) -> None:
        n = next(_seq)
        async with self.database.write() as db:
            fid = (await db.execute(insert(Festival).values(slug=f"f{n}", name_ko="f", name_en="f", timezone="UTC",
                                                            instance_capacity=10).returning(Festival.id))).scalar_one()
            mid = (await db.execute(insert(Merchant).values(festival_id=fid, name="m").returning(Merchant.id))
                   ).scalar_one()
            self.merchant = Principal("merchant", 0, festival_id=fid, merchant_id=mid)
            self.stores = []
            for s in range(2):
                sid = (await db.execute(insert(Store).values(
                    slug=f"s{n}-{s}", festival_id=fid, merchant_id=mid, name_ko="s", name_en="s", kind="brand_shop",
                    status="approved", currency="KRW").returning(Store.id))).scalar_one()
                self.stores.append(f"s{n}-{s}")
                for p in range(2):
                    await db.execute(insert(Product).values(store_id=sid, sku=f"p{p}", name_ko="p", category="",
                                                            price=100 * (p + 1), currency="KRW", stock=3, active=True,
                                                            data_json="{}"))
            self.products = [(store, f"p{p}") for store in self.stores for p in range(2)]
            self.product_ids = list((await db.execute(select(Product.id).join(Store).where(Store.festival_id == fid)
                                                      .order_by(Product.id))).scalars())
            self.members = []
            for m in range(MEMBERS):
                sid = (await db.execute(insert(ShopperSession).values(display_name=f"m{m}", locale="ko")
                                        .returning(ShopperSession.id))).scalar_one()
                self.members.append(Principal("shopper", 0, session_id=sid))
        self.initial = dict.fromkeys(self.product_ids, 3)
        await self._new_cart()

    async def _new_cart(self) -> None:
        created = await carts.create_cart(self.database, self.members[0])
        for member in self.members[1:]:
            await carts.join_cart(self.database, member, created.share_code)
        self.cart = created.id

    def teardown(self) -> None:
        self.run(self.database.close())
        self.loop.close()

    async def _quietly(self, coro: Any) -> Any:
        try:
            return await coro
        except DomainError as exc:
            assert exc.code.http_status in (404, 409, 422), exc  # a refusal, never a crash
            return None

    @rule(member=st.integers(0, MEMBERS - 1), product=st.integers(0, 3), qty=st.integers(1, 4))
    def add(self, member: int, product: int, qty: int) -> None:
        store, sku = self.products[product]
        body = cs.LineAdd(store=store, sku=sku, quantity=qty)
        self.run(self._quietly(carts.add_line(self.database, self.members[member], self.cart, body, None)))

    @rule(member=st.integers(0, MEMBERS - 1), pick=st.integers(0, 10), qty=st.integers(0, 3))
    def change_or_remove(self, member: int, pick: int, qty: int) -> None:
        cart = self.run(carts.get_cart(self.database, self.members[member], self.cart))
        if not cart.lines:
            return
        line = cart.lines[pick % len(cart.lines)].id
        call = (carts.remove_line(self.database, self.members[member], self.cart, line, None) if qty == 0 else
                carts.set_quantity(self.database, self.members[member], self.cart, line, qty, None))
        self.run(self._quietly(call))

    @rule(product=st.integers(0, 3), price=st.integers(50, 500), restock=st.integers(0, 2))
    def merchant_edits(self, product: int, price: int, restock: int) -> None:
        async def go() -> None:
            async with self.database.write() as db:
                pid = self.product_ids[product]
                await db.execute(update(Product).where(Product.id == pid)
                                 .values(price=price, stock=Product.stock + restock))
            self.initial[pid] += restock  # a restock is new stock, not a sale

        self.run(go())

    @rule(member=st.integers(0, MEMBERS - 1), decline=st.booleans(), key=st.integers(0, 3))
    def pay(self, member: int, decline: bool, key: int) -> None:
        body = cs.CheckoutIn.model_validate({"fulfilment": DELIVERY, "payment": {
            "provider": "test", "token": "tok_decline" if decline else "tok_visa"}})
        # Keys repeat on purpose: a reuse with another token must be refused (422), a same-body reuse replays.
        result = self.run(self._quietly(checkout.checkout(self.database, PAYMENTS, self.members[member], self.cart,
                                                          f"{self.cart}-{key}", body)))
        if result is None:
            return
        assert (result.order_group is None) != (result.refusal is None), result
        if result.refusal is not None:
            assert result.refusal.code.http_status in (402, 404, 409, 422), result.refusal
        if result.order_group is not None and not result.replayed:
            CheckoutMachine.paid += 1
            self.run(self._new_cart())

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        async def go() -> None:
            async with self.database.write() as db:
                ids = list((await db.execute(select(Order.id).where(Order.status == "paid").order_by(Order.id))
                            ).scalars())
            if ids and await self._quietly(orders.set_status(self.database, self.merchant, ids[pick % len(ids)],
                                                             "cancelled")):
                CheckoutMachine.cancelled += 1

        self.run(go())

    @invariant()
    def stock_is_conserved_and_totals_add_up(self) -> None:
        async def check() -> None:
            async with self.database.write() as db:
                stock = dict((await db.execute(select(Product.id, Product.stock)
                                               .where(Product.id.in_(self.product_ids)))).all())
                sold = dict((await db.execute(
                    select(OrderLine.product_id, func.sum(OrderLine.quantity)).join(Order)
                    .where(Order.status != "cancelled", OrderLine.product_id.in_(self.product_ids))
                    .group_by(OrderLine.product_id))).all())
                for pid in self.product_ids:
                    assert stock[pid] >= 0
                    assert self.initial[pid] == stock[pid] + int(sold.get(pid, 0)), (pid, stock, sold)
                lines = dict((await db.execute(select(OrderLine.order_id, func.sum(OrderLine.line_total))
                                               .group_by(OrderLine.order_id))).all())
                for order_id, total in (await db.execute(select(Order.id, Order.total))).all():
                    assert total == lines[order_id]
                groups = dict((await db.execute(select(Order.group_id, func.sum(Order.total))
                                                .group_by(Order.group_id))).all())
                for group_id, total in (await db.execute(select(OrderGroup.id, OrderGroup.total))).all():
                    assert total == groups[group_id]

        self.run(check())


def test_stock_conservation_state_machine(db_url: str) -> None:
    async def prepare() -> None:
        engine = make_engine(db_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(prepare())
    finally:
        loop.close()
    CheckoutMachine.db_url = db_url
    CheckoutMachine.paid = CheckoutMachine.cancelled = 0
    run_state_machine_as_test(CheckoutMachine, settings=settings(
        max_examples=20, stateful_step_count=25, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # Deterministic examples (derandomize) so CI sees the same runs; cancellation itself is covered
    # example by example in test_checkout.py, so only the checkout path must have been exercised here.
    assert CheckoutMachine.paid > 0
