"""A background task owned by whatever holds it: started on entry, cancelled and awaited on exit (an app's
cleanup context, say), so that no task outlives the app that started it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def owned_task(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``work`` as a task for the duration of the ``async with``; cancel it and wait for it on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
