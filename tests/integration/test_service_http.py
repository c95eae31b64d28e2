"""The service's other doors over real HTTP: auth on /api/messages, health, the REST API behind the upload page,
restart recovery, and the job queue on Redis and RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICE, build_app
from invoice_capture.review.service import ReviewService
from invoice_capture.review.vendors import VendorRecord
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import Invoice
from tests.conftest import DEV_SET
from tests.fakes.activities import text_message
from tests.fakes.extractor import FakeExtractor, extraction, fv
from tests.integration.conftest import need_service, settings_for
from tests.make_invoice import draw

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
        # what pat may do comes with the invoice: a small invoice from a new vendor, within a clerk's limit
        assert {"approve", "save", "escalate", "reject"} <= set(view["allowed"]["verbs"])
        assert view["allowed"]["approve_note"] == "" and view["allowed"]["callback"] is False
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
        assert "approve" in (await stale.json())["invoice"]["allowed"]["verbs"]
        no_reason = await client.post(f"/api/invoices/{view['id']}/actions", headers=h,
                                      json={"verb": "reject", "version": after["version"]})
        assert no_reason.status == 400 and "reason" in (await no_reason.json())["error"]
        ok = await client.post(f"/api/invoices/{view['id']}/actions", headers=h,
                               json={"verb": "approve", "version": after["version"]})
        done = await ok.json()
        assert done["state"] == "approved" and done["decision"]["by_name"] == "pat"
        assert done["allowed"]["verbs"] == []  # decided: nothing left to do, and the page must not offer it
        assert [e["action"] for e in done["history"]][-2:] == ["edited", "approved"]
        original = await client.get(f"/api/invoices/{view['id']}/original", headers=h)
        assert await original.read() == SAMPLE.read_bytes()
        # the key is bound to the default tenant: naming another one is refused, not a way in
        other = await client.get(f"/api/invoices/{view['id']}", headers={**h, "X-Tenant-Id": "someone-else"})
        assert other.status == 403 and "someone-else" in (await other.json())["error"]
    finally:
        await client.close()


# ------------------------------------------------------------------------------------------ controls over REST

PAT, BO = "Pat Clerk", "Bo Approver"  # X-User names; ROLES below makes Bo an approver by display name
ACME_IBAN = "DE89370400440532013000"
OTHER_IBAN = "GB29NWBK60161331926819"


@dataclass
class Portal:
    """The REST API as the upload page uses it, with a fake extractor so totals, numbers and IBANs are exact."""

    client: TestClient
    extractor: FakeExtractor
    tmp: Path

    @property
    def service(self) -> ReviewService:
        return self.client.server.app[SERVICE]

    @staticmethod
    def headers(user: str) -> dict[str, str]:
        return {"X-User": user}

    async def upload(self, name: str, result: dict[str, Any], user: str = PAT) -> dict[str, Any]:
        """Upload a unique PDF whose extraction is ``result``; the invoice as ``user`` sees it once read."""
        self.extractor.results[name] = [result]
        form = aiohttp.FormData()
        form.add_field("file", draw(self.tmp / name, [[(20, 20, f"Invoice {name}")]]).read_bytes(), filename=name,
                       content_type="application/pdf")
        resp = await self.client.post("/api/invoices", data=form, headers=self.headers(user))
        assert resp.status == 202, await resp.text()
        (up,) = (await resp.json())["invoices"]
        await self.service.jobs.idle()  # the in-process queue: extraction has run when this returns
        return await self.get(up["id"], user)

    async def get(self, invoice_id: str, user: str) -> dict[str, Any]:
        resp = await self.client.get(f"/api/invoices/{invoice_id}", headers=self.headers(user))
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def act(self, view: dict[str, Any], verb: str, user: str, **data: Any) -> aiohttp.ClientResponse:
        return await self.client.post(f"/api/invoices/{view['id']}/actions", headers=self.headers(user),
                                      json={"verb": verb, "version": view["version"], **data})

    async def audit_actions(self, invoice_id: str) -> list[tuple[str, str]]:
        """(action, actor id) of every audit event, including those the page's history leaves out (refused)."""
        async with self.service.db.read() as s:
            return [(e.action, e.actor_id) for e in await repo.audit_trail(s, invoice_id)]


@pytest.fixture
async def portal(tmp_path: Path, db_url: str) -> AsyncIterator[Portal]:
    extractor = FakeExtractor()
    settings = settings_for(tmp_path, db_url, ROLES=f"{BO}=approver,bo-oid=approver,cy-oid=manager")
    client = await start(build_app(settings, extractor=extractor))
    try:
        yield Portal(client, extractor, tmp_path)
    finally:
        await client.server.app[SERVICE].idle()
        await client.close()


def initech(name: str, *, number: str, total: float) -> dict[str, Any]:
    """A clean invoice from a vendor that is not in the vendor master (so it always waits for a person, L2)."""
    return extraction(name, vendor="Initech", number=number, total=total, currency="EUR")


async def test_rest_allowed_follows_the_approval_matrix_and_a_forged_approval_is_refused(portal: Portal) -> None:
    """4,200 EUR is above a clerk's 1,000 EUR limit and within an approver's 25,000 EUR: the same invoice offers
    Approve to Bo and not to Pat, says why, names Bo as the one to escalate to, and the server refuses (and
    audits) an approval Pat sends anyway."""
    view = await portal.upload("big.pdf", initech("big.pdf", number="BIG-1", total=4200.0))
    assert view["state"] == "needs_review" and view["gate"]["level"] == "L2"
    as_bo = await portal.get(view["id"], BO)  # Bo's first visit: an approver by display name (ROLES)
    assert {"approve", "save", "escalate", "reject"} <= set(as_bo["allowed"]["verbs"])
    assert as_bo["allowed"]["approve_note"] == ""

    as_pat = await portal.get(view["id"], PAT)
    allowed = as_pat["allowed"]
    assert "approve" not in allowed["verbs"] and {"save", "escalate", "reject"} <= set(allowed["verbs"])
    assert "above your approval limit of 1,000 EUR" in allowed["approve_note"]
    assert allowed["escalate_to"] == [{"id": f"web:{BO}", "name": BO, "covers": True, "limit": "25,000 EUR"}]
    assert {k: v for k, v in as_pat.items() if k != "allowed"} == \
        {k: v for k, v in as_bo.items() if k != "allowed"}  # the invoice itself does not depend on the caller

    forged = await portal.act(as_pat, "approve", PAT)
    assert forged.status == 409
    refused = await forged.json()
    assert refused["error"] == allowed["approve_note"]
    assert refused["invoice"]["state"] == "needs_review" and refused["invoice"]["version"] == as_pat["version"]
    assert "approve" not in refused["invoice"]["allowed"]["verbs"]
    assert ("refused", f"web:{PAT}") in await portal.audit_actions(view["id"])

    resp = await portal.act(as_pat, "escalate", PAT, approver=f"web:{BO}", reason="Above my limit")
    assert resp.status == 200, await resp.text()
    escalated = await resp.json()
    assert escalated["state"] == "escalated" and escalated["escalated_to"]["name"] == BO
    assert escalated["escalation_reason"] == "Above my limit"
    assert escalated["allowed"]["verbs"] == []  # a clerk waits for the approver now

    resp = await portal.act(escalated, "approve", BO)
    assert resp.status == 200, await resp.text()
    done = await resp.json()
    assert done["state"] == "approved" and done["decision"]["by_name"] == BO


async def test_rest_escalation_target_must_be_an_approver(portal: Portal) -> None:
    view = await portal.upload("esc.pdf", initech("esc.pdf", number="ESC-1", total=4200.0))
    resp = await portal.act(view, "escalate", PAT, approver="web:nobody")
    assert resp.status == 400
    assert (await resp.json())["error"] == "Pick an approver to escalate to."
    assert (await portal.get(view["id"], PAT))["state"] == "needs_review"


async def test_rest_likely_duplicate_needs_a_reason_to_approve(portal: Portal) -> None:
    first = await portal.upload("d1.pdf", initech("d1.pdf", number="D-77", total=500.0))
    assert (await portal.act(first, "approve", PAT)).status == 200
    second = await portal.upload("d2.pdf", initech("d2.pdf", number="D-77", total=500.0))
    assert second["duplicate_of"]["id"] == first["id"] and second["duplicate_of"]["state"] == "approved"
    allowed = second["allowed"]
    assert "approve" in allowed["verbs"]
    assert "D-77" in allowed["approve_reason"] and "Say why" in allowed["approve_reason"]

    without = await portal.act(second, "approve", PAT)
    assert without.status == 400
    assert "duplicate" in (await without.json())["error"]
    assert (await portal.get(second["id"], PAT))["state"] == "needs_review"

    blank = await portal.act(second, "approve", PAT, reason="   ")
    assert blank.status == 400

    resp = await portal.act(second, "approve", PAT, reason="Second delivery on a separate order")
    assert resp.status == 200, await resp.text()
    done = await resp.json()
    assert done["state"] == "approved" and done["decision"]["reason"] == "Second delivery on a separate order"


async def test_rest_vendor_master_auto_approval_reopen_and_bank_change_callback(portal: Portal) -> None:
    """With ACME in the vendor master: a clean ACME invoice is approved automatically and Pat may only reopen it;
    one asking to be paid into another account is a fraud alert (L3) that only Bo can approve, after a call-back."""
    async with portal.service.db.write() as s:
        await repo.import_vendors(s, "local", [VendorRecord(None, "ACME GmbH", (), "DE811907980", ACME_IBAN, "EUR")])

    def acme(name: str, number: str, total: float, iban: str) -> dict[str, Any]:
        return extraction(name, vendor="ACME GmbH", number=number, total=total, currency="EUR", iban=iban,
                          VendorTaxId=fv("DE811907980"), PurchaseOrder=None)

    clear = await portal.upload("clear.pdf", acme("clear.pdf", "A-1", 500.0, ACME_IBAN))
    assert clear["state"] == "auto_approved" and clear["gate"]["level"] == "L1"
    assert clear["vendor_match"]["name"] == "ACME GmbH" and clear["vendor_match"]["by"] == "tax_id"
    assert clear["allowed"]["verbs"] == ["reopen"]
    resp = await portal.act(clear, "reopen", PAT)
    assert resp.status == 200, await resp.text()
    reopened = await resp.json()
    assert reopened["state"] == "needs_review" and reopened["gate"]["level"] == "L2"
    assert "approve" in reopened["allowed"]["verbs"]

    fraud = await portal.upload("fraud.pdf", acme("fraud.pdf", "A-2", 720.0, OTHER_IBAN))
    assert fraud["gate"]["level"] == "L3"
    assert [c["rule"] for c in fraud["checks"]] == ["vendor.bank_changed"] and not fraud["duplicate_of"]
    assert "approve" not in fraud["allowed"]["verbs"] and "only an approver" in fraud["allowed"]["approve_note"]
    assert fraud["allowed"]["callback"] is False
    as_bo = await portal.get(fraud["id"], BO)
    assert "approve" in as_bo["allowed"]["verbs"] and as_bo["allowed"]["callback"] is True

    unconfirmed = await portal.act(as_bo, "approve", BO, callback_note="Called them")
    assert unconfirmed.status == 400 and "Call the vendor" in (await unconfirmed.json())["error"]
    no_note = await portal.act(as_bo, "approve", BO, callback_confirmed="true", callback_note=" ")
    assert no_note.status == 400
    resp = await portal.act(as_bo, "approve", BO, callback_confirmed="true",
                            callback_note="Jo Smith at ACME on +49 30 1234567 (number from the master)")
    assert resp.status == 200, await resp.text()
    done = await resp.json()
    assert done["state"] == "approved"
    assert [e["action"] for e in done["history"]][-2:] == ["callback_confirmed", "approved"]
    assert "Jo Smith" in done["history"][-2]["reason"]


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
