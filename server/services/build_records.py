"""Scene builds as the merchant sees them: one build, found for whoever may manage its store."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import merchant as ms
from server.domain.errors import NotFound
from server.domain.principal import Principal
from server.persistence.tables import Build, Store
from server.services import access

BUILD_ID_LENGTH = 32  # uuid4().hex


async def find_build(db: AsyncSession, principal: Principal, build_id: str) -> tuple[Build, str]:
    """The build and its store's slug; 404 when it does not exist or is not the caller's to see."""
    build = await db.get(Build, build_id) if len(build_id) == BUILD_ID_LENGTH else None
    store = await db.get(Store, build.store_id) if build else None
    if build is None or store is None or not access.can_manage_store(principal, store):
        raise NotFound(f"no build {build_id!r}")
    return build, store.slug


def build_out(build: Build, store_slug: str, live: tuple[int, str] | None) -> ms.BuildOut:
    """The build as the API shows it; ``live`` is (percent, step) while a worker reports progress."""
    percent, step = live if live is not None else (build.progress, build.step)
    return ms.BuildOut(
        id=build.id, store=store_slug, status=build.status, progress=percent, step=step,
        report=json.loads(build.report_json) if build.report_json else None, error=build.error,
        scene_hash=build.scene_hash, created_at=build.created_at, started_at=build.started_at,
        finished_at=build.finished_at,
    )
