"""The builder's one exception root and its small tree.

BuilderError
├── CatalogError      – a catalog file cannot be read at all (not row-level problems)
├── LayoutError       – a layout is invalid; carries a pointer to the bad field
├── AssetError        – a merchant asset failed validation; carries the report
└── BuildStepError    – a build step failed; carries the step's name
"""

from __future__ import annotations


class BuilderError(Exception):
    """Root of every error the storefront builder raises on purpose."""


class CatalogError(BuilderError):
    """The catalog as a whole is unreadable (unknown format, undecodable bytes, no header).

    ``code`` is stable (the table in ``catalog/messages.py``), ``params`` fill its template, ``message_ko`` is the
    Korean text; ``str(error)`` is the English one.
    """

    def __init__(self, message: str, *, code: str = "catalog_unreadable", params: dict[str, str | int] | None = None,
                 message_ko: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, str | int] = params or {}
        self.message_ko = message_ko or message


class LayoutError(BuilderError):
    """The layout is invalid; ``loc`` points at the bad field (e.g. ``fixtures.3.size``).

    ``errors`` lists every problem found as ``{"loc": [...], "msg": "..."}`` (the shape of the API's
    problem+json ``errors``); the first one is the one ``loc`` and the message describe.
    """

    def __init__(
        self, message: str, loc: tuple[str | int, ...] = (), errors: list[dict[str, object]] | None = None
    ) -> None:
        super().__init__(message)
        self.loc = loc
        self.errors: list[dict[str, object]] = (
            errors if errors is not None else [{"loc": list(loc), "msg": message}]
        )


class AssetError(BuilderError):
    """A merchant-supplied model or image was rejected; ``codes`` are stable error codes."""

    def __init__(self, message: str, codes: list[str]) -> None:
        super().__init__(message)
        self.codes = codes


class BuildStepError(BuilderError):
    """A named build step failed."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
