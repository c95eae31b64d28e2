"""The service's other doors over real HTTP: auth on /api/messages, health, the REST API behind the upload page,
restart recovery, and the job queue on Redis and RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICE, build_app
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import Invoice
from tests.conftest import DEV_SET
from tests.fakes.activities import text_message
from tests.integration.conftest import need_service, settings_for

SAMPLE = DEV_SET / "azure_samples" / "sample-invoice.pdf"


async def start(app: Any) -> TestClient:
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def wait_state(client: TestClient, invoice_id: str, states: tuple[str, ...], headers: dict | None = None,
                     timeout: float = 90) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            view = await (await client.get(f"/api/invoices/{invoice_id}", headers=headers or {})).json()
            if view["state"] in states:
                return view
            await asyncio.sleep(0.05)  # polling the API like the page does; not a timing assertion
    return await asyncio.wait_for(loop(), timeout)


async def test_unsigned_requests_get_401_when_auth_is_on(tmp_path: Path, extractor: Any) -> None:
    s = settings_for(tmp_path, MicrosoftAppId="00000000-0000-0000-0000-000000000001", MicrosoftAppPassword="x")
    client = await start(build_app(s, extractor=extractor))
    try:
        resp = await client.post("/api/messages", json=text_message("http://127.0.0.1:1/", "hi"))
        assert resp.status == 401
        garbage = await client.post("/api/messages", json=text_message("http://127.0.0.1:1/", "hi"),
                                    headers={"Authorization": "Bearer not-a-token"})
        assert garbage.status == 401
        token = jwt.encode({"iss": "https://api.botframework.com", "aud": s.app_id, "exp": 4102444800,
                            "serviceurl": "http://127.0.0.1:1/"}, "a-self-made-key-that-no-one-trusts-000",
                           algorithm="HS256")
        forged = await client.post("/api/messages", json=text_message("http://127.0.0.1:1/", "hi"),
                                   headers={"Authorization": f"Bearer {token}"})
        assert forged.status == 401
        assert (await (await client.get("/healthz")).json())["auth"] == "on"
    finally:
        await client.close()


async def test_auth_off_accepts_and_says_so(service_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    health = await (await service_client.get("/healthz")).json()
    assert health["status"] == "ok" and health["auth"] == "off"


async def test_rest_upload_review_and_conflict(tmp_path: Path, db_url: str, extractor: Any) -> None:
    client = await start(build_app(settings_for(tmp_path, db_url, API_KEY="k3y"), extractor=extractor))
    h = {"X-API-Key": "k3y", "X-User": "pat"}
    try:
        assert (await client.get("/api/invoices")).status == 401
        page = await client.get("/")
        assert page.status == 200 and "text/html" in page.headers["Content-Type"]
        form = aiohttp.FormData()
        form.add_field("file", SAMPLE.read_bytes(), filename="sample.pdf", content_type="application/pdf")
        form.add_field("file", b"just some words, not an invoice", filename="notes.txt", content_type="text/plain")
        resp = await client.post("/api/invoices", data=form, headers=h)
        assert resp.status == 202
        up = (await resp.json())["invoices"]
        assert up[1]["state"] == "failed" and up[1]["error"]["message"]
        view = await wait_state(client, up[0]["id"], ("needs_review",), h)
        assert view["fields"]["InvoiceId"]["value"] == "INV-100"
        listing = (await (await client.get("/api/invoices?state=needs_review", headers=h)).json())["invoices"]
        assert [r["id"] for r in listing] == [up[0]["id"]]
        saved = await client.post(f"/api/invoices/{view['id']}/actions", headers=h,
                                  json={"verb": "save", "version": view["version"],
                                        "fields": {"InvoiceTotal": "111,00"}})
        assert saved.status == 200, await saved.text()
        after = await saved.json()
        assert after["fields"]["InvoiceTotal"]["value"] == 111.0 and after["version"] == view["version"] + 1
        assert any("does not equal the total" in w for w in after["warnings"])
        stale = await client.post(f"/api/invoices/{view['id']}/actions", headers=h,
                                  json={"verb": "approve", "version": view["version"]})
        assert stale.status == 409
        assert (await stale.json())["invoice"]["version"] == after["version"]
        no_reason = await client.post(f"/api/invoices/{view['id']}/actions", headers=h,
                                      json={"verb": "reject", "version": after["version"]})
        assert no_reason.status == 400 and "reason" in (await no_reason.json())["error"]
        ok = await client.post(f"/api/invoices/{view['id']}/actions", headers=h,
                               json={"verb": "approve", "version": after["version"]})
        done = await ok.json()
        assert done["state"] == "approved" and done["decision"]["by_name"] == "pat"
        assert [e["action"] for e in done["history"]][-2:] == ["edited", "approved"]
        original = await client.get(f"/api/invoices/{view['id']}/original", headers=h)
        assert await original.read() == SAMPLE.read_bytes()
        other = await client.get(f"/api/invoices/{view['id']}", headers={**h, "X-Tenant-Id": "someone-else"})
        assert other.status == 404
    finally:
        await client.close()


async def test_restart_picks_up_unfinished_invoices(tmp_path: Path, db_url: str, extractor: Any) -> None:
    """Invoices left `received` or `extracting` by a crash are read at the next start."""
    s = settings_for(tmp_path, db_url)
    db = Database(s.db_url)
    await db.migrate()
    from invoice_capture.store.blobs import LocalBlobStore

    sha = LocalBlobStore(s.blob_dir).put(SAMPLE.read_bytes())
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    async with db.write() as session:
        await repo.ensure_tenant(session, "local")
        for invoice_id, state in zip(ids, ("received", "extracting"), strict=True):
            session.add(Invoice(id=invoice_id, tenant_id="local", filename=f"{state}.pdf", content_sha256=sha,
                                state=state, version=1))
    await db.close()
    client = await start(build_app(s, extractor=extractor))
    try:
        for invoice_id in ids:
            view = await wait_state(client, invoice_id, ("needs_review", "failed"))
            assert view["state"] == "needs_review" and view["fields"]["InvoiceTotal"]["value"] == 110.0
    finally:
        await client.close()


def _up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
async def test_jobs_through_a_real_broker(tmp_path: Path, extractor: Any, broker: str) -> None:
    port = 6379 if broker == "redis" else 5672
    need_service(f"{broker} on 127.0.0.1:{port}", _up(port))
    url = "redis://127.0.0.1:6379/0" if broker == "redis" else "amqp://guest:guest@127.0.0.1:5672/"
    s = settings_for(tmp_path, "", JOBS_BROKER=url)
    app = build_app(s, extractor=extractor)
    client = await start(app)
    try:
        assert (await (await client.get("/healthz")).json())["jobs"] in ("redis", "amqp")
        form = aiohttp.FormData()
        form.add_field("file", SAMPLE.read_bytes(), filename="q.pdf", content_type="application/pdf")
        up = (await (await client.post("/api/invoices", data=form)).json())["invoices"][0]
        view = await wait_state(client, up["id"], ("needs_review", "failed"))
        assert view["state"] == "needs_review"
        assert client.server.app[SERVICE].jobs.url == url
    finally:
        await client.close()


def test_ci_has_the_services() -> None:
    if os.environ.get("CI") == "true":
        assert _up(5432) and _up(6379) and _up(5672)
