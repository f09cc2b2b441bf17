"""A background task owned by its holder: running inside the ``async with``, cancelled and awaited on exit, even
when the body raises."""

from __future__ import annotations

import asyncio

import pytest

from server.owned_task import owned_task


async def test_the_task_runs_inside_and_is_cancelled_and_awaited_on_exit() -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            stopped.set()

    with pytest.raises(RuntimeError):
        async with owned_task(work(), "worker") as task:
            await started.wait()
            assert task.get_name() == "worker" and not task.done()
            raise RuntimeError("the holder fails")
    assert stopped.is_set() and task.cancelled()
