"""A local stand-in for the Bot Framework Connector service (the channel side of /api/messages).

The bot replies and updates cards by calling ``{serviceUrl}/v3/conversations/{id}/activities[/{activityId}]``;
pointing the activities' ``serviceUrl`` here records every send and update, with the time it arrived, so tests
and the latency benchmark see exactly what a Teams client would receive. Only the endpoints the bot uses exist.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class FakeConnector:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []  # every POSTed activity, with "_conversation" and "_t"
        self.updates: list[dict[str, Any]] = []  # every PUT, with "_conversation", "_activity_id", "_t"
        self.current: dict[str, dict[str, Any]] = {}  # activity id -> latest version
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v3/conversations/{conv}/activities", self._post)
        app.router.add_post("/v3/conversations/{conv}/activities/{reply_to}", self._post)
        app.router.add_put("/v3/conversations/{conv}/activities/{aid}", self._put)
        app.router.add_post("/v3/conversations", self._create)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("/")).rstrip("/") + "/"

    async def start(self) -> FakeConnector:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        await self.server.close()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        aid = f"act-{next(self._ids)}"
        body.update(id=aid, _conversation=request.match_info["conv"], _t=time.perf_counter())
        self.sent.append(body)
        self.current[aid] = body
        await self._notify()
        return web.json_response({"id": aid})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        aid = request.match_info["aid"]
        body.update(id=aid, _conversation=request.match_info["conv"], _activity_id=aid, _t=time.perf_counter())
        self.updates.append(body)
        self.current[aid] = body
        await self._notify()
        return web.json_response({"id": aid})

    async def _create(self, request: web.Request) -> web.Response:
        return web.json_response({"id": f"conv-{next(self._ids)}", "activityId": ""})

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        """Wait until ``predicate(self)`` is truthy (checked on every send/update); returns its value."""
        async def loop() -> Any:
            async with self._changed:
                while not (result := predicate(self)):
                    await self._changed.wait()
                return result
        return await asyncio.wait_for(loop(), timeout)


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    for att in activity.get("attachments") or []:
        if att.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return att.get("content")
    return None


def card_text(card: dict[str, Any] | None) -> str:
    """All visible text of a card, flattened (for assertions)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "label", "placeholder"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for v in node.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card or {})
    return "\n".join(out)
