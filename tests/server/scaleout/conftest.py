"""Scale-out tests: a real ``redis-server`` per test (see tests/support/redis_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import free_port
from redis_server import RedisServer, redis_binary


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if redis_binary() is None:
        pytest.fail("redis-server is not installed: run scripts/setup.sh")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()
