"""The REST API for other systems over real HTTP, on SQLite and PostgreSQL: tenant-scoped API keys and Entra
tokens, list filters and paging, the audit trail on GET one, and invoices sent as URLs to fetch."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from app import SERVICE, build_app
from invoice_capture.ingest.fetch import FetchError, check_url, fetch, parse_hosts
from invoice_capture.ingest.rest import RestApi
from invoice_capture.review.service import ReviewService
from invoice_capture.store.models import Invoice
from tests.fakes.extractor import FakeExtractor, extraction
from tests.fakes.files import FileServer
from tests.integration.conftest import settings_for
from tests.make_invoice import draw
from tests.unit.test_api_auth import AUDIENCE, TID, Jwks

ACME = {"X-API-Key": "acme-key", "X-User": "Pat"}
GLOBEX = {"X-API-Key": "globex-key"}


@dataclass
class Api:
    client: TestClient
    extractor: FakeExtractor
    files: FileServer
    jwks: Jwks
    tmp: Path

    @property
    def service(self) -> ReviewService:
        return self.client.server.app[SERVICE]

    def pdf(self, name: str) -> bytes:
        return draw(self.tmp / name, [[(20, 20, f"Invoice {name}")]]).read_bytes()

    async def upload(self, name: str, headers: dict[str, str], *, vendor: str = "Contoso",
                     data: bytes | None = None) -> dict[str, Any]:
        """Upload one PDF (multipart) whose extraction names ``vendor``; the upload result once it was read."""
        self.extractor.results[name] = [extraction(name, vendor=vendor, number=f"N-{name}")]
        form = aiohttp.FormData()
        form.add_field("file", data or self.pdf(name), filename=name, content_type="application/pdf")
        resp = await self.client.post("/api/invoices", data=form, headers=headers)
        assert resp.status == 202, await resp.text()
        (up,) = (await resp.json())["invoices"]
        await self.service.jobs.idle()
        return up

    async def listing(self, query: str, headers: dict[str, str] = ACME) -> tuple[int, dict[str, Any]]:
        resp = await self.client.get(f"/api/invoices{query}", headers=headers)
        return resp.status, await resp.json()

    async def received_at(self, invoice_id: str, at: dt.datetime) -> None:
        async with self.service.db.write() as s:
            await s.execute(update(Invoice).where(Invoice.id == invoice_id).values(received_at=at))


@pytest.fixture
async def api(tmp_path: Path, db_url: str) -> AsyncIterator[Api]:
    extractor = FakeExtractor()
    async with FileServer() as files:
        jwks = await Jwks().start()
        settings = settings_for(tmp_path, db_url, API_KEYS="acme:acme-key,globex:globex-key",
                                FETCH_HOSTS="127.0.0.1", ENTRA_API_AUDIENCE=AUDIENCE, ENTRA_JWKS_URL=jwks.url)
        client = TestClient(TestServer(build_app(settings, extractor=extractor), host="127.0.0.1"))
        await client.start_server()
        try:
            yield Api(client, extractor, files, jwks, tmp_path)
        finally:
            await client.server.app[SERVICE].idle()
            await client.close()
            await jwks.stop()


def ids(page: dict[str, Any]) -> list[str]:
    return [r["id"] for r in page["invoices"]]


async def test_filters_by_state_vendor_and_received_date_with_paging(api: Api) -> None:
    jan = await api.upload("jan.pdf", ACME, vendor="Contoso Ltd")
    feb = await api.upload("feb.pdf", ACME, vendor="Fabrikam")
    mar = await api.upload("mar.pdf", ACME, vendor="CONTOSO 100% Pty")
    await api.received_at(jan["id"], dt.datetime(2024, 1, 10, 9, 0, tzinfo=dt.UTC))
    await api.received_at(feb["id"], dt.datetime(2024, 2, 15, 23, 30, tzinfo=dt.UTC))
    await api.received_at(mar["id"], dt.datetime(2024, 3, 20, 8, 0, tzinfo=dt.UTC))
    resp = await api.client.post(f"/api/invoices/{feb['id']}/actions", headers=ACME, json={"verb": "approve"})
    assert resp.status == 200, await resp.text()

    assert ids((await api.listing(""))[1]) == [mar["id"], feb["id"], jan["id"]]  # newest first
    assert ids((await api.listing("?state=needs_review"))[1]) == [mar["id"], jan["id"]]
    assert ids((await api.listing("?state=approved,failed"))[1]) == [feb["id"]]
    status, body = await api.listing("?state=needs_review,paid")
    assert status == 400 and "'paid'" in body["error"] and "needs_review" in body["error"]

    assert ids((await api.listing("?vendor=contoso"))[1]) == [mar["id"], jan["id"]]  # substring, case ignored
    assert ids((await api.listing("?vendor=100%25"))[1]) == [mar["id"]]  # % is a character, not a wildcard
    assert ids((await api.listing("?vendor=0_%25"))[1]) == []

    assert ids((await api.listing("?from=2024-02-01&to=2024-02-15"))[1]) == [feb["id"]]  # to includes the day
    assert ids((await api.listing("?to=2024-02-15T23:00:00Z"))[1]) == [jan["id"]]
    assert ids((await api.listing("?from=2024-02-15T23:30:00%2B00:00"))[1]) == [mar["id"], feb["id"]]
    assert ids((await api.listing("?from=2024-03-01T00:00:00"))[1]) == [mar["id"]]  # no offset: UTC
    for bad in ("?from=yesterday", "?to=2024-02-30", "?from=2024-03-01&to=2024-02-01", "?limit=0", "?limit=201",
                "?limit=ten", "?cursor=not-a-cursor"):
        status, body = await api.listing(bad)
        assert status == 400 and body["error"], bad
    assert "YYYY-MM-DD" in (await api.listing("?from=yesterday"))[1]["error"]

    status, first = await api.listing("?limit=2&from=2024-01-01")
    assert status == 200 and ids(first) == [mar["id"], feb["id"]] and first["cursor"]
    assert first["next"].startswith("/api/invoices?") and "from=2024-01-01" in first["next"]
    status, second = await api.listing(first["next"][len("/api/invoices"):])
    assert status == 200 and ids(second) == [jan["id"]]
    assert second["next"] is None and second["cursor"] is None


async def test_a_key_sees_only_its_own_tenant(api: Api) -> None:
    data = api.pdf("shared.pdf")
    mine = await api.upload("shared.pdf", ACME, data=data)
    theirs = await api.upload("shared.pdf", GLOBEX, data=data)
    assert theirs["id"] != mine["id"] and theirs["duplicate"] is False  # same bytes, other tenant: not a duplicate

    assert ids((await api.listing("", GLOBEX))[1]) == [theirs["id"]]
    for path in (f"/api/invoices/{mine['id']}", f"/api/invoices/{mine['id']}/original"):
        resp = await api.client.get(path, headers=GLOBEX)
        assert resp.status == 404 and (await resp.json())["error"] == "No such invoice."
    resp = await api.client.post(f"/api/invoices/{mine['id']}/actions", headers=GLOBEX,
                                 json={"verb": "reject", "reason": "not ours"})
    assert resp.status == 404
    mine_now = await (await api.client.get(f"/api/invoices/{mine['id']}", headers=ACME)).json()
    assert mine_now["state"] == "needs_review" and mine_now["tenant_id"] == "acme"

    resp = await api.client.get("/api/invoices", headers={**ACME, "X-Tenant-Id": "globex"})
    assert resp.status == 403 and "'acme'" in (await resp.json())["error"]
    resp = await api.client.get("/api/invoices", headers={"X-API-Key": "guess"})
    assert resp.status == 401 and "Bearer" in resp.headers["WWW-Authenticate"]
    resp = await api.client.get("/api/invoices")
    assert resp.status == 401 and (await resp.json())["error"].startswith("This service needs")


async def test_get_one_carries_the_whole_audit_trail(api: Api) -> None:
    up = await api.upload("audited.pdf", ACME)
    resp = await api.client.post(f"/api/invoices/{up['id']}/actions", headers=ACME,
                                 json={"verb": "reject", "reason": "Not our order"})
    assert resp.status == 200, await resp.text()
    view = await (await api.client.get(f"/api/invoices/{up['id']}", headers=ACME)).json()
    assert view["state"] == "rejected" and view["fields"]["InvoiceId"]["value"] == "N-audited.pdf"
    assert "allowed" in view and view["history"]  # everything the page relies on is still there
    audit = view["audit"]
    actions = [e["action"] for e in audit]
    assert actions[0] == "received" and actions[-1] == "rejected" and "extracted" in actions
    assert [e["seq"] for e in audit] == sorted(e["seq"] for e in audit)
    first, last = audit[0], audit[-1]
    assert (first["actor_id"], first["actor_name"]) == ("web:Pat", "Pat")
    assert first["changes"]["filename"] == [None, "audited.pdf"]
    assert last["reason"] == "Not our order" and last["changes"]["state"] == ["needs_review", "rejected"]
    assert dt.datetime.fromisoformat(last["at"]) >= dt.datetime.fromisoformat(first["at"])
    assert len(audit) > len(view["history"])  # bookkeeping events too, not only the card's history


async def test_url_upload_fetches_only_from_listed_hosts(api: Api) -> None:
    url = api.files.add("from-erp.pdf", api.pdf("from-erp.pdf"))
    api.extractor.results["from-erp.pdf"] = [extraction("from-erp.pdf", vendor="Northwind")]
    resp = await api.client.post("/api/invoices", headers=ACME, json={"url": url})
    assert resp.status == 202, await resp.text()
    (got,) = (await resp.json())["invoices"]
    assert got["filename"] == "from-erp.pdf" and got["url"] == url and got["state"] == "received"
    await api.service.jobs.idle()
    view = await (await api.client.get(f"/api/invoices/{got['id']}", headers=ACME)).json()
    assert view["source"] == "api" and view["vendor"] == "Northwind" and view["state"] == "needs_review"
    assert view["audit"][0]["changes"]["source"] == [None, "api"]

    unlisted = url.replace("127.0.0.1", "localhost")
    before = list(api.files.requests)
    resp = await api.client.post("/api/invoices", headers=ACME, json={"urls": [unlisted]})
    assert resp.status == 422
    (refused,) = (await resp.json())["invoices"]
    assert refused["error"]["code"] == "host_not_allowed" and "localhost" in refused["error"]["message"]
    assert api.files.requests == before  # nothing was fetched

    api.files.add("second.pdf", api.pdf("second.pdf"))
    resp = await api.client.post("/api/invoices", headers=ACME, json={"urls": [
        {"url": api.files.url("second.pdf"), "filename": "renamed.pdf"}, api.files.url("missing.pdf"),
        "https://example.com/x.pdf"]})
    assert resp.status == 202
    ok, missing, elsewhere = (await resp.json())["invoices"]
    assert ok["filename"] == "renamed.pdf" and ok["error"] is None
    assert missing["error"]["code"] == "remote_error" and "404" in missing["error"]["message"]
    assert elsewhere["error"]["code"] == "host_not_allowed"

    for body, status in (({"url": 5}, 400), ({"url": url, "urls": [url]}, 400), ({"urls": []}, 400),
                         ({"urls": [url] * 51}, 413), ("not json", 400)):
        resp = await api.client.post("/api/invoices", headers=ACME, json=body)
        assert resp.status == status, body
        assert (await resp.json())["error"]


async def test_url_upload_refuses_a_redirect_to_an_unlisted_host(api: Api) -> None:
    api.files.add("target.pdf", api.pdf("target.pdf"))
    elsewhere = api.files.url("target.pdf").replace("127.0.0.1", "localhost")

    async def bounce(_request: web.Request) -> web.Response:
        raise web.HTTPFound(elsewhere)

    app = web.Application()
    app.router.add_get("/bounce", bounce)
    async with TestServer(app, host="127.0.0.1") as bouncer:
        resp = await api.client.post("/api/invoices", headers=ACME, json={"url": str(bouncer.make_url("/bounce"))})
    assert resp.status == 422
    (refused,) = (await resp.json())["invoices"]
    assert refused["error"]["code"] == "redirect_not_allowed"
    assert "target.pdf" not in api.files.requests


async def test_url_upload_is_off_without_fetch_hosts() -> None:
    """Refused before anything is read or stored, so the API alone (no review service behind it) answers."""
    app = web.Application()
    app.add_routes(RestApi(cast(Any, None)).routes())  # no keys, no FETCH_HOSTS: the embedded default
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.post("/api/invoices", json={"url": "https://example.com/a.pdf"})
        assert resp.status == 400 and "FETCH_HOSTS" in (await resp.json())["error"]
        resp = await client.post("/api/invoices", data=b"x", headers={"Content-Type": "text/plain"})
        assert resp.status == 415 and "application/json" in (await resp.json())["error"]


async def test_fetch_checks_every_url_and_bounds_size_and_time() -> None:
    hosts = parse_hosts(" Files.Example.com., https://cdn.example.com:8443/x , 127.0.0.1:9000,")
    assert hosts == {"files.example.com", "cdn.example.com", "127.0.0.1"}
    assert check_url("https://FILES.example.com/a.pdf", hosts).host == "files.example.com"
    for url, code in [("http://files.example.com/a.pdf", "https_required"), ("ftp://files.example.com/a", "bad_url"),
                      ("https://evil.example/a.pdf", "host_not_allowed"), ("/relative.pdf", "bad_url"),
                      ("https://files.example.com.evil.example/a", "host_not_allowed"), ("http://[::1", "bad_url")]:
        with pytest.raises(FetchError) as info:
            check_url(url, hosts)
        assert info.value.code == code, url
    async with FileServer() as files:
        got = await fetch(files.add("fine.pdf", b"%PDF-1.4 fine"), hosts)
        assert (got.data, got.filename) == (b"%PDF-1.4 fine", "fine.pdf")
        for url, kw, code in [(files.add("big.pdf", b"%PDF-" + b"0" * 5000), {"max_bytes": 1000}, "too_large"),
                              (files.add("held.pdf", b"%PDF-1.4", gate=True), {"timeout_s": 0.2}, "timeout"),
                              ("http://127.0.0.1:1/closed.pdf", {}, "unreachable")]:
            with pytest.raises(FetchError) as info:
                await fetch(url, hosts, **kw)
            assert info.value.code == code, url


async def test_entra_token_end_to_end(api: Api) -> None:
    oid = "5f0c8e0a-0000-4000-8000-0000000000b7"
    bearer = {"Authorization": f"Bearer {api.jwks.token(oid=oid, name='Ana Clerk')}"}
    up = await api.upload("entra.pdf", bearer)
    view = await (await api.client.get(f"/api/invoices/{up['id']}", headers=bearer)).json()
    assert view["tenant_id"] == TID and view["uploaded_by_id"] == oid and view["uploaded_by"] == "Ana Clerk"
    assert view["audit"][0]["actor_id"] == oid
    assert ids((await api.listing("", bearer))[1]) == [up["id"]]
    assert ids((await api.listing("", ACME))[1]) == []  # the key's tenant does not see the token's
    assert (await api.client.get(f"/api/invoices/{up['id']}", headers=ACME)).status == 404

    resp = await api.client.post(f"/api/invoices/{up['id']}/actions", headers={**bearer, "X-User": "Mallory"},
                                 json={"verb": "approve", "version": view["version"]})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["decision"]["by_id"] == oid  # X-User cannot rename a token's person

    expired = {"Authorization": f"Bearer {api.jwks.token(exp=1, iat=0, nbf=0)}"}
    resp = await api.client.get("/api/invoices", headers=expired)
    assert resp.status == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert "expired" in (await resp.json())["error"]
