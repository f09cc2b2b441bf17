"""Shopper guest sessions and token revocation."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import foundation as schemas
from server.domain.errors import NotFound
from server.domain.principal import Principal, new_token
from server.persistence.tables import ApiToken, Festival, ShopperSession, utcnow


async def create_session(db: AsyncSession, body: schemas.SessionCreate) -> schemas.SessionCreated:
    shopper = ShopperSession(display_name=body.display_name, locale=body.locale)
    db.add(shopper)
    await db.flush()
    token, digest = new_token("shopper")
    db.add(ApiToken(token_hash=digest, role="shopper", session_id=shopper.id))
    return schemas.SessionCreated(
        token=token, session=schemas.SessionOut(id=shopper.id, display_name=shopper.display_name, locale=shopper.locale)
    )


async def me(db: AsyncSession, principal: Principal) -> schemas.Me:
    out = schemas.Me(role=principal.role, merchant_id=principal.merchant_id)
    if principal.festival_id is not None:
        festival = await db.get(Festival, principal.festival_id)
        out.festival = festival.slug if festival else None
    if principal.session_id is not None:
        shopper = await db.get(ShopperSession, principal.session_id)
        if shopper is not None:
            out.session = schemas.SessionOut(id=shopper.id, display_name=shopper.display_name, locale=shopper.locale)
    return out


async def rename(db: AsyncSession, principal: Principal, body: schemas.SessionRename) -> schemas.SessionOut:
    """A shopper's new display name: carts and orders read it from here; a live room sees it at the next join."""
    shopper = await db.get(ShopperSession, principal.session_id) if principal.session_id is not None else None
    if shopper is None:
        raise NotFound("no such shopper session")
    shopper.display_name = body.display_name
    return schemas.SessionOut(id=shopper.id, display_name=shopper.display_name, locale=shopper.locale)


async def revoke(db: AsyncSession, principal: Principal) -> None:
    """Revoke the token the caller used (sign out)."""
    token = await db.get(ApiToken, principal.token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
