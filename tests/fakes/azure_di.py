"""A local fake of the Azure Document Intelligence REST API (2024-11-30), for the real SDK to talk to.

It speaks the documented protocol of an analyze operation, and nothing more:
- ``POST {endpoint}/documentintelligence/documentModels/{modelId}:analyze?api-version=2024-11-30`` with the
  document as the body -> ``202 Accepted`` with ``Operation-Location`` (the result URL) and ``apim-request-id``;
- ``GET .../documentModels/{modelId}/analyzeResults/{resultId}`` -> ``{"status": "running"}`` for the first
  ``running_polls`` polls, then the replayed operation (``succeeded``) or a ``failed`` one;
- ``429`` with ``Retry-After`` for the next ``throttle_next`` requests (the S0 tier's answer to too many calls);
- ``401`` for a wrong ``Ocp-Apim-Subscription-Key``.

Answers are replays (tests/fixtures/azure_di/*.json, converted from recorded responses by
``azure_di_replays.py``), found by the SHA-256 of the posted document. A document without a replay gets a
``failed`` operation whose error code (``NoReplay``) says it is the fake's, so no test can mistake it for Azure.
Every request is logged, so tests can count calls and check the query (pages, features, queryFields).
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

REPLAYS = Path(__file__).resolve().parents[1] / "fixtures" / "azure_di"
API_VERSION = "2024-11-30"

#: The documented error of an analysis that fails on a file the service cannot read.
INVALID_CONTENT = {"code": "InvalidRequest", "message": "Invalid request.",
                   "innererror": {"code": "InvalidContent", "message": "The file is corrupted or format is "
                                  "unsupported. Refer to documentation for the list of supported formats."}}
THROTTLED = {"error": {"code": "429", "message": "Requests to the Analyze Document Operation under Document "
                       "Intelligence API have exceeded rate limit of your current AIServices S0 pricing tier. "
                       "Please retry after 1 second."}}


def load_replays(folder: Path = REPLAYS) -> dict[str, dict[str, Any]]:
    """Replayed operations by the SHA-256 of the document they answer."""
    out = {}
    for path in sorted(folder.glob("*.json")):
        replay = json.loads(path.read_text(encoding="utf-8"))
        out[replay["document_sha256"]] = replay["operation"]
    return out


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class _Operation:
    model_id: str
    result: dict[str, Any]
    polls: int = 0


@dataclass
class FakeDocumentIntelligence:
    key: str = "fake-key"
    replays: dict[str, dict[str, Any]] = field(default_factory=load_replays)
    #: Polls answered "running" before the result (the SDK must keep polling).
    running_polls: int = 1
    #: Retry-After (seconds) sent with 202 and running polls; None sends none (the SDK's interval applies).
    retry_after: int | None = 0
    #: The next N requests (POST or GET) are answered 429 with ``throttle_retry_after``.
    throttle_next: int = 0
    throttle_retry_after: int = 1
    #: Documents (SHA-256) whose analysis fails as Azure fails unreadable content.
    failing: set[str] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)
    _ops: dict[str, _Operation] = field(default_factory=dict)
    _server: TestServer | None = None

    async def start(self) -> str:
        """Serve on a free loopback port; returns the endpoint to give the SDK (``http://127.0.0.1:PORT``)."""
        self._server = TestServer(self.app(), host="127.0.0.1")
        await self._server.start_server()
        return str(self._server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def analyze_calls(self, model_id: str | None = None) -> int:
        """Accepted analyze requests (202), optionally for one model: what Azure bills."""
        return sum(1 for r in self.requests if r.method == "POST" and r.status == 202
                   and (model_id is None or f"/{model_id}:analyze" in r.path))

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/documentintelligence/documentModels/{model}:analyze", self._analyze)
        app.router.add_get("/documentintelligence/documentModels/{model}/analyzeResults/{rid}", self._result)
        return app

    def _log(self, request: web.Request, status: int) -> None:
        self.requests.append(Request(request.method, request.path, dict(request.query), status))

    def _refusal(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Ocp-Apim-Subscription-Key") != self.key:
            self._log(request, 401)
            return web.json_response({"error": {"code": "401", "message": "Access denied due to invalid "
                                                 "subscription key or wrong API endpoint. Make sure to provide a "
                                                 "valid key for an active subscription and use a correct regional "
                                                 "API endpoint for your resource."}}, status=401)
        if request.query.get("api-version") != API_VERSION:
            self._log(request, 404)
            return web.json_response({"error": {"code": "404", "message": "Resource not found"}}, status=404)
        if self.throttle_next > 0:
            self.throttle_next -= 1
            self._log(request, 429)
            return web.json_response(THROTTLED, status=429, headers={"Retry-After": str(self.throttle_retry_after)})
        return None

    def _headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    async def _analyze(self, request: web.Request) -> web.Response:
        body = await request.read()
        refused = self._refusal(request)
        if refused is not None:
            return refused
        model = request.match_info["model"]
        sha = hashlib.sha256(body).hexdigest()
        now = "2024-12-01T00:00:00Z"
        if sha in self.failing:
            result = {"status": "failed", "createdDateTime": now, "lastUpdatedDateTime": now,
                      "error": INVALID_CONTENT}
        elif sha in self.replays:
            result = copy.deepcopy(self.replays[sha])
            result["analyzeResult"]["modelId"] = model
        else:
            result = {"status": "failed", "createdDateTime": now, "lastUpdatedDateTime": now,
                      "error": {"code": "NoReplay", "message": "The fake Document Intelligence server has no "
                                "recorded answer for this document."}}
        rid = str(uuid.uuid4())
        self._ops[rid] = _Operation(model, result)
        self._log(request, 202)
        location = (f"{request.scheme}://{request.host}/documentintelligence/documentModels/{model}/analyzeResults/"
                    f"{rid}?api-version={API_VERSION}")
        return web.Response(status=202, headers={"Operation-Location": location, "apim-request-id": rid,
                                                 **self._headers()})

    async def _result(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        op = self._ops.get(request.match_info["rid"])
        if op is None or op.model_id != request.match_info["model"]:
            self._log(request, 404)
            return web.json_response({"error": {"code": "NotFound", "message": "Resource not found."}}, status=404)
        op.polls += 1
        self._log(request, 200)
        if op.polls <= self.running_polls:
            return web.json_response({"status": "running", "createdDateTime": op.result["createdDateTime"],
                                      "lastUpdatedDateTime": op.result["createdDateTime"]}, headers=self._headers())
        return web.json_response(op.result)


class SleepLog:
    """Makes SDK transports that record every wait the SDK asks for (429 Retry-After, poll intervals) and yield
    instead of sleeping: tests check the waits without spending them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self) -> Any:
        import asyncio

        from azure.core.pipeline.transport import AioHttpTransport

        log = self.waits

        class RecordingTransport(AioHttpTransport):
            async def sleep(self, duration: float) -> None:
                log.append(float(duration))
                await asyncio.sleep(0)

        return RecordingTransport()
