"""The waiting room's resources: a shopper's ticket and the organizer's controls and view."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from server.contracts.foundation import JSON_NUMBER, LINES, InputModel


class WaitingMessage(BaseModel):
    ko: str | None = None
    en: str | None = None


class QueueTicketOut(BaseModel):
    ticket: str = Field(description="Opaque and signed; bound to this festival and this shopper session")
    phase: Literal["prequeue", "waiting", "admitted", "lapsed"]
    position: int | None = Field(
        description="1 = next; null in the pre-queue (order drawn at opening) or once admitted")
    ahead: int
    eta_s: float | None = Field(description="Estimated wait; null while unknown (paused, nothing measured yet)")
    admitted_for_s: float | None = Field(description="Admitted: seconds left to enter before the turn lapses")
    poll_after_s: float = Field(description="Ask again after this long")
    paused: bool
    message: WaitingMessage | None = None


class QueueControlsIn(InputModel):
    mode: Literal["auto", "fixed", "paused"] = "auto"
    admit_per_min: Annotated[int, Field(ge=1, le=1_000_000), JSON_NUMBER] | None = Field(
        default=None, description="fixed: the admission rate (never above what the load allows)")
    message_ko: Annotated[str, Field(max_length=500), LINES] | None = None
    message_en: Annotated[str, Field(max_length=500), LINES] | None = None


class QueueOverviewOut(BaseModel):
    mode: Literal["auto", "fixed", "paused"]
    admit_per_min: int | None
    message: WaitingMessage | None
    waiting: int
    prequeue: int
    admitted_not_entered: int
    admitted_last_minute: int
    eta_back_s: float | None = Field(description="Estimated wait of whoever joins the back of the line now")
