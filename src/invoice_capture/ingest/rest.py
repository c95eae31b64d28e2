"""The upload page and the REST API behind it and for other systems: upload (files or URLs), list, view, decide.

Auth (ingest/auth.py): API keys bound to a tenant (``API_KEYS``; ``API_KEY`` is bound to ``DEFAULT_TENANT``) sent
as ``X-API-Key`` or ``Authorization: ApiKey``, or Entra ID bearer tokens (``ENTRA_API_AUDIENCE``). Everything is
scoped to the caller's tenant; with nothing configured the API is open, which is the embedded default on 127.0.0.1
(logged loudly at start), and there the ``X-Tenant-Id`` header picks the tenant (default ``DEFAULT_TENANT``). The
person acting is the token's user, or for keys and open mode whoever ``X-User`` names (default "web"), so decisions
made on the page or by another system land in the same audit trail as those made in Teams.

An invoice as the API returns it (GET one, or the answer to an action) is the review view plus ``allowed``: what
the calling person may do with it (verbs, why Approve is not offered, whether approving needs a reason or a
call-back, whom it can be escalated to); GET one adds ``audit``, the invoice's whole audit trail. Action bodies may
carry ``reason``, ``approver`` (escalation target id), ``callback_confirmed`` and ``callback_note``; the review
service decides whether they suffice. The document at ``/api/openapi.json`` (ingest/openapi.py) describes all of it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from invoice_capture.extraction.model import AMOUNT_FIELDS
from invoice_capture.ingest.auth import ApiAuth, Caller, Denied, header_text
from invoice_capture.ingest.fetch import MAX_DOWNLOAD, Fetched, FetchError, fetch, parse_hosts
from invoice_capture.ingest.openapi import spec
from invoice_capture.ingest.validation import HEAD_BYTES, sniff
from invoice_capture.review.edits import parse_input
from invoice_capture.review.service import ReviewService
from invoice_capture.review.view import history_line, summary_row
from invoice_capture.review.workflow import STATES, Actor, Refused
from invoice_capture.store import repository as repo
from invoice_capture.store.models import AuditEvent, Invoice

#: Files (or URLs) per upload request; each may be up to the validation limit (50 MiB) plus slack for refusal
#: messages.
MAX_FILES = 50
MAX_REQUEST = 60 * 1024 * 1024
#: One multipart part, read in chunks: more is refused (413) before it is all in memory.
MAX_PART = MAX_DOWNLOAD
#: JSON bodies (a list of URLs, an action): small documents, refused above this before parsing.
MAX_JSON = 256 * 1024
#: URLs fetched at once for one request (the files are received in the order given).
FETCH_BATCH = 4
#: Originals the browser may display in a tab; anything else is downloaded.
VIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp"})
#: Largest amount an edit may set: the invoices table keeps totals as NUMERIC(18, 2).
MAX_AMOUNT = 1e15

Handler = Callable[[web.Request, Caller], Awaitable[web.StreamResponse]]


def _page() -> bytes:
    return resources.files("invoice_capture.ingest").joinpath("static/upload.html").read_bytes()


class BadRequest(Exception):
    """A parameter or body the API cannot use; ``status`` (400 unless said otherwise) and a sentence."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _clean_name(name: str, limit: int = 500) -> str:
    """A file name as stored and shown: printable, no path, no lone surrogates (see auth.header_text)."""
    text = header_text(name.replace("\\", "/").rsplit("/", 1)[-1], limit)
    return text or "upload"


def _invoice_id(request: web.Request) -> str | None:
    """The path's invoice id in the stored form (ids are UUIDs); None for anything else, which is a 404."""
    try:
        return str(uuid.UUID(request.match_info["id"]))
    except ValueError:
        return None


def _when(value: str | None, name: str, *, end: bool) -> dt.datetime | None:
    """A ``from``/``to`` bound: a date (``YYYY-MM-DD``, the whole UTC day; ``to`` includes it) or an ISO date-time
    (UTC when it has no offset; ``to`` includes the instant). None when not given or unbounded."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            if end and day == dt.date.max:
                return None
            start = dt.datetime.combine(day, dt.time(), dt.UTC)
            return start + dt.timedelta(days=1) if end else start
        at = dt.datetime.fromisoformat(text)
        at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
        return at + dt.timedelta(microseconds=1) if end else at
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time "
                         f"(2024-05-01T12:00:00Z); got {text[:60]!r}.") from None
    except OverflowError:
        raise BadRequest(f"{name} is out of range.") from None


def _encode_cursor(inv: Invoice) -> str:
    raw = f"{inv.received_at.isoformat()}|{inv.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at_text, _, invoice_id = raw.partition("|")
        at = dt.datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at, str(uuid.UUID(invoice_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("cursor is not one this API gave out; start again without it.") from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def audit_line(e: AuditEvent) -> dict[str, Any]:
    """One audit event as the API shows it (the hashes stay in the store; `invoice-capture audit verify`)."""
    return {"seq": e.seq, **history_line(e)}


def _edit_problem(edits: Any) -> str | None:
    """Why these field edits cannot be stored (values the review service would choke on), or None. Unreadable
    values are left to the service, which refuses them with its own sentences."""
    if not isinstance(edits, dict):
        return "fields must be an object: {\"FieldName\": value}."
    for name, value in edits.items():
        if (value is not None and not isinstance(value, str | int | float)) or isinstance(value, bool):
            return f"{name}: a value must be a string, a number or null."
        if isinstance(value, str) and len(value) > 2000:
            return f"{name}: the value is too long."
        if isinstance(value, float) and not math.isfinite(value):
            return f"{name}: the value is not a number."
        if name in AMOUNT_FIELDS and value is not None:
            try:
                amount = parse_input(name, value)
            except (Refused, ValueError, ArithmeticError):
                continue
            if isinstance(amount, float) and (not math.isfinite(amount) or abs(amount) >= MAX_AMOUNT):
                return f"{name}: {value!r} is not a plausible amount."
    return None


class RestApi:
    def __init__(self, service: ReviewService, *, api_key: str = "", default_tenant: str = "local",
                 auth: ApiAuth | None = None, fetch_hosts: str | frozenset[str] = frozenset()) -> None:
        self.service = service
        self.default_tenant = default_tenant
        self.auth = auth or ApiAuth(keys=[(default_tenant, api_key)] if api_key else [],
                                    default_tenant=default_tenant)
        self.fetch_hosts = parse_hosts(fetch_hosts) if isinstance(fetch_hosts, str) else frozenset(fetch_hosts)
        self._spec = json.dumps(spec()).encode()

    @classmethod
    def from_settings(cls, service: ReviewService, s: Any) -> RestApi:
        """Wired from ``Settings`` (API_KEY, API_KEYS, ENTRA_*, FETCH_HOSTS, DEFAULT_TENANT); a malformed
        API_KEYS stops the start with a sentence."""
        return cls(service, default_tenant=s.default_tenant, auth=ApiAuth.from_settings(s),
                   fetch_hosts=s.fetch_hosts)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.page),
            web.get("/api/openapi.json", self.openapi),
            web.post("/api/invoices", self._guard(self.upload)),
            web.get("/api/invoices", self._guard(self.list)),
            web.get("/api/invoices/{id}", self._guard(self.get)),
            web.get("/api/invoices/{id}/original", self._guard(self.original)),
            web.post("/api/invoices/{id}/actions", self._guard(self.action)),
        ]

    # ------------------------------------------------------------------------------------------ helpers

    def _guard(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Authenticate first (a refusal is JSON, with a challenge on 401); a ``BadRequest`` from the handler
        becomes its JSON answer."""
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                caller = await self.auth.caller(request)
                return await handler(request, caller)
            except Denied as exc:
                return exc.response()
            except BadRequest as exc:
                return self._error(exc.status, exc.message)
        return run

    async def _actor(self, request: web.Request, caller: Caller) -> Actor:
        if caller.method == "entra":  # the same id the Teams bot records for this person (their object id)
            return await self.service.actor(caller.tenant, caller.user_id, caller.user_name)
        user = header_text(request.headers.get("X-User", ""), 124) or "web"
        return await self.service.actor(caller.tenant, f"web:{user}", user)

    async def _with_allowed(self, view: dict[str, Any], actor: Actor) -> dict[str, Any]:
        """The view plus what this person may do with it (``allowed``: routing.permissions), so the page offers
        exactly the buttons the server would accept from them, with the sentences for what it leaves out. Computed
        for the caller on every answer, because it changes with the invoice (state, total, checks) and the person
        (role, limit); the server still checks every action itself."""
        return {**view, "allowed": await self.service.permissions(view, actor)}

    @staticmethod
    def _error(status: int, message: str, **extra: Any) -> web.Response:
        return web.json_response({"error": message, **extra}, status=status)

    @staticmethod
    async def _json_body(request: web.Request, what: str) -> Any:
        """The request's JSON document, read up to ``MAX_JSON`` bytes; ``BadRequest`` for anything else (NaN and
        Infinity are not JSON, and nesting deep enough to exhaust the parser is refused, not a crash)."""
        if request.content_length is not None and request.content_length > MAX_JSON:
            raise BadRequest(f"The body is larger than {MAX_JSON // 1024} KB.", 413)
        raw = await request.content.read(MAX_JSON + 1)
        while len(raw) <= MAX_JSON and not request.content.at_eof():
            more = await request.content.read(MAX_JSON + 1 - len(raw))
            if not more:
                break
            raw += more
        if len(raw) > MAX_JSON:
            raise BadRequest(f"The body is larger than {MAX_JSON // 1024} KB.", 413)
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadRequest(f"Send a JSON body: {what}.") from None

    # ------------------------------------------------------------------------------------------ handlers

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(body=_page(), content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": "default-src 'self'; style-src 'self' "
                                     "'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:"})

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._spec, content_type="application/json")

    async def upload(self, request: web.Request, caller: Caller) -> web.Response:
        ctype = request.content_type
        if ctype == "application/json" or ctype.endswith("+json"):
            return await self._upload_urls(request, caller)
        if not ctype.startswith("multipart/"):
            return self._error(415, "Send the files as multipart/form-data (one part named 'file' per file), or "
                                    "URLs as application/json ({\"url\": ...} or {\"urls\": [...]}).")
        return await self._upload_files(request, caller)

    async def _upload_files(self, request: web.Request, caller: Caller) -> web.Response:
        tenant, actor = caller.tenant, await self._actor(request, caller)
        out: list[dict[str, Any]] = []
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if len(out) >= MAX_FILES:
                    return self._error(413, f"At most {MAX_FILES} files per upload.")
                if not isinstance(part, aiohttp.BodyPartReader) or part.name != "file" or not part.filename:
                    continue
                chunks, size = [], 0
                while chunk := await part.read_chunk():
                    size += len(chunk)
                    if size > MAX_PART:
                        return self._error(413, f"{_clean_name(part.filename)} is larger than "
                                                f"{MAX_PART // 2**20} MB.")
                    chunks.append(chunk)
                received = await self.service.receive(tenant, actor, _clean_name(part.filename), b"".join(chunks),
                                                      source="upload", source_ref={"channel": "upload"})
                inv = received.invoice
                out.append({"id": inv["id"], "filename": inv["filename"], "state": inv["state"],
                            "error": inv["error"], "duplicate": received.duplicate})
        except (ValueError, AssertionError, LookupError, HttpProcessingError) as exc:  # a malformed body
            if out:  # what was received stays received; say where the body broke off
                return web.json_response({"invoices": out, "warning": "The rest of the upload could not be read "
                                          f"({type(exc).__name__})."}, status=202)
            return self._error(400, "The multipart body could not be read: send one or more parts named 'file', "
                                    "each with a filename.")
        if not out:
            return self._error(400, "No file in the request: send one or more parts named 'file'.")
        return web.json_response({"invoices": out}, status=202)

    def _url_list(self, body: Any) -> list[tuple[str, str]]:
        """``[(url, filename or "")]`` from ``{"url", "filename"}`` or ``{"urls": [url | {url, filename}]}``."""
        shape = '{"url": "https://...", "filename": "optional.pdf"} or {"urls": ["https://...", ...]}'
        if not isinstance(body, dict) or ("url" in body) == ("urls" in body):
            raise BadRequest(f"Send one URL or a list: {shape}.")
        items = [body] if "url" in body else body["urls"]
        if not isinstance(items, list) or not items:
            raise BadRequest(f"urls must be a non-empty list: {shape}.")
        if len(items) > MAX_FILES:
            raise BadRequest(f"At most {MAX_FILES} URLs per request.", 413)
        out = []
        for item in items:
            url, name = (item, None) if isinstance(item, str) else \
                (item.get("url"), item.get("filename")) if isinstance(item, dict) else (None, None)
            if not isinstance(url, str) or not url.strip() or len(url) > 4000:
                raise BadRequest(f"Each URL must be a string of up to 4000 characters: {shape}.")
            if name is not None and not isinstance(name, str):
                raise BadRequest("filename must be a string.")
            out.append((url.strip(), _clean_name(name, 200) if name and name.strip() else ""))
        return out

    async def _upload_urls(self, request: web.Request, caller: Caller) -> web.Response:
        """Fetch each URL from an allowed host and receive it like an uploaded file. Fetch failures are reported
        per URL; the answer is 202 when at least one file was received, else 422."""
        if not self.fetch_hosts:
            return self._error(400, "URL uploads are off on this service: an administrator must list the hosts "
                                    "files may be fetched from in FETCH_HOSTS. Send the files as "
                                    "multipart/form-data instead.")
        wanted = self._url_list(await self._json_body(request, '{"url": "https://..."}'))
        tenant, actor = caller.tenant, await self._actor(request, caller)
        out: list[dict[str, Any]] = []
        async with aiohttp.ClientSession(trust_env=False) as http:
            for start in range(0, len(wanted), FETCH_BATCH):  # a few at once; received in the order given
                batch = wanted[start:start + FETCH_BATCH]
                got = await asyncio.gather(*(self._fetch(http, url) for url, _ in batch))
                for (url, name), result in zip(batch, got, strict=True):
                    if isinstance(result, FetchError):
                        out.append({"url": url, "error": {"code": result.code, "message": result.message}})
                        continue
                    where = URL(url).with_query(None).with_fragment(None)  # a signed URL's token is not kept
                    received = await self.service.receive(
                        tenant, actor, _clean_name(name or result.filename), result.data, source="api",
                        source_ref={"channel": "api", "url": str(where)})
                    inv = received.invoice
                    out.append({"id": inv["id"], "filename": inv["filename"], "state": inv["state"],
                                "error": inv["error"], "duplicate": received.duplicate, "url": url})
        status = 202 if any("id" in r for r in out) else 422
        return web.json_response({"invoices": out}, status=status)

    async def _fetch(self, http: aiohttp.ClientSession, url: str) -> Fetched | FetchError:
        try:
            return await fetch(url, self.fetch_hosts, session=http)
        except FetchError as exc:
            return exc

    async def list(self, request: web.Request, caller: Caller) -> web.Response:
        q = request.query
        try:
            limit = int(q.get("limit") or "50")
        except ValueError:
            return self._error(400, "limit must be a whole number from 1 to 200.")
        if not 1 <= limit <= 200:
            return self._error(400, "limit must be a whole number from 1 to 200.")
        states = [s.strip() for s in q.get("state", "").split(",") if s.strip()]
        unknown = [s for s in states if s not in STATES]
        if unknown:
            return self._error(400, f"Unknown state {header_text(unknown[0], 40)!r}: use "
                                    f"{', '.join(STATES)} (a comma list for several).")
        since, until = _when(q.get("from"), "from", end=False), _when(q.get("to"), "to", end=True)
        if since is not None and until is not None and since >= until:
            return self._error(400, "from must be before to.")
        after = _decode_cursor(q["cursor"].strip()) if q.get("cursor", "").strip() else None
        vendor = header_text(q.get("vendor", ""), 300) or None
        async with self.service.db.read() as s:
            rows = await repo.list_invoices(s, caller.tenant, states=states or None, vendor=vendor, since=since,
                                            until=until, limit=limit + 1, after=after)
        page, more = rows[:limit], len(rows) > limit
        cursor = _encode_cursor(page[-1]) if more else None
        nxt = str(request.rel_url.update_query({"cursor": cursor})) if cursor else None
        return web.json_response({"invoices": [summary_row(r) for r in page], "next": nxt, "cursor": cursor})

    async def get(self, request: web.Request, caller: Caller) -> web.Response:
        invoice_id = _invoice_id(request)
        view = await self.service.view(caller.tenant, invoice_id) if invoice_id else None
        if view is None or invoice_id is None:
            return self._error(404, "No such invoice.")
        answer = await self._with_allowed(view, await self._actor(request, caller))
        async with self.service.db.read() as s:
            answer["audit"] = [audit_line(e) for e in await repo.audit_trail(s, invoice_id, caller.tenant)]
        return web.json_response(answer)

    async def original(self, request: web.Request, caller: Caller) -> web.StreamResponse:
        invoice_id = _invoice_id(request)
        found = await self.service.original(caller.tenant, invoice_id) if invoice_id else None
        if found is None:
            return self._error(404, "No such invoice.")
        name, data = found
        safe = "".join(c for c in name if c.isprintable() and c not in '"\\' and ord(c) < 256) or "original"
        kind = sniff(data[:HEAD_BYTES])
        ctype = kind if kind in VIEWABLE else "application/octet-stream"  # never serve uploaded HTML/SVG as such
        return web.Response(body=data, content_type=ctype,
                            headers={"Content-Disposition": f'inline; filename="{safe}"',
                                     "X-Content-Type-Options": "nosniff"})

    async def action(self, request: web.Request, caller: Caller) -> web.Response:
        shape = "{\"verb\": ..., \"version\": ...}"
        body = await self._json_body(request, shape)
        if not isinstance(body, dict) or not isinstance(body.get("verb"), str):
            return self._error(400, f"Send a JSON body: {shape}.")
        version = body.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                    or not 1 <= version < 2**31):
            return self._error(400, "version must be the invoice's version number.")
        for key in ("reason", "approver", "callback_note"):
            if body.get(key) is not None and not isinstance(body[key], str):
                return self._error(400, f"{key} must be a string.")
        # as the review service reads them: "fields", else the card's flat "field.<Name>" inputs
        edits = body.get("fields") or {k[6:]: v for k, v in body.items() if k.startswith("field.")}
        problem = _edit_problem(edits)
        if problem:
            return self._error(400, problem)
        invoice_id = _invoice_id(request)
        if invoice_id is None:
            return self._error(404, "No such invoice.")
        actor = await self._actor(request, caller)
        try:
            result = await self.service.act(caller.tenant, invoice_id, body["verb"], version, actor,
                                            {k: v for k, v in body.items() if k not in ("verb", "version")})
        except Refused as exc:
            return self._error(exc.status, exc.message)
        invoice = await self._with_allowed(result.invoice, actor)
        if not result.applied and result.notice and body["verb"] not in ("refresh", "show"):
            return self._error(409, result.notice, invoice=invoice)
        return web.json_response(invoice)
