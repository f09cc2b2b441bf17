"""OpenAPI 3.1 generated from the operation registry and the same pydantic models handlers use."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from server import __version__
from server.domain.rate_limits import RULES
from server.http.csrf import SAFE_METHODS
from server.http.routing import Api, Operation
from server.services.idempotency import KEY_PATTERN

_PATH_PARAM = re.compile(r"\{([^}:]+)(?::([^}]*))?\}")  # aiohttp's {name} or {name:regex}
# 401 is common to every operation: a bearer token that is sent but invalid is refused even on public ones.
_COMMON_ERRORS = {400: "Bad request", 401: "Authentication required", 404: "Not found", 422: "Validation failed"}
_ERROR_TEXT = {
    401: "Authentication required", 403: "Not allowed", 409: "Conflict", 412: "Precondition failed",
    413: "Payload too large", 415: "Unsupported media type", 429: "Too many requests", 503: "Unavailable",
}

# Request headers a handler reads itself (the registry describes bodies and queries), by operation id.
_PERSONALISE = {"name": "X-Vrstore-Personalise", "in": "header", "required": False,
                "description": "off: this answer uses nothing of the shopper's own visit",
                "schema": {"type": "string", "enum": ["on", "off"]}}
_REQUEST_HEADERS: dict[str, list[dict[str, Any]]] = {
    "checkout_cart": [{
        "name": "Idempotency-Key", "in": "header", "required": True,
        "description": "One per checkout attempt (e.g. a UUID); the same key with the same body replays the answer",
        "schema": {"type": "string", "pattern": KEY_PATTERN},
    }],
    "get_popular": [_PERSONALISE],
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                               "msg": {"type": "string"}},
            },
        },
    },
}


def build_openapi(api: Api) -> dict[str, Any]:
    """The whole document; deterministic for a given registry."""
    models: set[type[BaseModel]] = set()
    for op in api.operations:
        models.update(m for m in (op.body, op.query, op.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    keyed = [(m, "validation" if _is_input(api, m) else "serialization") for m in ordered]
    refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for op in api.operations:
        paths.setdefault(_PATH_PARAM.sub(r"{\1}", op.path), {})[op.method.lower()] = _operation(op, dict(refs))
    return {
        "openapi": "3.1.0",
        "info": {"title": "vrstore API", "version": __version__,
                 "description": "VR sale-festival mall: festivals, stores, catalogs, scenes, carts."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "shopperCookie": {"type": "apiKey", "in": "cookie", "name": "vrstore_session"},
            },
        },
    }


def _is_input(api: Api, model: type[BaseModel]) -> bool:
    return any(model in (op.body, op.query) for op in api.operations)


def _path_parameter(match: re.Match[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if match.group(2):  # the route's own pattern: generated examples then reach the route (carts.py)
        schema["pattern"] = f"^{match.group(2)}$"
    return {"name": match.group(1), "in": "path", "required": True, "schema": schema}


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    def ref(model: type[BaseModel]) -> Any:
        mode = "validation" if (model in (op.body, op.query)) else "serialization"
        return refs.get((model, mode)) or refs[(model, "validation" if mode == "serialization" else "serialization")]

    out: dict[str, Any] = {
        "operationId": op.handler.__name__,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": [_path_parameter(match) for match in _PATH_PARAM.finditer(op.path)],
    }
    out["parameters"] += _REQUEST_HEADERS.get(out["operationId"], [])
    if op.query is not None:
        properties = op.query.model_json_schema()["properties"]
        for name, field in op.query.model_fields.items():
            out["parameters"].append({"name": field.alias or name, "in": "query", "required": field.is_required(),
                                      "schema": _query_schema(properties[field.alias or name])})
    content: dict[str, Any] = {}
    if op.body is not None:
        content["application/json"] = {"schema": ref(op.body)}
    for media in op.raw_body:
        content[media] = {"schema": {"type": "string", "format": "binary"}}
    if content:
        out["requestBody"] = {"required": True, "content": content}

    responses: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": ref(op.response)}}
    responses[str(op.status)] = ok
    errors = dict(_COMMON_ERRORS)
    if op.roles is not None:
        errors[403] = _ERROR_TEXT[403]
    elif op.method not in SAFE_METHODS:
        errors[403] = "Not allowed: the shopper session cookie, sent from a page that is not the festival's"
    if content:
        errors.update({413: _ERROR_TEXT[413], 415: _ERROR_TEXT[415]})
    for status in op.errors:
        errors[status] = _ERROR_TEXT.get(status, "Error")
    if op.limit is not None:
        errors[429] = f"{_ERROR_TEXT[429]} ({RULES[op.limit].why}; see Retry-After)"
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in sorted(errors):
        responses[str(status)] = {"description": errors[status], "content": problem}
    out["responses"] = responses
    if op.roles is not None:
        out["security"] = [{"bearer": []}, {"shopperCookie": []}] if "shopper" in op.roles else [{"bearer": []}]
    return out


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query model field's own schema (an integer in 1..200 says so, so clients and fuzzers send one), without
    the null an optional field allows: a query string can only leave the parameter out."""
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    schema = dict(options[0]) if len(options) == 1 else {"anyOf": options}
    schema.pop("title", None)
    if prop.get("default") is not None:
        schema["default"] = prop["default"]
    return schema


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vrstore API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;margin-top:2rem}.op{margin:.6rem 0;padding:.5rem .8rem;border-radius:6px;
background:#f6f6f8}.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.p{font-family:monospace}.s{color:#555}details pre{background:#fff;padding:.5rem;overflow:auto}
</style></head><body><h1>vrstore API</h1>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).
Errors are <code>application/problem+json</code> (RFC 9457). Auth: <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<div id="ops">Loading…</div>
<script>
fetch('/api/v1/openapi.json').then(r => r.json()).then(doc => {
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item))
    (byTag[op.tags[0]] ||= []).push({path, method, op});
  const root = document.getElementById('ops'); root.textContent = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    const h = document.createElement('h2'); h.textContent = tag; root.append(h);
    for (const {path, method, op} of ops) {
      const d = document.createElement('details'); d.className = 'op';
      const s = document.createElement('summary');
      s.innerHTML = '<span class="m"></span> <span class="p"></span> <span class="s"></span>';
      s.children[0].textContent = method.toUpperCase(); s.children[1].textContent = path;
      s.children[2].textContent = '— ' + op.summary;
      const pre = document.createElement('pre'); pre.textContent = JSON.stringify(op, null, 2);
      d.append(s, pre); root.append(d);
    }
  }
});
</script></body></html>
"""
