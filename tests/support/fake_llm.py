"""A local stand-in for an OpenAI-compatible chat API (``POST /v1/chat/completions`` with tool calls).

Its first answer asks for the search tool with ``tool_args``; once it sees a tool result it answers JSON naming the
first product of that result, plus ``invented`` (a product no search returned, with its own price), so tests can
see that only searched products become cards. It records every request it got."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

KEY = "sk-fake-for-tests-only"


@dataclass
class FakeLlm:
    tool_args: dict[str, Any]
    invented: dict[str, Any] = field(default_factory=lambda: {"store": "cu-plaza", "sku": "MADE-UP-1",
                                                              "reason": "a product the model made up"})
    reply: str | None = None  # a final reply to send instead of the JSON (a model that breaks the format)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.complete)
        return app

    async def complete(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return web.json_response({"error": "bad key"}, status=401)
        body = await request.json()
        self.requests.append(body)
        tool_results = [m for m in body["messages"] if m["role"] == "tool"]
        if not tool_results:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "search_products", "arguments": json.dumps(self.tool_args, ensure_ascii=False)}}]}
        else:
            found = json.loads(tool_results[-1]["content"])
            cards = [{"store": p["store"], "sku": p["sku"], "reason": "잘 어울려요"} for p in found[:1]]
            content = self.reply if self.reply is not None else json.dumps(
                {"answer": "이걸 추천해요", "cards": [*cards, self.invented]}, ensure_ascii=False)
            message = {"role": "assistant", "content": content}
        return web.json_response({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
