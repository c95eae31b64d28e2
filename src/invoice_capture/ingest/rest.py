"""The upload page and the REST API behind it (the "portal" channel): upload, list, view, decide.

Auth is an API key (settings ``API_KEY``, header ``X-API-Key``); with no key set the API is open, which is the
embedded default on 127.0.0.1 and is logged loudly at start. Everything is scoped to one tenant
(``X-Tenant-Id`` header, default settings ``DEFAULT_TENANT``), and the person acting is named by ``X-User``
(default "web"), so decisions made on the page land in the same audit trail as those made in Teams.

An invoice as the API returns it (GET one, or the answer to an action) is the review view plus ``allowed``: what
the calling person may do with it (verbs, why Approve is not offered, whether approving needs a reason or a
call-back, whom it can be escalated to). Action bodies may carry ``reason``, ``approver`` (escalation target id),
``callback_confirmed`` and ``callback_note``; the review service decides whether they suffice.
"""

from __future__ import annotations

import hmac
import json
from importlib import resources
from typing import Any

from aiohttp import web

from invoice_capture.ingest.validation import HEAD_BYTES, sniff
from invoice_capture.review.service import ReviewService
from invoice_capture.review.view import summary_row
from invoice_capture.review.workflow import Actor, Refused
from invoice_capture.store import repository as repo

#: Files per upload request; each may be up to the validation limit (50 MiB) plus slack for refusal messages.
MAX_FILES = 50
MAX_REQUEST = 60 * 1024 * 1024
#: Originals the browser may display in a tab; anything else is downloaded.
VIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp"})


def _page() -> bytes:
    return resources.files("invoice_capture.ingest").joinpath("static/upload.html").read_bytes()


class RestApi:
    def __init__(self, service: ReviewService, *, api_key: str = "", default_tenant: str = "local") -> None:
        self.service = service
        self.api_key = api_key
        self.default_tenant = default_tenant

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.page),
            web.post("/api/invoices", self.upload),
            web.get("/api/invoices", self.list),
            web.get("/api/invoices/{id}", self.get),
            web.get("/api/invoices/{id}/original", self.original),
            web.post("/api/invoices/{id}/actions", self.action),
        ]

    # ------------------------------------------------------------------------------------------ helpers

    def _check_key(self, request: web.Request) -> None:
        if not self.api_key:
            return
        given = request.headers.get("X-API-Key", "")
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise web.HTTPUnauthorized(text=json.dumps({"error": "This service needs an API key (X-API-Key)."}),
                                       content_type="application/json")

    def _tenant(self, request: web.Request) -> str:
        return request.headers.get("X-Tenant-Id", "").strip()[:64] or self.default_tenant

    async def _actor(self, request: web.Request) -> Actor:
        user = request.headers.get("X-User", "").strip()[:128] or "web"
        return await self.service.actor(self._tenant(request), f"web:{user}", user)

    async def _with_allowed(self, view: dict[str, Any], actor: Actor) -> dict[str, Any]:
        """The view plus what this person may do with it (``allowed``: routing.permissions), so the page offers
        exactly the buttons the server would accept from them, with the sentences for what it leaves out. Computed
        for the caller on every answer, because it changes with the invoice (state, total, checks) and the person
        (role, limit); the server still checks every action itself."""
        return {**view, "allowed": await self.service.permissions(view, actor)}

    @staticmethod
    def _error(status: int, message: str, **extra: Any) -> web.Response:
        return web.json_response({"error": message, **extra}, status=status)

    # ------------------------------------------------------------------------------------------ handlers

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(body=_page(), content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": "default-src 'self'; style-src 'self' "
                                     "'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:"})

    async def upload(self, request: web.Request) -> web.Response:
        self._check_key(request)
        if not request.content_type.startswith("multipart/"):
            return self._error(415, "Send the files as multipart/form-data, one part named 'file' per file.")
        tenant, actor = self._tenant(request), await self._actor(request)
        reader = await request.multipart()
        out: list[dict[str, Any]] = []
        while (part := await reader.next()) is not None:
            if len(out) >= MAX_FILES:
                return self._error(413, f"At most {MAX_FILES} files per upload.")
            if getattr(part, "name", None) != "file" or not getattr(part, "filename", None):
                continue
            data = await part.read(decode=False)  # type: ignore[union-attr]
            received = await self.service.receive(tenant, actor, part.filename or "upload", bytes(data),
                                                  source="upload", source_ref={"channel": "upload"})
            inv = received.invoice
            out.append({"id": inv["id"], "filename": inv["filename"], "state": inv["state"],
                        "error": inv["error"], "duplicate": received.duplicate})
        if not out:
            return self._error(400, "No file in the request: send one or more parts named 'file'.")
        return web.json_response({"invoices": out}, status=202)

    async def list(self, request: web.Request) -> web.Response:
        self._check_key(request)
        try:
            limit = min(200, max(1, int(request.query.get("limit", "50"))))
        except ValueError:
            return self._error(400, "limit must be a number.")
        states = [s for s in request.query.get("state", "").split(",") if s] or None
        async with self.service.db.read() as s:
            rows = await repo.list_invoices(s, self._tenant(request), states=states,
                                            vendor=request.query.get("vendor") or None, limit=limit)
        return web.json_response({"invoices": [summary_row(r) for r in rows]})

    async def get(self, request: web.Request) -> web.Response:
        self._check_key(request)
        view = await self.service.view(self._tenant(request), request.match_info["id"])
        if view is None:
            return self._error(404, "No such invoice.")
        return web.json_response(await self._with_allowed(view, await self._actor(request)))

    async def original(self, request: web.Request) -> web.StreamResponse:
        self._check_key(request)
        found = await self.service.original(self._tenant(request), request.match_info["id"])
        if found is None:
            return self._error(404, "No such invoice.")
        name, data = found
        safe = "".join(c for c in name if c.isprintable() and c not in '"\\') or "original"
        kind = sniff(data[:HEAD_BYTES])
        ctype = kind if kind in VIEWABLE else "application/octet-stream"  # never serve uploaded HTML/SVG as such
        return web.Response(body=data, content_type=ctype,
                            headers={"Content-Disposition": f'inline; filename="{safe}"',
                                     "X-Content-Type-Options": "nosniff"})

    async def action(self, request: web.Request) -> web.Response:
        self._check_key(request)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(400, "Send a JSON body: {\"verb\": ..., \"version\": ...}.")
        if not isinstance(body, dict) or not isinstance(body.get("verb"), str):
            return self._error(400, "Send a JSON body: {\"verb\": ..., \"version\": ...}.")
        version = body.get("version")
        if version is not None and not isinstance(version, int):
            return self._error(400, "version must be a number.")
        actor = await self._actor(request)
        try:
            result = await self.service.act(self._tenant(request), request.match_info["id"], body["verb"], version,
                                            actor, {k: v for k, v in body.items() if k not in ("verb", "version")})
        except Refused as exc:
            return self._error(exc.status, exc.message)
        invoice = await self._with_allowed(result.invoice, actor)
        if not result.applied and result.notice and body["verb"] not in ("refresh", "show"):
            return self._error(409, result.notice, invoice=invoice)
        return web.json_response(invoice)
