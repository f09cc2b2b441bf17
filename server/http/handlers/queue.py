"""The festival's waiting room: shoppers take and watch a ticket; the organizer steers admission."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from server import keys
from server.contracts import queue as qs
from server.domain import waiting_room as wr
from server.domain.sale_window import festival_started
from server.http.registry import api
from server.http.routing import Call
from server.keys import database_of
from server.services import access
from server.services.waiting_rooms import Controls, TicketView

F = "/api/v1/festivals/{festival}/queue"


def _message(c: Controls) -> qs.WaitingMessage | None:
    return qs.WaitingMessage(ko=c.message_ko, en=c.message_en) if (c.message_ko or c.message_en) else None


def _out(view: TicketView) -> qs.QueueTicketOut:
    s, c = view.standing, view.controls
    message = _message(c)
    left = max(0.0, s.admitted_until - view.now) if s.admitted_until is not None else None
    poll = wr.poll_after_s(s)
    return qs.QueueTicketOut(ticket=view.ticket, phase=s.phase.value, position=s.position, ahead=s.ahead,
                             eta_s=None if s.eta_s is None else round(s.eta_s, 1), admitted_for_s=left,
                             poll_after_s=poll, paused=c.mode == "paused", message=message)


@api.op("POST", F, summary="Take (or get back) this shopper's ticket in the festival's waiting room",
        tag="queue", status=201, response=qs.QueueTicketOut, roles=("shopper",), limit="queue_tickets")
async def take_ticket(call: Call[None, None]) -> qs.QueueTicketOut:
    slug = call.path("festival")
    async with database_of(call.request).read() as db:
        festival = await access.festival_by_slug(db, slug)
        opened = festival_started(festival.starts_at, datetime.now(UTC))
    session = call.user.session_id
    assert session is not None  # the shopper role always has a session
    return _out(await call.request.app[keys.WAITING_ROOMS].take(slug, session, opened=opened))


@api.op("GET", F + "/{ticket}", summary="Where a ticket stands: position, estimated wait, admitted or not",
        tag="queue", response=qs.QueueTicketOut, roles=("shopper",))
async def ticket_status(call: Call[None, None]) -> qs.QueueTicketOut:
    session = call.user.session_id
    assert session is not None
    rooms = call.request.app[keys.WAITING_ROOMS]
    return _out(await rooms.status(call.path("festival"), call.path("ticket"), session))


@api.op("DELETE", F + "/{ticket}", summary="Give up the place", tag="queue", status=204, roles=("shopper",))
async def leave_line(call: Call[None, None]) -> web.Response:
    session = call.user.session_id
    assert session is not None
    await call.request.app[keys.WAITING_ROOMS].cancel(call.path("festival"), call.path("ticket"), session)
    return web.Response(status=204)


async def _overview(request: web.Request) -> qs.QueueOverviewOut:
    slug = request.match_info["festival"]
    rooms = request.app[keys.WAITING_ROOMS]
    c = await rooms.controls(slug)
    message = _message(c)
    return qs.QueueOverviewOut(mode=c.mode, admit_per_min=c.admit_per_min, message=message,
                               **await rooms.overview(slug))


@api.op("GET", F, summary="The waiting room as the organizer sees it", tag="queue",
        response=qs.QueueOverviewOut, roles=("organizer",))
async def queue_overview(call: Call[None, None]) -> qs.QueueOverviewOut:
    async with database_of(call.request).read() as db:
        await access.organizer_festival(db, call.user, call.path("festival"))
    return await _overview(call.request)


@api.op("PUT", F, summary="Steer admission: auto, a fixed rate or paused, and a message to those waiting",
        tag="queue", body=qs.QueueControlsIn, response=qs.QueueOverviewOut, roles=("organizer",))
async def set_queue_controls(call: Call[qs.QueueControlsIn, None]) -> qs.QueueOverviewOut:
    slug = call.path("festival")
    async with database_of(call.request).read() as db:
        await access.organizer_festival(db, call.user, slug)
    b = call.body
    await call.request.app[keys.WAITING_ROOMS].set_controls(
        slug, Controls(mode=b.mode, admit_per_min=b.admit_per_min, message_ko=b.message_ko, message_en=b.message_en))
    return await _overview(call.request)
