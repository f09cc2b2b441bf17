"""Heads are clamped to the store's walkable box (issue 16): a pose far outside the store reached the others
unchanged, because nothing told the rooms how big the store is. The box comes from the scene's manifest."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from factories import bearer
from realtime_factories import SCENE, join, pose_frame, ticks

from server import keys
from server.live.client import LiveClient
from server.live.core.bounds import EVERYWHERE, Bounds, bounds_from_manifest
from server.live.core.hub import Hub
from server.live.core.room import Room
from storefront_builder.catalog.sample import sample_catalog_json

if TYPE_CHECKING:
    from conftest import Mall

# A 12.6 × 15.2 m store, 3.2 m high, whose walkable floor stops 0.3 m short of the walls.
MANIFEST = {"bounds": {"min": [-6.3, 0.0, -7.6], "max": [6.3, 3.2, 7.6]},
            "walkable": [[-6.0, -7.3, 0.0, 7.3], [0.0, -7.3, 6.0, 2.0]]}
BOX = Bounds((-600, 0, -730), (600, 320, 730))


def test_the_box_is_the_walkable_floor_from_floor_to_ceiling() -> None:
    assert bounds_from_manifest(MANIFEST) == BOX
    no_floor = {"bounds": MANIFEST["bounds"]}
    assert bounds_from_manifest(no_floor) == Bounds((-630, 0, -760), (630, 320, 760))
    for junk in ({}, {"bounds": {"min": [0, 0], "max": [1, 1, 1]}}, {"bounds": "big"},
                 {"bounds": {"min": [1, 0, 1], "max": [0, 1, 0]}}, {**MANIFEST, "walkable": [["a", 0, 1, 1]]},
                 {"bounds": {"min": [float("nan"), 0, 0], "max": [1, 1, 1]}}):
        assert bounds_from_manifest(junk) is None, junk


def test_a_room_clamps_heads_into_its_box_and_leaves_hands_alone() -> None:
    room = Room("store-1", 1)
    room.bounds = BOX
    a, b = join(room, 1).peer_id, join(room, 2).peer_id
    room.handle_pose(b, pose_frame(0.0), now=0.0)
    room.handle_pose(a, pose_frame(30.0, 1.6, 25.0, hands=True), now=0.0)
    [rec] = ticks(room.tick(0.1))[2].poses
    assert rec.id == a and rec.head_cm == (600, 160, 730) and room.stats.poses_clamped == 1
    assert rec.hands is not None and rec.hands[0] == (2970, 120, 2500)  # hands follow the client, unclamped
    room.handle_pose(a, pose_frame(-1.0, 9.0, -3.0), now=1.0)
    [rec] = ticks(room.tick(1.1))[2].poses
    assert rec.head_cm == (-100, 320, -300)  # inside on x and z, above the ceiling on y


def test_the_hub_gives_every_instance_of_a_store_its_box() -> None:
    hub = Hub()
    hub.join(1, store="s", session="a", name="A", now=0.0, scene=SCENE, instance=1)
    assert hub.rooms("s")[1].bounds == EVERYWHERE  # no scene known: only what a frame can carry
    hub.join(2, store="s", session="b", name="B", now=0.0, scene=SCENE, instance=2, bounds=BOX)
    assert [r.bounds for r in hub.rooms("s").values()] == [BOX, BOX]
    hub.join(3, store="s", session="c", name="C", now=0.0, scene=SCENE, instance=3)
    assert hub.rooms("s")[3].bounds == BOX  # a later instance inherits it
    hub.join(4, store="other", session="d", name="D", now=0.0, scene=SCENE)
    assert hub.rooms("other")[1].bounds == EVERYWHERE


async def test_a_pose_far_outside_the_built_store_reaches_the_others_clamped(mall: Mall) -> None:
    client, t = mall.client, mall.tenant
    r = await client.put(f"/api/v1/stores/{t.store}/catalog", data=io.BytesIO(
        sample_catalog_json("convenience_store", 12).encode()),
        headers={**bearer(t.merchant), "Content-Type": "application/json"})
    assert r.status == 200, await r.text()
    r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
    assert r.status == 202, await r.text()
    await client.app[keys.BUILDS].idle.wait()
    store = await (await client.get(f"/api/v1/stores/{t.store}")).json()
    manifest: dict[str, Any] = json.loads(await (await client.get(store["scene"]["manifest"])).read())
    box = bounds_from_manifest(manifest)
    assert box is not None and box.hi[0] < 3000 and box.hi[2] < 2500  # the store is smaller than (30, 25) m

    a = await LiveClient.connect(mall.url, t.store, t.shopper)
    b = await LiveClient.connect(mall.url, t.store, await mall.shopper("지수"))
    try:
        await a.send_pose(30.0, 1.6, 25.0)
        await b.wait_for(lambda c: a.peer_id in c.peers)
        assert b.peers[a.peer_id] == (box.hi[0], 160, box.hi[2])
        await a.send_pose(-30.0, 1.6, -25.0)
        await b.wait_for(lambda c: c.peers[a.peer_id] == (box.lo[0], 160, box.lo[2]))
    finally:
        await a.close()
        await b.close()
