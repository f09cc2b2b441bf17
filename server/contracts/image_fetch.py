"""The image fetcher's resources: a store's fetch job with its progress, counts and per-URL outcomes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from server.contracts.foundation import InputModel, Names
from server.contracts.merchant import CURSOR_PATTERN
from server.domain.fetch_policy import JobStatus, Mode
from server.domain.fetch_policy import OutcomeCode as Outcome


class ImageFetchStart(InputModel):
    refetch: bool = Field(default=False, description="Fetch every URL again, also those fetched before")


class ImageFetchQuery(InputModel):
    limit: int = Field(default=100, ge=1, le=500, description="Per-URL outcomes on this page")
    after: str | None = Field(default=None, pattern=CURSOR_PATTERN,
                              description="The `next` of the previous page (opaque)")
    outcome: Outcome | None = Field(default=None, description="Only the URLs that ended this way")


class ImageFetchResultOut(BaseModel):
    url: str
    outcome: Outcome = Field(description="Stable code; `messages` has its Korean and English text")
    detail: str = Field(description="What exactly happened (English, technical)")
    http_status: int | None = None
    sha256: str | None = None
    image: str | None = Field(default=None, description="URL of the stored image, when fetched")


class ImageFetchOut(BaseModel):
    """The store's latest image fetch. ``status`` is ``off`` or ``none`` when no job has run: fetching is
    switched off on this server, or nobody has asked yet."""

    id: str | None
    store: str
    mode: Mode = Field(description="The server's VRSTORE_IMAGE_FETCH now")
    status: JobStatus
    message: Names = Field(description="The status in words, Korean and English")
    refetch: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    total: int = Field(default=0, description="URLs this job fetches (distinct, http and https)")
    done: int = Field(default=0, description="URLs with an outcome so far")
    skipped: int = Field(default=0, description="URLs left out: over VRSTORE_IMAGE_FETCH_MAX_URLS")
    error: str | None = None
    counts: dict[str, int] = Field(default_factory=dict, description="URLs per outcome code")
    messages: dict[str, Names] = Field(default_factory=dict, description="Each outcome code's text")
    results: list[ImageFetchResultOut] = Field(default_factory=list, description="Per-URL outcomes, a page")
    next: str | None = Field(default=None, description="Pass as `after` for the next page of results")
