"""Shared fixtures: a real database per test (SQLite, or the PostgreSQL the test command started)."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import database_url, make_settings, running_client

from server.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Tests that take this run once per database."""
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with running_client(settings) as c:
        yield c


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'vrstore.db'}")


@pytest.fixture
async def sqlite_client(sqlite_settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with running_client(sqlite_settings) as c:
        yield c


@pytest.fixture
def test_runner_heap_frozen() -> Iterator[list[float]]:
    """The test runner's own heap out of the collector's way, and the collector's pauses meanwhile.

    For tests that bound how long the loop under test may stall. They run inside a pytest worker that has run
    hundreds of tests before them, and a full collection over that heap takes most of a second (0.8-0.9 s over
    three million objects; 0.6 s measured again on 2026-12-05) and stops the loop: clean-clone runs failed on a
    tick 1.2-1.4 s late (test_big_catalog.py) and on a loop lag of 1.3 s (test_store_products.py) while a
    process beside them saw no stall. That heap is not the server's (which freezes its own start-up heap:
    server/process/single.py), so it is frozen; what the test allocates is still collected, and measured."""
    pauses: list[float] = []
    started: list[float] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append(time.perf_counter() - started.pop())

    gc.collect()
    gc.freeze()
    gc.callbacks.append(timed)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(timed)
        gc.unfreeze()
