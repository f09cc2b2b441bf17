"""Shared fixtures: a real database per test (SQLite, or the PostgreSQL the test command started)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import database_url, make_settings, running_client

from server.settings import Settings

# Seconds each of the longest files took (`pytest --durations`, 2026-12-05). pytest-xdist (scripts/test.sh: loadfile,
# --no-loadscope-reorder) hands whole files out in collection order, so they go first, longest first; handed out by
# their number of tests instead, a long file of few tests (the churn test) ran last, alone on one worker.
LONGEST_FILES = {
    "tests/e2e/test_vr.py": 83, "tests/server/test_schemathesis.py": 62, "tests/e2e/test_checkout.py": 61,
    "tests/e2e/test_shopper.py": 56, "tests/e2e/test_product_panel.py": 54,
    "tests/server/scaleout/test_live_cluster.py": 44, "tests/e2e/test_accessibility_store.py": 43,
    "tests/server/live/test_churn.py": 40, "tests/e2e/test_consoles.py": 40, "tests/e2e/test_shopper_live.py": 40,
    "tests/server/test_loadtest.py": 35, "tests/e2e/test_first_load.py": 35, "tests/server/test_analytics.py": 31,
    "tests/e2e/test_phone_layout.py": 27, "tests/server/live/test_slow_consumer.py": 26,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (LONGEST_FILES); the rest keep their order after them (a stable sort)."""
    items.sort(key=lambda item: -LONGEST_FILES.get(item.nodeid.split("::", 1)[0], 0))


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
