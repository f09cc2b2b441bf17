"""Fair turns at the build pool (issue 16): one merchant's backlog cannot starve the others."""

from __future__ import annotations

import asyncio

from server.fair_slots import FairSlots


async def _run_all(slots: FairSlots, jobs: list[str]) -> list[str]:
    order: list[str] = []
    gate = asyncio.Event()

    async def job(name: str) -> None:
        async with slots.turn(name[0]):
            order.append(name)
            await gate.wait() if name == jobs[0] else None

    tasks = []
    for name in jobs:
        tasks.append(asyncio.create_task(job(name)))
        await asyncio.sleep(0)  # queue in this order
    gate.set()
    await asyncio.gather(*tasks)
    return order


async def test_an_owner_waits_behind_one_job_of_each_other_owner() -> None:
    order = await _run_all(FairSlots(1), ["A1", "A2", "A3", "A4", "B1", "C1", "B2"])
    assert order == ["A1", "B1", "C1", "A2", "B2", "A3", "A4"]


async def test_a_lone_owner_runs_in_order_and_slots_are_returned() -> None:
    slots = FairSlots(2)
    assert await _run_all(slots, ["A1", "A2", "A3"]) == ["A1", "A2", "A3"]
    assert slots.waiting == 0
    async with slots.turn("X"), slots.turn("Y"):  # both slots free again
        pass


async def test_a_waiter_that_gives_up_leaves_no_hole() -> None:
    slots = FairSlots(1)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with slots.turn("A"):
            holding.set()
            await release.wait()

    first = asyncio.create_task(holder())
    await holding.wait()
    quitter = asyncio.create_task(slots.turn("B").__aenter__())
    await asyncio.sleep(0)
    quitter.cancel()
    await asyncio.gather(quitter, return_exceptions=True)
    assert slots.waiting == 0
    release.set()
    await first
    async with asyncio.timeout(1):
        async with slots.turn("C"):
            pass
