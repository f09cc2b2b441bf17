"""Every VRSTORE_* variable the README and docs/ mention is accepted exactly as documented, and a bad one
stops the command with one line that names it (never a traceback)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from factories import free_port, start_live_server, stop_live_server
from pydantic import SecretStr
from redis_server import RedisServer, redis_binary

from server.settings import Settings, SettingsProblem, load_settings

ROOT = Path(__file__).resolve().parents[2]


def documented_variables() -> set[str]:
    """The VRSTORE_* names the README and docs/ tell operators about (test-only ones excluded)."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = set()
    for path in texts:
        found |= set(re.findall(r"VRSTORE_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    return found - TEST_SUITE_ONLY


# Read by the test command and the tests themselves, not by the server.
TEST_SUITE_ONLY = {"VRSTORE_TEST_PG_URL", "VRSTORE_TEST_PG_PORT", "VRSTORE_WRITE_SCREENSHOTS"}


# Each documented variable in the form the docs show it, and what the server must make of it.
DOCUMENTED_FORMS: dict[str, tuple[str, str, object]] = {
    "VRSTORE_ANALYTICS": ("false", "analytics", False),
    "VRSTORE_ANALYTICS_RETENTION_DAYS": ("30", "analytics_retention_days", 30),
    "VRSTORE_ADVISOR_LLM_URL": ("https://llm.example/v1", "advisor_llm_url", "https://llm.example/v1"),
    "VRSTORE_ADVISOR_LLM_MODEL": ("gpt-4o-mini", "advisor_llm_model", "gpt-4o-mini"),
    "VRSTORE_ADVISOR_LLM_KEY": ("sk-example-only", "advisor_llm_key", "sk-example-only"),
    "VRSTORE_ADVISOR_LLM_TIMEOUT_S": ("8", "advisor_llm_timeout_s", 8.0),
    "VRSTORE_ALLOWED_ORIGINS": ("https://a.example,https://b.example", "allowed_origins",
                                ["https://a.example", "https://b.example"]),
    "VRSTORE_BUILD_WORKERS": ("2", "build_workers", 2),
    "VRSTORE_CLIENT_BUILD": ("false", "client_build", False),
    "VRSTORE_DATABASE_URL": ("postgresql+asyncpg://vrstore:secret@db.example:5432/vrstore", "database_url",
                             "postgresql+asyncpg://vrstore:secret@db.example:5432/vrstore"),
    "VRSTORE_DATA_DIR": ("/var/lib/vrstore", "data_dir", Path("/var/lib/vrstore")),
    "VRSTORE_DB_POOL_SIZE": ("40", "db_pool_size", 40),
    "VRSTORE_SQLITE_BUSY_TIMEOUT_S": ("10", "sqlite_busy_timeout_s", 10.0),
    "VRSTORE_HOST": ("0.0.0.0", "host", "0.0.0.0"),
    "VRSTORE_IDEMPOTENCY_TAKEOVER_S": ("1", "idempotency_takeover_s", 1.0),
    "VRSTORE_IMAGE_FETCH": ("any", "image_fetch", "any"),
    "VRSTORE_IMAGE_FETCH_HOSTS": ("cdn.shopify.com,*.example.com", "image_fetch_hosts",
                                  ["cdn.shopify.com", "*.example.com"]),
    "VRSTORE_IMAGE_FETCH_CONCURRENCY": ("4", "image_fetch_concurrency", 4),
    "VRSTORE_IMAGE_FETCH_TIMEOUT_S": ("10", "image_fetch_timeout_s", 10.0),
    "VRSTORE_IMAGE_FETCH_TOTAL_S": ("30", "image_fetch_total_s", 30.0),
    "VRSTORE_IMAGE_FETCH_MAX_REDIRECTS": ("3", "image_fetch_max_redirects", 3),
    "VRSTORE_IMAGE_FETCH_MAX_URLS": ("5000", "image_fetch_max_urls", 5000),
    "VRSTORE_INSTANCE_CAPACITY": ("50", "instance_capacity", 50),
    "VRSTORE_LIVE_HEARTBEAT_S": ("20", "live_heartbeat_s", 20.0),
    "VRSTORE_LIVE_PONG_TIMEOUT_S": ("10", "live_pong_timeout_s", 10.0),
    "VRSTORE_LIVE_SEND_THREAD": ("false", "live_send_thread", False),
    "VRSTORE_LOG_LEVEL": ("info", "log_level", "INFO"),
    "VRSTORE_MAX_INSTANCES": ("4", "max_instances", 4),
    "VRSTORE_MAX_UPLOAD_BYTES": ("20971520", "max_upload_bytes", 20 << 20),
    "VRSTORE_PORT": ("8080", "port", 8080),
    "VRSTORE_REDIS_URL": ("redis://127.0.0.1:6379/0", "redis_url", "redis://127.0.0.1:6379/0"),
    "VRSTORE_SECURE_COOKIES": ("true", "secure_cookies", True),
    "VRSTORE_SECRET_KEY": ("k" * 32, "secret_key", "k" * 32),
    "VRSTORE_QUEUE_ADMIT_WINDOW_S": ("30", "queue_admit_window_s", 30.0),
    "VRSTORE_RATE_LIMITS": ("sessions=300/minute,checkout=off", "rate_limits", "sessions=300/minute,checkout=off"),
    "VRSTORE_FORWARDED_HOPS": ("1", "forwarded_hops", 1),
    "VRSTORE_TEST_HOOKS": ("false", "test_hooks", False),
    "VRSTORE_TEST_PAYMENTS": ("false", "test_payments", False),
    "VRSTORE_TOSS_SECRET_KEY": ("test_sk_example_only_0000", "toss_secret_key",
                                "test_sk_example_only_0000"),
    "VRSTORE_TOSS_CLIENT_KEY": ("test_ck_example_only_0000", "toss_client_key",
                                "test_ck_example_only_0000"),
    "VRSTORE_TOSS_API_URL": ("https://api.tosspayments.com", "toss_api_url", "https://api.tosspayments.com"),
    "VRSTORE_TOSS_WEBHOOK_SECRET": ("whsec_example_only", "toss_webhook_secret", "whsec_example_only"),
}


def test_every_documented_variable_has_a_documented_form() -> None:
    assert documented_variables() == set(DOCUMENTED_FORMS)


@pytest.mark.parametrize("variable", sorted(DOCUMENTED_FORMS))
def test_documented_form_parses(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, field, expected = DOCUMENTED_FORMS[variable]
    monkeypatch.setenv(variable, raw)
    value = getattr(load_settings(), field)
    assert (value.get_secret_value() if isinstance(value, SecretStr) else value) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://festa.example.kr", ["https://festa.example.kr"]),
    (" https://a.example , https://b.example ,", ["https://a.example", "https://b.example"]),
    ('["https://a.example", "http://localhost:8080"]', ["https://a.example", "http://localhost:8080"]),
])
def test_origins_accept_commas_and_json(raw: str, expected: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRSTORE_ALLOWED_ORIGINS", raw)
    assert load_settings().allowed_origins == expected


@pytest.mark.parametrize("raw", ["1", "true", "yes", "on", "TRUE"])
def test_booleans_accept_the_usual_spellings(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRSTORE_SECURE_COOKIES", raw)
    assert load_settings().secure_cookies is True


def test_passwords_are_masked_in_the_settings_shown() -> None:
    shown = Settings(database_url="postgresql+asyncpg://u:hunter2@db/v", redis_url="redis://:pw@r:6379/0").in_force()
    assert "hunter2" not in json.dumps(shown) and "pw@" not in json.dumps(shown)
    assert shown["database_url"] == "postgresql+asyncpg://u:***@db/v"


BAD_VALUES = [
    ("VRSTORE_PORT", "abc", "integer"),
    ("VRSTORE_PORT", "70000", "65535"),
    ("VRSTORE_ALLOWED_ORIGINS", "festa.example.kr", "origin"),
    ("VRSTORE_ALLOWED_ORIGINS", "[not json", "JSON"),
    ("VRSTORE_SECURE_COOKIES", "maybe", "boolean"),
    ("VRSTORE_LOG_LEVEL", "loud", "INFO"),
    ("VRSTORE_DATABASE_URL", "mysql://db/vrstore", "postgresql+asyncpg://"),
    ("VRSTORE_REDIS_URL", "http://cache", "redis://"),
    ("VRSTORE_INSTANCE_CAPACITY", "0", "greater than or equal to 1"),
    ("VRSTORE_IDEMPOTENCY_TAKEOVER_S", "soon", "number"),
]


@pytest.mark.parametrize(("variable", "raw", "expected"), BAD_VALUES)
def test_a_bad_value_is_one_line_naming_the_variable(variable: str, raw: str, expected: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(SettingsProblem) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{variable}=") and expected in message


@pytest.mark.parametrize(("variable", "raw", "expected"), [BAD_VALUES[0], BAD_VALUES[2], BAD_VALUES[6]])
def test_serve_with_a_bad_value_exits_with_one_readable_line(variable: str, raw: str, expected: str,
                                                             tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "VRSTORE_DATA_DIR": str(tmp_path / "data"), variable: raw}
    result = subprocess.run([sys.executable, "-m", "server", "serve"], capture_output=True, text=True, env=env,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()  # nothing was started or written


def _settings_in_force(log: str) -> dict[str, object]:
    for line in log.splitlines():
        if "settings in force: " in line:
            shown: dict[str, object] = json.loads(line.split("settings in force: ", 1)[1])
            return shown
    raise AssertionError(f"no settings line in the log:\n{log[-2000:]}")


async def _upgrade_status(url: str, origin: str, token: str) -> int:
    """The status of a shopper's live WebSocket handshake from ``origin`` (101 when upgraded)."""
    async with aiohttp.ClientSession() as http:
        live = url.replace("http", "ws", 1) + f"/api/v1/live?store=plaza&token={token}"
        try:
            async with http.ws_connect(live, origin=origin) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def _organizer_token(env: dict[str, str]) -> str:
    created = subprocess.run([sys.executable, "-m", "server", "admin", "create-festival", "--slug", "envfest",
                              "--name", "환경 축제"], capture_output=True, text=True, env=env, timeout=60, check=True)
    return created.stdout.strip().splitlines()[-1]


def test_serve_takes_every_documented_variable_from_its_environment(tmp_path: Path) -> None:
    if redis_binary() is None:
        pytest.fail("redis-server is not installed: run scripts/setup.sh")
    redis = RedisServer(tmp_path / "redis", free_port())
    (tmp_path / "redis").mkdir()
    redis.start()
    database = tmp_path / "elsewhere" / "festa.db"
    database.parent.mkdir()
    env = {
        "VRSTORE_ALLOWED_ORIGINS": "https://a.example,https://b.example",
        "VRSTORE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "VRSTORE_REDIS_URL": redis.url,
        "VRSTORE_LOG_LEVEL": "info",
        "VRSTORE_SECURE_COOKIES": "true",
        "VRSTORE_MAX_UPLOAD_BYTES": "2000",
        "VRSTORE_BUILD_WORKERS": "2",
        "VRSTORE_DB_POOL_SIZE": "7",
        "VRSTORE_IDEMPOTENCY_TAKEOVER_S": "3",
        "VRSTORE_INSTANCE_CAPACITY": "1",
        "VRSTORE_MAX_INSTANCES": "1",
        "VRSTORE_LIVE_HEARTBEAT_S": "15",
        "VRSTORE_LIVE_PONG_TIMEOUT_S": "5",
    }
    server = start_live_server(tmp_path, extra_env=env)  # sets VRSTORE_HOST, VRSTORE_PORT, VRSTORE_DATA_DIR
    try:
        asyncio.run(_check_effects(server.url, server.env))
    finally:
        stop_live_server(server)
        redis.kill()
    shown = _settings_in_force((tmp_path / "server.log").read_text())
    assert shown["port"] == server.port and shown["host"] == "127.0.0.1"
    assert shown["data_dir"] == str(server.data_dir) and server.data_dir.is_dir()
    assert database.exists() and shown["database_url"] == f"sqlite+aiosqlite:///{database}"
    assert shown["redis_url"] == redis.url and shown["log_level"] == "INFO"
    assert (shown["build_workers"], shown["db_pool_size"], shown["idempotency_takeover_s"]) == (2, 7, 3.0)
    assert (shown["instance_capacity"], shown["max_instances"]) == (1, 1)
    assert (shown["live_heartbeat_s"], shown["live_pong_timeout_s"]) == (15.0, 5.0)
    assert set(shown) >= {field.removeprefix("VRSTORE_").lower() for field in DOCUMENTED_FORMS}


async def _check_effects(url: str, env: dict[str, str]) -> None:
    organizer = await asyncio.to_thread(_organizer_token, env)
    async with aiohttp.ClientSession() as http, \
            http.post(url + "/api/v1/sessions", json={"display_name": "민지"}) as r:
        assert r.status == 201
        assert "secure" in r.headers["Set-Cookie"].lower()
        shopper = (await r.json())["token"]
    # Exactly the two listed origins may open the live socket (same-origin pages always may).
    assert await _upgrade_status(url, "https://a.example", shopper) == 101
    assert await _upgrade_status(url, "https://b.example", shopper) == 101
    assert await _upgrade_status(url, "https://c.example", shopper) == 403
    async with aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bearer {organizer}"}
        async with http.post(url + "/api/v1/festivals/envfest/merchants", json={"name": "상인"}, headers=auth) as r:
            assert r.status == 201, await r.text()
            merchant = {"Authorization": f"Bearer {(await r.json())['token']}"}
        async with http.post(url + "/api/v1/stores", headers=merchant, json={
                "slug": "env-store", "name_ko": "가게", "name_en": "Shop", "kind": "convenience_store"}) as r:
            assert r.status == 201, await r.text()
        small = b"sku,name_ko,price,stock\nA-1,a,1000,1\n"
        big = small + b"".join(b"A-%d,a,1000,1\n" % i for i in range(2, 400))
        assert len(small) < 2000 < len(big)
        headers = {**merchant, "Content-Type": "text/csv"}
        async with http.put(url + "/api/v1/stores/env-store/catalog", data=big, headers=headers) as r:
            assert r.status == 413, await r.text()
        async with http.put(url + "/api/v1/stores/env-store/catalog", data=small, headers=headers) as r:
            assert r.status == 200, await r.text()
