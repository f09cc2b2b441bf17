"""Declarative operations: one decorator gives aiohttp its route and OpenAPI its operation.

A handler receives a ``Call`` whose body and query are already validated pydantic models and whose
principal is authenticated and of an allowed role; it returns a pydantic model (encoded as JSON with
the operation's status) or a ready ``web.StreamResponse``. Handlers stay thin: decode, call a service,
encode.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from server import keys
from server.auth import authenticate
from server.domain.errors import BadRequest, Forbidden, NotFound, Unauthorized, UnsupportedMedia
from server.domain.errors import Unprocessable as Unprocessable
from server.domain.principal import Principal, Role
from server.domain.rate_limits import RULES
from server.ids import parse_db_id

B = TypeVar("B")
Q = TypeVar("Q")


@dataclass
class Call(Generic[B, Q]):
    """What a handler gets: the request, validated inputs and who is calling."""

    request: web.Request
    body: B
    query: Q
    principal: Principal | None

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("a bearer token or shopper session is required")
        return self.principal

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def path_id(self, name: str) -> int:
        """A database id from the path; a malformed or impossible one is simply not found (404)."""
        raw = self.path(name)
        value = parse_db_id(raw)
        if value is None:
            raise NotFound(f"no {name} {raw!r}")
        return value


Handler = Callable[[Call[Any, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    roles: frozenset[Role] | None = None  # None: public; the principal is still resolved if given
    raw_body: tuple[str, ...] = ()  # media types accepted as a raw upload (handler reads the stream)
    errors: tuple[int, ...] = ()  # operation-specific problem statuses beyond the common ones
    response_headers: Mapping[str, str] = field(default_factory=dict)
    limit: str | None = None  # the abuse limit counted per client (server.domain.rate_limits.RULES)


class Api:
    """The registry of operations; ``install`` adds them to an app's router."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def op(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        status: int = 200,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        roles: tuple[Role, ...] | None = None,
        raw_body: tuple[str, ...] = (),
        errors: tuple[int, ...] = (),
        response_headers: Mapping[str, str] | None = None,
        limit: str | None = None,
    ) -> Callable[[Handler], Handler]:
        assert limit is None or limit in RULES, f"unknown rate limit {limit!r}"

        def register(handler: Handler) -> Handler:
            self.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    handler=handler,
                    summary=summary,
                    tag=tag,
                    status=status,
                    body=body,
                    query=query,
                    response=response,
                    roles=frozenset(roles) if roles is not None else None,
                    raw_body=raw_body,
                    errors=errors,
                    response_headers=dict(response_headers or {}),
                    limit=limit,
                )
            )
            return handler

        return register

    def install(self, app: web.Application) -> None:
        for operation in self.operations:
            app.router.add_route(operation.method, operation.path, _dispatcher(operation))


def validation_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ("body",)) -> list[dict[str, Any]]:
    """pydantic errors as RFC 9457 extension members: ``[{loc, msg}]``."""
    return [{"loc": [*prefix, *err["loc"]], "msg": err["msg"]} for err in exc.errors(include_url=False)]


async def read_json(request: web.Request) -> Any:
    """The request's JSON body; 415 for another media type, 400 when it does not parse."""
    if request.content_type not in ("application/json", "application/problem+json"):
        raise UnsupportedMedia(f"expected application/json, got {request.content_type or 'nothing'}")
    raw = await request.read()  # aiohttp enforces client_max_size (413) while reading
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None


def _dispatcher(operation: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def dispatch(request: web.Request) -> web.StreamResponse:
        principal = await authenticate(request)
        if operation.roles is not None:
            if principal is None:
                raise Unauthorized("a bearer token or shopper session is required")
            if principal.role not in operation.roles:
                raise Forbidden(f"this operation is not open to the {principal.role} role")
        if operation.limit is not None:
            await request.app[keys.RATE_LIMITER].hit(operation.limit, client_of(request, principal, operation.limit))
        query = None
        if operation.query is not None:
            try:
                query = operation.query.model_validate(dict(request.query))
            except ValidationError as exc:
                raise Unprocessable("invalid query", errors=validation_errors(exc, ("query",))) from None
        if operation.raw_body and operation.body is None and request.content_type not in operation.raw_body:
            raise UnsupportedMedia(f"send one of: {', '.join(operation.raw_body)}")
        body = None
        if operation.body is not None and not (
            operation.raw_body and request.content_type in operation.raw_body
        ):
            payload = await read_json(request)
            try:
                body = operation.body.model_validate(payload)
            except ValidationError as exc:
                raise Unprocessable("invalid request body", errors=validation_errors(exc)) from None
        result = await operation.handler(Call(request, body, query, principal))
        if operation.method != "GET" and principal is not None and principal.role != "shopper":
            # Staff changed what search shows (a catalog, prices, discounts, synonyms, a store's status): the next
            # search in this worker sees it at once, other workers within search_answers.KEEP_S.
            request.app[keys.SEARCH_ANSWERS].clear()
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result, status=operation.status, headers=operation.response_headers)

    dispatch.__name__ = operation.handler.__name__
    return dispatch


def client_of(request: web.Request, principal: Principal | None, limit: str) -> str:
    """Whom ``limit`` counts against: the caller's session or account, else (or if the rule says so) its address."""
    if principal is not None and not RULES[limit].by_address:
        if principal.session_id is not None:
            return f"session:{principal.session_id}"
        return f"{principal.role}:{principal.merchant_id or principal.festival_id or principal.token_id}"
    return "ip:" + client_address(request, request.app[keys.SETTINGS].forwarded_hops)


def client_address(request: web.Request, forwarded_hops: int) -> str:
    """The client's IP: the socket's peer, or with ``forwarded_hops`` proxies in front the entry they appended to
    ``X-Forwarded-For`` (counted from the right: anything further left is the client's to forge)."""
    if forwarded_hops:
        chain = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if len(chain) >= forwarded_hops:
            return chain[-forwarded_hops]
    return request.remote or "unknown"


def json_response(
    model: BaseModel | None, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    if model is None:
        return web.Response(status=204 if status == 200 else status, headers=headers)
    return web.Response(
        body=model.model_dump_json(by_alias=True).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )
