"""Operational endpoints: liveness, readiness, metrics, the OpenAPI document and its human page."""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy import text

from server import keys
from server.http.openapi import DOCS_PAGE, build_openapi
from server.http.registry import api
from server.http.security import document_policy
from server.metrics import metrics_handler


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        async with request.app[keys.DATABASE].engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # not ready is an answer, not an error
        return web.json_response({"status": "unavailable", "database": type(exc).__name__}, status=503)
    return web.json_response({"status": "ready", "database": "ok"})


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[keys.OPENAPI_JSON], content_type="application/json")


DOCS_POLICY = document_policy(DOCS_PAGE.encode())


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_PAGE, content_type="text/html", headers={"Content-Security-Policy": DOCS_POLICY})


def install(app: web.Application) -> None:
    # Built once per app, before the app freezes: the registry does not change at run time.
    app[keys.OPENAPI_JSON] = json.dumps(build_openapi(api), ensure_ascii=False).encode()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/api/docs", docs_page)
