"""Test factories in one place: databases, apps, clients, tenants."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server import keys
from server.app import create_app
from server.persistence import migrate
from server.persistence.database import Database
from server.persistence.engine import make_engine
from server.services import festivals
from server.settings import Settings

PG_URL_ENV = "VRSTORE_TEST_PG_URL"


def pg_base_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        raise RuntimeError(
            f"{PG_URL_ENV} is not set: run the suite with scripts/test.sh, which starts PostgreSQL"
        )
    return url


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path, *, migrated: bool = True) -> AsyncIterator[str]:
    """A fresh database of the given backend, dropped afterwards: at the newest schema (a copy of a template
    migrated once per test process, instead of running every migration for every test), or empty."""
    if backend == "sqlite":
        path = tmp_path / "vrstore.db"
        if migrated:
            shutil.copyfile(await _sqlite_template(), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = await _create_pg_database(name, template=await _pg_template() if migrated else None)
    yield url
    admin = create_async_engine(pg_base_url(), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def _create_pg_database(name: str, *, template: str | None = None) -> str:
    """``CREATE DATABASE name [TEMPLATE template]`` on the test server; returns its URL."""
    base = pg_base_url()
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        await admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


_templates: dict[str, str] = {}  # backend → the migrated template of this test process


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it


async def _sqlite_template() -> str:
    if "sqlite" not in _templates:
        folder = tempfile.mkdtemp(prefix="vrstore-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        await _migrate(f"sqlite+aiosqlite:///{folder}/template.db")
        _templates["sqlite"] = f"{folder}/template.db"
    return _templates["sqlite"]


async def _pg_template() -> str:
    if "postgres" not in _templates:
        name = f"template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        await _migrate(await _create_pg_database(name))
        _templates["postgres"] = name
    return _templates["postgres"]


def make_settings(tmp_path: Path, db_url: str, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url, **overrides)


@asynccontextmanager
async def running_client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def create_festival(settings: Settings, slug: str = "fest") -> str:
    """A festival straight through the service (as the admin CLI does); returns the organizer token."""
    database = Database.connect(settings.effective_database_url)
    try:
        async with database.write() as db:
            _, token = await festivals.create_festival(db, slug=slug, name_ko="축제", name_en="Festival")
        return token
    finally:
        await database.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Tenant:
    """A festival with its organizer, one merchant with one approved store, and a shopper."""

    festival: str
    organizer: str
    merchant: str
    merchant_id: int
    store: str
    shopper: str


async def make_tenant(client: TestClient[Any, Any], settings: Settings, slug: str = "fest") -> Tenant:
    organizer = await create_festival(settings, slug)
    r = await client.post(f"/api/v1/festivals/{slug}/merchants", json={"name": f"{slug} merchant"},
                          headers=bearer(organizer))
    assert r.status == 201, await r.text()
    merchant = await r.json()
    store_slug = f"{slug}-store"
    r = await client.post("/api/v1/stores", json={"slug": store_slug, "name_ko": "가게", "name_en": "Shop",
                                                  "kind": "convenience_store"}, headers=bearer(merchant["token"]))
    assert r.status == 201, await r.text()
    r = await client.put(f"/api/v1/stores/{store_slug}/status", json={"status": "approved"},
                         headers=bearer(organizer))
    assert r.status == 200, await r.text()
    # Approval rebuilds the plaza in the background; let it finish here, so its scene_published notice never
    # lands in the events a test listens to afterwards.
    await client.server.app[keys.BUILDS].idle.wait()
    r = await client.post("/api/v1/sessions", json={"display_name": "민지"})
    assert r.status == 201
    shopper = (await r.json())["token"]
    client.session.cookie_jar.clear()  # tests choose their credentials explicitly
    return Tenant(slug, organizer, merchant["token"], merchant["id"], store_slug, shopper)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A ``vrstore serve`` subprocess on 127.0.0.1, as users run it."""

    url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    process: Any
    log: Any = None

    def vrstore(self, *args: str, timeout: float = 60) -> str:
        import subprocess
        import sys

        out = subprocess.run([sys.executable, "-m", "server", *args], env=self.env, capture_output=True,
                             text=True, timeout=timeout, check=True)
        return out.stdout


def start_live_server(tmp_path: Path, *, extra_env: dict[str, str] | None = None,
                      command: tuple[str, ...] = ("serve",)) -> LiveServer:
    """Start the server and wait until /healthz answers (polling a socket, not sleeping blindly).

    The port is one the kernel just gave out as free, but between that check and the server's bind another
    process may take it (the other test worker's servers, or any outgoing connection: both draw from the same
    ephemeral range). A server that exits for exactly that reason is started again on another port."""
    for _ in range(2):
        try:
            return _start_live_server(tmp_path, extra_env=extra_env, command=command)
        except PortTaken:
            continue
    return _start_live_server(tmp_path, extra_env=extra_env, command=command)  # the third try fails for real


class PortTaken(RuntimeError):
    """The server could not bind the port it was given: another process took it first."""


def _start_live_server(tmp_path: Path, *, extra_env: dict[str, str] | None,
                       command: tuple[str, ...]) -> LiveServer:
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    data_dir = tmp_path / "live-data"
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_PORT": str(port),
           "VRSTORE_HOST": "127.0.0.1", "VRSTORE_LOG_LEVEL": "WARNING", **(extra_env or {})}
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - the process owns it until stop
    process = subprocess.Popen([sys.executable, "-m", "server", *command], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.close()
            said = (tmp_path / "server.log").read_text()[-2000:]
            raise (PortTaken if "address already in use" in said else RuntimeError)(f"server exited: {said}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)  # polling a socket that is not up yet; the condition is what we wait for
    return LiveServer(url, port, data_dir, env, process, log)


def stop_live_server(server: LiveServer) -> None:
    import signal

    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except Exception:
            server.process.kill()
            server.process.wait()
    if server.log is not None:
        server.log.close()


async def add_products(settings: Settings, store_slug: str, products: list[tuple[str, int, int]], *,
                       currency: str | None = None, category: str = "") -> dict[str, int]:
    """Insert ``(sku, price, stock)`` rows into a store straight through SQLAlchemy; returns sku → product id."""
    from sqlalchemy import insert, select

    from server.persistence.tables import Product, Store

    database = Database.connect(settings.effective_database_url)
    try:
        async with database.write() as db:
            store_id, store_currency = (await db.execute(
                select(Store.id, Store.currency).where(Store.slug == store_slug))).one()
            ids = {}
            for sku, price, stock in products:
                ids[sku] = (await db.execute(insert(Product).values(
                    store_id=store_id, sku=sku, name_ko=f"상품 {sku}", name_en=f"Product {sku}", category=category,
                    price=price, currency=currency or store_currency, stock=stock, active=True, data_json="{}",
                ).returning(Product.id))).scalar_one()
        return ids
    finally:
        await database.close()


async def add_many_products(settings: Settings, store_slug: str, n: int) -> None:
    """``n`` products ``SKU-000000``… in one bulk insert (big-store tests)."""
    from sqlalchemy import insert, select

    from server.persistence.tables import Product, Store

    database = Database.connect(settings.effective_database_url)
    try:
        async with database.write() as db:
            store_id = (await db.execute(select(Store.id).where(Store.slug == store_slug))).scalar_one()
            await db.execute(insert(Product), [
                {"store_id": store_id, "sku": f"SKU-{i:06d}", "name_ko": f"상품 {i}", "name_en": f"Product {i}",
                 "category": "의류/니트", "price": 10_000 + i, "currency": "KRW", "stock": 5, "active": True,
                 "data_json": "{}"} for i in range(n)])
    finally:
        await database.close()


async def new_shopper(client: TestClient[Any, Any], name: str = "shopper") -> tuple[str, int]:
    """A fresh shopper session: (token, session id)."""
    r = await client.post("/api/v1/sessions", json={"display_name": name})
    assert r.status == 201, await r.text()
    body = await r.json()
    client.session.cookie_jar.clear()
    return body["token"], body["session"]["id"]


def checkout_body(token: str = "tok_visa", **extra: Any) -> dict[str, Any]:
    """A valid checkout request: delivery to a Seoul address, paid with a test token."""
    return {"fulfilment": {"type": "delivery", "address": {"name": "김민지", "phone": "010-1234-5678",
                                                           "line1": "세종대로 110", "city": "서울",
                                                           "postal_code": "04524"}},
            "payment": {"provider": "test", "token": token}, **extra}


ALL_WEEK = {day: [{"opens": "00:00", "closes": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def set_fulfilment(client: TestClient[Any, Any], store: str, token: str, *, flat_fee: int = 0,
                         free_over: int | None = None, remote_areas: list[dict[str, Any]] | None = None,
                         hours: dict[str, Any] | None = None) -> dict[str, Any]:
    """The store's shipping fees and opening hours, as its merchant sets them (default: open around the clock)."""
    body = {"shipping": {"flat_fee": flat_fee, "free_over": free_over, "remote_areas": remote_areas or []},
            "opening_hours": ALL_WEEK if hours is None else hours}
    r = await client.put(f"/api/v1/stores/{store}/fulfilment", json=body, headers=bearer(token))
    assert r.status == 200, await r.text()
    return dict(await r.json())
