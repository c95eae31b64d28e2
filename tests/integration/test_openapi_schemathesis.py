"""schemathesis against the live service: every operation of the OpenAPI document (the one /api/openapi.json
serves; a test checks they are identical) is fuzzed with valid and invalid inputs against the real app (fake
extractor, an API key) on SQLite and on PostgreSQL. No answer may be a 5xx, and every answer must match the document
(status code, content type, headers, body schema).

The service runs in its own thread and event loop because schemathesis makes blocking `requests` calls. The schema
is loaded at import (one pytest test per operation) rather than through `schemathesis.pytest.from_fixture`, whose
lazy loader breaks on pytest 9.2 (it sets `request.node._nodeid`). The run is bounded (50 examples per operation,
deterministic) so it stays well under a minute on two cores; half of the generated invoice ids are a real invoice's,
so GET one, the original and actions are reached, not only their 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import SERVICE, build_app
from invoice_capture.config import Settings
from invoice_capture.ingest.openapi import SPEC
from tests.fakes.extractor import FakeExtractor
from tests.integration.conftest import PG_ADMIN, PG_HOST, PG_PORT, _pg_up, need_service, settings_for
from tests.make_invoice import draw

KEY = "acme-key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


class LiveService:
    """The whole app (build_app) on 127.0.0.1:<free port>, served from a background thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.base_url = ""
        self._runner = web.AppRunner(app)
        self._thread = threading.Thread(target=self._run, name="live-service", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the test thread, which raises it
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.app[SERVICE].idle())
        self.loop.run_until_complete(self._runner.cleanup())
        self.loop.close()

    async def _start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def start(self) -> LiveService:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the service did not start within 60 s")
        if self._error is not None:
            raise self._error
        return self

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the service's loop (e.g. wait for the job queue) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(60)


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A SQLite file, or a fresh PostgreSQL database dropped afterwards (PostgreSQL is the stricter of the two:
    lengths, integer ranges and text encodings that SQLite lets through are errors there)."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'ic.db'}"
        return
    need_service("PostgreSQL on 127.0.0.1:5432", _pg_up())
    name = f"ic_st_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[LiveService, list[str]]]:
    """The service with an API key for tenant acme, and two invoices in it (one read, one failed), whose ids are
    given to schemathesis as likely values of ``{id}``."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    with database(request.param, tmp) as url:
        yield from _serve(settings_for(tmp, url, API_KEYS=f"acme:{KEY}", FETCH_HOSTS="127.0.0.1"), tmp)


def _serve(s: Settings, tmp: Path) -> Iterator[tuple[LiveService, list[str]]]:
    service = LiveService(build_app(s, extractor=FakeExtractor())).start()
    try:
        pdf = draw(tmp / "seed.pdf", [[(20, 20, "Invoice seed")]]).read_bytes()
        resp = requests.post(f"{service.base_url}/api/invoices", headers={"X-API-Key": KEY, "X-User": "Pat"},
                             files=[("file", ("seed.pdf", pdf, "application/pdf")),
                                    ("file", ("notes.txt", b"not an invoice", "text/plain"))], timeout=30)
        assert resp.status_code == 202, resp.text
        ids = [r["id"] for r in resp.json()["invoices"]]
        service.run(service.app[SERVICE].jobs.idle())
        yield service, ids
    finally:
        service.stop()


#: The document as the service serves it (test_openapi_document_is_served_without_credentials checks they are the
#: same); the base URL is given per call, since the live service's port is only known at run time.
schema = schemathesis.openapi.from_dict(SPEC, config=schemathesis.Config.from_dict({
    "generation": {"mode": "all", "max-examples": 50, "deterministic": True, "with-security-parameters": False},
}))


@pytest.fixture
def statuses(live: tuple[LiveService, list[str]]) -> Iterator[set[int]]:
    """Status codes the operation answered with; afterwards it must have succeeded at least once, so a run that
    only ever met 401s or 404s cannot pass."""
    seen: set[int] = set()
    yield seen
    assert any(200 <= code < 300 for code in seen), f"schemathesis never got a 2xx, only {sorted(seen)}"


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=50, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case: Any, data: st.DataObject, live: tuple[LiveService, list[str]],
                                          statuses: set[int]) -> None:
    service, ids = live
    if "id" in (case.path_parameters or {}) and data.draw(st.booleans(), label="a real invoice"):
        case.path_parameters["id"] = data.draw(st.sampled_from(ids), label="invoice id")
    # A random tenant (403) or cursor (400) is refused before anything else is looked at: half the time they are
    # made right, so the other parameters of those cases reach the handler too.
    if "X-Tenant-Id" in (case.headers or {}) and data.draw(st.booleans(), label="own tenant"):
        case.headers["X-Tenant-Id"] = "acme"
    if "cursor" in (case.query or {}) and data.draw(st.booleans(), label="no cursor"):
        del case.query["cursor"]
    response = case.call_and_validate(base_url=service.base_url, headers={"X-API-Key": KEY}, checks=CHECKS)
    statuses.add(response.status_code)


def test_openapi_document_is_served_without_credentials(live: tuple[LiveService, list[str]]) -> None:
    service, _ = live
    resp = requests.get(f"{service.base_url}/api/openapi.json", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
    doc = resp.json()
    assert doc == SPEC
    assert {(p, m) for p, item in doc["paths"].items() for m in item} == {
        ("/api/invoices", "get"), ("/api/invoices", "post"), ("/api/invoices/{id}", "get"),
        ("/api/invoices/{id}/original", "get"), ("/api/invoices/{id}/actions", "post")}
    assert requests.get(f"{service.base_url}/api/invoices", timeout=10).status_code == 401
