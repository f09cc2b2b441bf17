"""The way to a product (issue 21): which scene and which goal from the database, the walk from the scene manifest.

A product of the store the shopper is in: the walk ends in front of its slot (``domain/wayfinding.py``). A product of
another store of the festival: the walk ends in front of this scene's portal to that store (the plaza has one per
store), else its portal to the plaza, else at its entrance (the first spawn point); the answer names the other store
and its page so the client can offer to go there.

``walk_in_scene`` is CPU work (A* over the floor grid: milliseconds in a small store, more in a big one), so the HTTP
edge runs it in the quick pool. It reads the manifest by its path and keeps the last few parsed, with their grids, in
the pool's process: scenes are named by content hash, so a kept one never goes stale.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, select

from server.contracts import wayfinding as cw
from server.contracts.foundation import Names
from server.domain import wayfinding as wf
from server.domain.errors import NotFound, Unprocessable
from server.persistence.database import Database
from server.persistence.tables import Base, on_shelf

FESTIVALS = Base.metadata.tables["festivals"]
STORES = Base.metadata.tables["stores"]
PRODUCTS = Base.metadata.tables["products"]
START_REACH = 1.0  # metres: a start farther than this from any walkable floor is not in the store
Refusal = Literal["outside", "not-placed", "no-way"]


@dataclass(frozen=True)
class Target:
    """What the database says about a way: the scene to walk in and where the product is."""

    scene_hash: str
    here: str  # the store walked in, or "plaza"
    product: str
    product_store: str
    product_store_name: Names

    @property
    def elsewhere(self) -> bool:
        return self.product_store != self.here


@dataclass(frozen=True)
class Walk:
    points: list[tuple[float, float]]
    arrives: Literal["product", "portal", "entrance"]
    portal: dict[str, Any] | None  # the manifest's portal entry the walk ends before


def _product_store(conn: Connection, festival_id: int, slug: str, sku: str) -> Names:
    s, p = STORES.c, PRODUCTS.c
    row = conn.execute(select(s.name_ko, s.name_en).join(PRODUCTS, p.store_id == s.id).where(
        s.slug == slug, s.festival_id == festival_id, s.status == "approved", p.sku == sku, on_shelf(p))).first()
    if row is None:
        raise NotFound(f"no product {sku!r} in store {slug!r}")
    return Names(ko=row.name_ko, en=row.name_en)


def store_target_sync(conn: Connection, store: str, query: cw.PathQuery) -> Target:
    """A way inside an approved store with a scene (404 for an unknown store, product or scene)."""
    s = STORES.c
    row = conn.execute(select(s.festival_id, s.scene_hash).where(s.slug == store, s.status == "approved")).first()
    if row is None:
        raise NotFound(f"no store {store!r}")
    if not row.scene_hash:
        raise NotFound(f"store {store!r} has no scene yet")
    owner = query.product_store or store
    names = _product_store(conn, row.festival_id, owner, query.product)
    return Target(row.scene_hash, store, query.product, owner, names)


def plaza_target_sync(conn: Connection, festival: str, query: cw.PlazaPathQuery) -> Target:
    """A way across a festival's plaza to the portal of the product's store."""
    f = FESTIVALS.c
    row = conn.execute(select(f.id, f.plaza_hash).where(f.slug == festival)).first()
    if row is None:
        raise NotFound(f"no festival {festival!r}")
    if not row.plaza_hash:
        raise NotFound(f"festival {festival!r} has no plaza yet")
    names = _product_store(conn, row.id, query.product_store, query.product)
    return Target(row.plaza_hash, "plaza", query.product, query.product_store, names)


async def store_target(database: Database, store: str, query: cw.PathQuery) -> Target:
    return await database.read_sync(store_target_sync, store, query)


async def plaza_target(database: Database, festival: str, query: cw.PlazaPathQuery) -> Target:
    return await database.read_sync(plaza_target_sync, festival, query)


def parse_point(text: str) -> tuple[float, float]:
    """``x,z`` as the query's pattern admits it."""
    x, z = text.split(",")
    return float(x), float(z)


# --- in the quick pool ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)  # per pool process; a big store's manifest is megabytes, so only a few are kept
def _scene(manifest_path: str) -> tuple[dict[str, Any], wf.Grid]:
    manifest = json.loads(Path(manifest_path).read_bytes())
    return manifest, wf.grid(manifest)


def walk(manifest: dict[str, Any], g: wf.Grid, start: tuple[float, float], sku: str, door_to: str | None
         ) -> Walk | Refusal:
    """The walk to product ``sku`` (``door_to`` None) or towards store ``door_to``; a refusal's reason otherwise."""
    lo, hi = manifest["bounds"]["min"], manifest["bounds"]["max"]
    inside = lo[0] <= start[0] <= hi[0] and lo[2] <= start[1] <= hi[2]
    if not inside or wf.nearest_free(g, start, reach=START_REACH) is None:
        return "outside"
    portal: dict[str, Any] | None = None
    arrives: Literal["product", "portal", "entrance"]
    if door_to is None:
        product = wf.product_entry(manifest, sku)
        if product is None:
            return "not-placed"
        goal, arrives = wf.slot_front(product), "product"
    else:
        portals = manifest.get("portals", [])
        portal = (next((p for p in portals if p.get("target") == door_to), None)
                  or next((p for p in portals if p.get("target") == "plaza"), None))
        if portal is not None:
            goal, arrives = wf.portal_front(g, portal), "portal"
        else:
            spawn = (manifest.get("spawn_points") or [{"position": [0.0, 0.0, 0.0]}])[0]["position"]
            goal, arrives = (float(spawn[0]), float(spawn[2])), "entrance"
    points = wf.walk(g, start, goal)
    if points is None:
        return "no-way"
    if math.dist(points[0], start) > 0.01:  # from where the shopper stands, not the centre of its cell
        points.insert(0, (round(start[0], 3), round(start[1], 3)))
    return Walk(points, arrives, portal)


def walk_in_scene(manifest_path: str, start: tuple[float, float], sku: str, door_to: str | None) -> Walk | Refusal:
    """``walk`` in the scene whose manifest is at ``manifest_path`` (run in the quick pool)."""
    manifest, g = _scene(manifest_path)
    return walk(manifest, g, start, sku, door_to)


# --- the answer ----------------------------------------------------------------------------------------------------


def answer(target: Target, result: Walk | Refusal) -> cw.PathOut:
    """The API's answer for a walk, or the refusal as a domain error."""
    if result == "outside":
        raise Unprocessable("the starting point is not on the store's floor",
                            errors=[{"loc": ["query", "from"], "msg": "not on the walkable floor of this scene"}])
    if result == "not-placed":
        raise NotFound(f"product {target.product!r} is not placed in the store's scene")
    if result == "no-way":
        raise Unprocessable("no way leads from there to the product",
                            errors=[{"loc": ["query", "from"], "msg": "no walkable way to the goal"}])
    assert isinstance(result, Walk)
    length = sum(math.dist(a, b) for a, b in zip(result.points, result.points[1:], strict=False))
    portal = result.portal
    return cw.PathOut(
        points=[[x, z] for x, z in result.points], length_m=round(length, 2), arrives=result.arrives,
        product=target.product, product_store=target.product_store,
        portal=cw.PortalRef(id=str(portal["id"]), target=str(portal["target"]), label=portal.get("label"))
        if portal is not None else None,
        store=cw.StoreLink(slug=target.product_store, name=target.product_store_name,
                           url=f"/store/{target.product_store}") if target.elsewhere else None)
