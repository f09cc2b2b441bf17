"""The live layer's questions (``server.live.ports.LiveData``) answered from the database."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, select

from server.domain.sale_window import festival_started, within_sale_window
from server.live.ports import PLAZA, SaleWindow, StoreScene, plaza_room
from server.persistence.database import Database
from server.persistence.tables import ApiToken, Cart, CartMember, Festival, ShopperSession, Store
from server.services.stores import scene_ref


class DatabaseLiveData:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def join_context(self, session_id: int, store: str, festival: str | None
                           ) -> tuple[str | None, StoreScene | None]:
        # One read in one call (on SQLite one hop to the reader thread, not one per statement): every join
        # asks this, and a crowd arriving at 150 a second asks it 150 times a second (bench/joins.py).
        return await self.database.read_sync(_join_context, session_id, store, festival)

    async def is_cart_member(self, cart_id: int, session_id: int) -> bool:
        async with self.database.read() as db:
            row = await db.execute(select(CartMember.session_id).where(
                CartMember.cart_id == cart_id, CartMember.session_id == session_id))
            return row.first() is not None

    async def cart_versions(self, cart_ids: list[int]) -> dict[int, int]:
        if not cart_ids:
            return {}
        async with self.database.read() as db:
            rows = await db.execute(select(Cart.id, Cart.version).where(Cart.id.in_(cart_ids)))
            return {int(cid): int(version) for cid, version in rows.all()}

    async def sale_windows(self) -> list[SaleWindow]:
        now = datetime.now(UTC)
        async with self.database.read() as db:
            festivals = (await db.execute(select(Festival.slug, Festival.starts_at, Festival.ends_at,
                                                 Festival.visitor_cap))).all()
        return [SaleWindow(slug, within_sale_window(starts, ends, now), cap, festival_started(starts, now))
                for slug, starts, ends, cap in festivals]

    async def invalid_tokens(self, token_ids: Collection[int]) -> set[int]:
        wanted, valid = sorted(set(token_ids)), set[int]()
        async with self.database.read() as db:
            for i in range(0, len(wanted), _IDS_PER_QUERY):
                rows = await db.execute(select(ApiToken.id).where(
                    ApiToken.id.in_(wanted[i : i + _IDS_PER_QUERY]), ApiToken.revoked_at.is_(None)))
                valid.update(int(token_id) for (token_id,) in rows.all())
        return set(wanted) - valid


_IDS_PER_QUERY = 500  # far below every driver's limit on bound parameters


def _join_context(conn: Connection, session_id: int, store: str, festival: str | None
                  ) -> tuple[str | None, StoreScene | None]:
    """The shopper's display name (None: no such session) and the store's scene (None: no visitable store)."""
    name = conn.execute(select(ShopperSession.display_name).where(ShopperSession.id == session_id)).first()
    return (name[0] if name is not None else None), _store_scene(conn, store, festival)


def _store_scene(conn: Connection, store: str, festival: str | None) -> StoreScene | None:
    if store == PLAZA:
        found = _plaza_festival(conn, festival)
        if found is None:
            return None
        return StoreScene(plaza_room(found.slug), found.slug, _urls(found.plaza_hash), found.visitor_cap,
                          found.plaza_hash)
    row = conn.execute(select(Store.slug, Store.status, Store.scene_hash, Festival.slug.label("festival"),
                              Festival.visitor_cap)
                       .join(Festival, Festival.id == Store.festival_id).where(Store.slug == store)).first()
    if row is None or row.status not in ("approved", "suspended"):
        return None
    return StoreScene(row.slug, row.festival, _urls(row.scene_hash), row.visitor_cap, row.scene_hash,
                      suspended=row.status == "suspended")


def _plaza_festival(conn: Connection, festival: str | None) -> Row[str, str | None, int | None] | None:
    """The festival whose plaza is meant: the named one, or the only one when none is named."""
    query = select(Festival.slug, Festival.plaza_hash, Festival.visitor_cap)
    if festival is not None:
        return conn.execute(query.where(Festival.slug == festival)).first()
    only = conn.execute(query.limit(2)).all()
    return only[0] if len(only) == 1 else None


def _urls(scene_hash: str | None) -> dict[str, str]:
    ref = scene_ref(scene_hash)
    return {"glb": ref.glb, "manifest": ref.manifest} if ref else {}
