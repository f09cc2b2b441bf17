"""A running app with one approved store, for the live tests that go through the real WebSocket endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_runner import BaseRunner
from factories import Tenant, make_tenant

from server import keys
from server.app import create_app
from server.live.service import Live
from server.settings import Settings


class ServedAsInProduction(TestServer):
    """aiohttp's test server cancels a handler whose client went away; ``vrstore serve`` (``web.run_app``) lets
    it run on. What the live handler does then (aiohttp closing the socket on the end of the stream) is only
    seen with the production setting."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return await super()._make_runner(**{**kwargs, "handler_cancellation": False})


@dataclass
class Mall:
    client: TestClient[Any, Any]
    tenant: Tenant
    url: str  # http://127.0.0.1:<port>

    @property
    def live(self) -> Live:
        return self.client.app[keys.LIVE]

    async def shopper(self, name: str = "손님") -> str:
        """A fresh shopper session's token."""
        r = await self.client.post("/api/v1/sessions", json={"display_name": name})
        assert r.status == 201, await r.text()
        self.client.session.cookie_jar.clear()
        return str((await r.json())["token"])


@pytest.fixture
def mall_settings(sqlite_settings: Settings) -> Settings:
    """The mall's settings (a test module overrides this fixture to change them)."""
    return sqlite_settings


@pytest.fixture
async def mall(mall_settings: Settings) -> AsyncIterator[Mall]:
    async with TestClient(ServedAsInProduction(create_app(mall_settings))) as client:
        tenant = await make_tenant(client, mall_settings)
        yield Mall(client, tenant, str(client.make_url("")).rstrip("/"))
