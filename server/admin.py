"""Administrative actions the CLI runs outside a server process."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.persistence import migrate
from server.persistence.database import Database
from server.services import festivals
from server.settings import Settings


class NewFestival(BaseModel):
    slug: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    timezone: str = "Asia/Seoul"


async def create_festival(settings: Settings, *, slug: str, name_ko: str, name_en: str, timezone: str) -> str:
    """Create the festival (migrating first) and return the organizer token."""
    spec = NewFestival(slug=slug, name_ko=name_ko, name_en=name_en, timezone=timezone)
    from server.contracts.foundation import FestivalPatch

    FestivalPatch(timezone=spec.timezone)  # validates the zone name with the API's own rule
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database.connect(settings.effective_database_url)
    try:
        await migrate.upgrade(database.engine)
        async with database.write() as db:
            _, token = await festivals.create_festival(
                db, slug=spec.slug, name_ko=spec.name_ko, name_en=spec.name_en, timezone=spec.timezone
            )
        return token
    finally:
        await database.close()
