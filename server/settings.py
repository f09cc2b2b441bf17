"""Settings from the environment (``VRSTORE_*``) and an optional ``.env`` file.

Every variable is accepted in the form the README and ``docs/`` show: plain URLs, integers, booleans
(``true``/``false``/``1``/``0``), and comma-separated origins. ``load_settings`` turns a bad value into
one line that names the variable and what it expected, for the CLI to print instead of a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from server.domain.fetch_policy import Mode, host_entry
from server.domain.rate_limits import BadLimits, resolve

ENV_PREFIX = "VRSTORE_"
DATABASE_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
URL_SCHEMES = {"database_url": DATABASE_SCHEMES, "redis_url": REDIS_SCHEMES}


class SettingsProblem(ValueError):
    """A setting that cannot be used; its message is one line naming the variable."""


class Settings(BaseSettings):
    """Everything the server reads from its environment; one instance per app."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/vrstore.db"
    )
    db_pool_size: int = Field(
        default=20, ge=1, le=500, description="PostgreSQL connections per worker process, held open (no overflow); "
        "workers × this must stay under the server's max_connections"
    )
    sqlite_busy_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="SQLite: how long a write waits for its turn (the process's writer "
        "queue, then SQLite's lock held by another process) before it answers 503 with Retry-After"
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db shared by every worker (live bus, seats, resume tokens); "
        "unset: one process, everything in memory"
    )
    # NoDecode: the environment's "a,b" reaches the validator as a string instead of failing JSON decoding.
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to open the live WebSocket and to call the API from a browser; unset: "
        "http://127.0.0.1:<port> and http://localhost:<port> (and http://<host>:<port> for another host)",
    )
    max_json_bytes: int = Field(default=1 << 20, description="Largest JSON request body")
    max_upload_bytes: int = Field(default=20 << 20, description="Largest catalog upload")
    max_model_bytes: int = Field(default=15 << 20, description="Largest product model upload")
    max_image_bytes: int = Field(default=8 << 20, description="Largest product image upload")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    auto_migrate: bool = True
    build_workers: int = Field(default=1, ge=1, le=16, description="Process-pool size for scene builds")
    tick_hz: float = Field(default=10.0, gt=0, le=60)
    instance_capacity: int = Field(default=100, ge=1, le=5000)
    max_instances: int | None = Field(default=None, ge=1, description="Instances a store may open (None: any)")
    interest_k: int = Field(default=32, ge=1, le=256)
    live_heartbeat_s: float = Field(default=20.0, gt=0, description="Ping a live connection silent this long")
    live_pong_timeout_s: float = Field(default=10.0, gt=0, description="Close it if still silent this long after")
    live_send_thread: bool = Field(
        default=True, description="Send the tick's frames from a thread of their own (server/live/tick_writes.py); "
        "off: from the event loop's thread, as where the compiled sender is missing"
    )
    sale_window_poll_s: float = Field(default=5.0, gt=0, description="How often live rooms check sale windows")
    analytics: bool = Field(
        default=True, description="Count festival analytics (visits, looks, floor cells, funnel) per minute; "
        "aggregates only, see docs/ANALYTICS.md"
    )
    analytics_retention_days: int = Field(
        default=90, ge=1, le=3650, description="Days of per-minute analytics kept; older minutes are deleted hourly"
    )
    event_loop: Literal["auto", "uvloop", "asyncio"] = Field(
        default="auto", description="Event loop of the server process; auto: uvloop when installed"
    )
    secure_cookies: bool = False
    client_build: bool = Field(
        default=True, description="Pages load the web client's production build (web_client/dist/: bundled, "
        "minified, precompressed, cached for a year) when it exists; false: the unbundled ES modules"
    )
    test_hooks: bool = Field(
        default=False, description="Pages expose window.vrstore for the browser tests; never in production"
    )
    idempotency_takeover_s: float = Field(
        default=60.0, gt=0, description="A checkout whose Idempotency-Key is held this long is taken over by a retry"
    )
    queue_admit_window_s: float = Field(
        default=60.0, gt=0, le=3600, description="An admitted waiting-room ticket must enter within this"
    )
    rate_limits: str = Field(
        default="", description="Override abuse limits: name=limit pairs (sessions=300/minute,checkout=off) or off"
    )
    forwarded_hops: int = Field(
        default=0, ge=0, le=5, description="Reverse proxies in front that append to X-Forwarded-For (0: none, "
        "the socket's address is the client's)"
    )
    secret_key: SecretStr | None = Field(
        default=None, min_length=32,
        description="Signs waiting-room tickets; unset: a random key kept in <data dir>/secret.key (0600)",
    )
    test_payments: bool = Field(
        default=True, description="Offer the built-in test payment provider (approves all but tok_decline); "
        "switch it off where real money is taken"
    )
    toss_secret_key: SecretStr | None = Field(
        default=None, min_length=8, description="Toss Payments secret key (test_sk_… or live_sk_…); unset: no Toss"
    )
    toss_client_key: str | None = Field(
        default=None, min_length=8, max_length=200, description="Toss Payments client key, for the payment window"
    )
    toss_api_url: str = Field(
        default="https://api.tosspayments.com", pattern=r"^https?://[^\s/]+(?::[0-9]+)?/?$",
        description="Where the Toss Payments API is (tests point it at a fake)"
    )
    toss_webhook_secret: SecretStr | None = Field(
        default=None, min_length=8, description="Verifies Toss webhook signatures; unset: the webhook is off"
    )
    advisor_llm_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s]+$",
        description="An OpenAI-compatible chat API (…/v1) the shopping advisor may ask, with search as its tool; "
        "unset: the built-in advisor only"
    )
    advisor_llm_model: str = Field(default="gpt-4o-mini", min_length=1, max_length=200,
                                   description="The model named in the advisor's chat requests")
    advisor_llm_key: SecretStr | None = Field(default=None, description="Bearer key of the advisor's chat API")
    advisor_llm_timeout_s: float = Field(
        default=8.0, gt=0, le=60, description="How long one advisor answer may wait for the chat API before the "
        "built-in advisor answers instead"
    )
    image_fetch: Mode = Field(
        default="off", description="Fetch catalog image URLs on a merchant's request: off, allowlist (only "
        "VRSTORE_IMAGE_FETCH_HOSTS) or any public host; never loopback, link-local or private addresses"
    )
    image_fetch_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validate_default=True,
        description="With image_fetch=allowlist: the hosts fetched from, comma-separated (cdn.shopify.com, or "
        "*.example.com for its subdomains)"
    )
    image_fetch_concurrency: int = Field(default=4, ge=1, le=32, description="Image fetches in flight per process")
    image_fetch_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="An image fetch's connect timeout and longest silence while reading"
    )
    image_fetch_total_s: float = Field(
        default=30.0, gt=0, le=600, description="Longest time one image URL may take, redirects included"
    )
    image_fetch_max_redirects: int = Field(default=3, ge=0, le=10, description="Redirects followed per image URL")
    image_fetch_max_urls: int = Field(default=5000, ge=1, le=100_000, description="Image URLs one fetch job takes")

    @field_validator("image_fetch", mode="before")
    @classmethod
    def _lower_mode(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("image_fetch_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(",")) if part]
        return value

    @field_validator("image_fetch_hosts")
    @classmethod
    def _hosts_are_names(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("image_fetch") == "allowlist" and not value:
            raise ValueError("VRSTORE_IMAGE_FETCH=allowlist needs the hosts it may fetch from, comma-separated")
        return [host_entry(entry) for entry in value]

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Environment variables are plain strings; accept "a,b" (documented) as well as a JSON list.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                try:
                    return json.loads(value)
                except json.JSONDecodeError:
                    raise ValueError("expected comma-separated origins or a JSON list of them") from None
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins_are_urls(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest:
                raise ValueError(f"{origin!r} is not an origin like https://festa.example.kr")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _limits_readable(cls, value: str) -> str:
        try:
            resolve(value)
        except BadLimits as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _local_origins_by_default(self) -> Settings:
        # The pages this server serves itself, on the port it listens on: `vrstore demo --port 9000` works as is.
        # A public deployment names its origins (behind a proxy the browser's origin is not ours to guess).
        if "allowed_origins" not in self.model_fields_set:
            hosts = dict.fromkeys(["127.0.0.1", "localhost"] + ([self.host] if self.host not in ("0.0.0.0", "::")
                                                              else []))
            self.allowed_origins = [f"http://{h}:{self.port}" for h in hosts]
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url", "redis_url")
    @classmethod
    def _url_scheme(cls, value: str | None, info: ValidationInfo) -> str | None:
        schemes = URL_SCHEMES[info.field_name or ""]
        if value and not value.startswith(schemes):
            raise ValueError(f"expected a URL starting with {' or '.join(schemes)}")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'vrstore.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def in_force(self) -> dict[str, object]:
        """Every setting as the server uses it, passwords in URLs masked: logged once at start-up."""
        shown = self.model_dump(mode="json")
        shown["database_url"] = _mask_password(self.effective_database_url)
        shown["redis_url"] = _mask_password(self.redis_url) if self.redis_url else None
        return shown


def _mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``overrides``; a bad value raises ``SettingsProblem`` (one line)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsProblem(describe(exc)) from None
    except SettingsError as exc:  # a value the source could not even read (e.g. malformed JSON)
        raise SettingsProblem(str(exc).splitlines()[0]) from None


def describe(exc: ValidationError) -> str:
    """``VRSTORE_PORT='abc': Input should be a valid integer, …`` for every bad variable, on one line."""
    parts = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{ENV_PREFIX}{field.upper()}={error['input']!r}: {message}")
    return "; ".join(parts)
