"""Graph's two doors into the service: change notifications and lifecycle notifications.

Both answer Graph's validation handshake (``?validationToken=...``: 200, text/plain, exactly the token) and
otherwise answer 202 at once: the work (delta sync, renewal) is queued on the watcher, because Graph marks an
endpoint that takes longer than 3 seconds as slow and then drops its notifications. Each notification's
``clientState`` must be the secret we gave its subscription; one that is not is logged and ignored, still with 202,
so a forger learns nothing and Graph does not retry it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from invoice_capture.ingest.graph.watch import GraphWatch

log = logging.getLogger(__name__)

#: Graph batches notifications; a body larger than this is not Graph's.
MAX_BODY = 1024 * 1024


class GraphWebhook:
    def __init__(self, watch: GraphWatch | None) -> None:
        self.watch = watch

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/graph/notifications", self.notifications),
                web.post("/api/graph/lifecycle", self.lifecycle)]

    async def notifications(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, lifecycle=False)

    async def lifecycle(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, lifecycle=True)

    async def _handle(self, request: web.Request, *, lifecycle: bool) -> web.StreamResponse:
        token = request.query.get("validationToken")
        if token is not None:
            return web.Response(text=token, content_type="text/plain", headers={"X-Content-Type-Options": "nosniff"})
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "The body is too large for a Graph notification."}, status=413)
        try:
            body = json.loads(await request.content.read(MAX_BODY + 1) or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "Send Graph's JSON notification body."}, status=400)
        notes = body.get("value") if isinstance(body, dict) else None
        if not isinstance(notes, list):
            return web.json_response({"error": "Send Graph's JSON notification body: {\"value\": [...]}."},
                                     status=400)
        if self.watch is None:
            log.warning("a Graph notification arrived but Graph is not configured (GRAPH_CLIENT_ID): ignored")
            return web.Response(status=202)
        for note in notes:
            if not isinstance(note, dict):
                continue
            if lifecycle and not note.get("lifecycleEvent"):
                log.warning("lifecycle endpoint got a notification without lifecycleEvent: ignored")
                continue
            found = await self.watch.check(_strings(note))
            if found is not None:
                self.watch.notified(found)
        return web.Response(status=202)


def _strings(note: dict[str, Any]) -> dict[str, Any]:
    """The notification fields we read, as strings whatever JSON type a sender used."""
    return {k: str(note.get(k) or "") for k in ("subscriptionId", "clientState", "lifecycleEvent", "resource",
                                                "changeType")}
