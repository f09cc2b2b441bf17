"""A revoked session keeps no live socket (issue 16): signing out closes it with 4001 at once, and a revocation
this worker never heard of (a lost bus message) is caught by the periodic re-check within seconds."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from factories import bearer
from realtime_factories import SCENE, pose_frame, ticks
from sqlalchemy import update

from server import keys
from server.live.client import LiveClient
from server.live.core.actions import Close
from server.live.core.hub import Hub
from server.live.core.protocol import CloseCode
from server.persistence.tables import ApiToken, utcnow

if TYPE_CHECKING:
    from conftest import Mall


def test_the_hub_expels_a_connection_and_its_seat_at_once() -> None:
    hub = Hub()
    a = hub.join(1, store="s", session="a", name="A", now=0.0, scene=SCENE)
    hub.join(2, store="s", session="b", name="B", now=0.0, scene=SCENE)
    hub.handle_pose(1, pose_frame(1.0), now=0.0)
    hub.handle_pose(2, pose_frame(2.0), now=0.0)
    hub.tick(0.1)
    assert hub.expel(1, CloseCode.UNAUTHORIZED, "unauthorized") == [Close(1, CloseCode.UNAUTHORIZED, "unauthorized")]
    assert hub.counts()["s"].present == 1 and hub.counts()["s"].away == 0  # no grace: the seat is gone
    assert a.peer_id in ticks(hub.tick(0.2))[2].left
    assert hub.leave(1, now=0.3) == []  # the socket's end changes nothing more
    # A connection without a seat yet (before its hello) is only closed.
    assert hub.expel(9, CloseCode.UNAUTHORIZED, "unauthorized") == [Close(9, CloseCode.UNAUTHORIZED, "unauthorized")]


async def test_signing_out_closes_the_sessions_live_socket_at_once(mall: Mall) -> None:
    t = mall.tenant
    a = await LiveClient.connect(mall.url, t.store, t.shopper)
    b = await LiveClient.connect(mall.url, t.store, await mall.shopper("지수"))
    try:
        await a.send_pose(1.0)
        await b.wait_for(lambda c: a.peer_id in c.peers)
        r = await mall.client.delete("/api/v1/sessions/current", headers=bearer(t.shopper))
        assert r.status == 204
        signed_out = time.monotonic()
        await asyncio.wait_for(a.closed.wait(), 5)
        assert a.close_code == int(CloseCode.UNAUTHORIZED)
        assert time.monotonic() - signed_out < 2.0
        # Its seat went with it (no grace: the session cannot come back to it); the others see it leave.
        await b.wait_for(lambda c: any(a.peer_id in tick.left for tick in c.ticks))
        assert mall.live.hub.counts()[t.store].present == 1 and mall.live.hub.counts()[t.store].away == 0
        metrics = await (await mall.client.get("/metrics")).text()
        assert 'vrstore_live_closes_total{code="4001"} 1.0' in metrics
        r = await mall.client.get(f"/api/v1/live?store={t.store}", headers=bearer(t.shopper))
        assert r.status == 401  # and the token opens no new one
    finally:
        await a.close()
        await b.close()


async def test_a_revocation_without_an_event_is_caught_by_the_recheck(mall: Mall) -> None:
    t = mall.tenant
    a = await LiveClient.connect(mall.url, t.store, t.shopper)
    stays = await LiveClient.connect(mall.url, t.store, await mall.shopper("지수"))
    try:
        # Revoked behind this worker's back, as by another worker whose event the bus lost.
        me = await (await mall.client.get("/api/v1/sessions/current", headers=bearer(t.shopper))).json()
        database = mall.client.app[keys.DATABASE]
        async with database.write() as db:
            await db.execute(update(ApiToken).where(ApiToken.session_id == me["session"]["id"])
                             .values(revoked_at=utcnow()))
        await asyncio.wait_for(a.closed.wait(), mall.live.revocation_recheck_s + 5)
        assert a.close_code == int(CloseCode.UNAUTHORIZED)
        assert not stays.closed.is_set()
    finally:
        await a.close()
        await stays.close()
