"""Settings from the environment (``VRSTORE_*``) and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the server reads from its environment; one instance per app."""

    model_config = SettingsConfigDict(env_prefix="VRSTORE_", env_file=".env", extra="ignore")

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
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db shared by every worker (live bus, seats, resume tokens); "
        "unset: one process, everything in memory"
    )
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8080", "http://localhost:8080"],
        description="Origins allowed to open the live WebSocket and to call the API from a browser",
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
    sale_window_poll_s: float = Field(default=5.0, gt=0, description="How often live rooms check sale windows")
    event_loop: Literal["auto", "uvloop", "asyncio"] = Field(
        default="auto", description="Event loop of the server process; auto: uvloop when installed"
    )
    web_client_dir: Path | None = None
    secure_cookies: bool = False

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # Environment variables are plain strings; accept "a,b" as well as a JSON list.
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'vrstore.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
