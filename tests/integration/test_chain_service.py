"""The chain inside the running service: the real local engine, the real Azure SDK against the fake DI server,
an invoice uploaded over HTTP, provenance on the invoice and in the audit, engine calls in ``status``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import SERVICE, build_app
from cards.reports import status_card
from invoice_capture import reports
from tests.conftest import DEV_SET
from tests.fakes.azure_di import FakeDocumentIntelligence
from tests.integration.conftest import settings_for

SAMPLE = DEV_SET / "azure_samples" / "sample-invoice.pdf"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDocumentIntelligence]:
    f = FakeDocumentIntelligence(running_polls=1, retry_after=0)
    f.endpoint = await f.start()  # type: ignore[attr-defined]
    yield f
    await f.close()


async def upload_and_wait(client: TestClient, path: Path) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field("file", path.read_bytes(), filename=path.name, content_type="application/pdf")
    invoice = (await (await client.post("/api/invoices", data=form)).json())["invoices"][0]

    async def done() -> dict[str, Any]:
        while True:
            view = await (await client.get(f"/api/invoices/{invoice['id']}")).json()
            if view["state"] not in ("received", "extracting"):
                return view
            await asyncio.sleep(0.05)  # polling the API like the page does; not a timing assertion
    return await asyncio.wait_for(done(), 120)


async def run_service(tmp_path: Path, fake: FakeDocumentIntelligence, extractor: Any, policy: str
                      ) -> tuple[TestClient, Any]:
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "policy.yaml").write_text(policy, encoding="utf-8")
    s = settings_for(tmp_path, AZURE_DI_ENDPOINT=fake.endpoint, AZURE_DI_KEY="fake-key")  # type: ignore
    app = build_app(s, extractor=extractor)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client, app[SERVICE]


async def test_strong_local_read_skips_azure_and_status_counts_the_local_call(
        tmp_path: Path, fake: FakeDocumentIntelligence, extractor: Any) -> None:
    client, service = await run_service(tmp_path, fake, extractor, "")
    try:
        view = await upload_and_wait(client, SAMPLE)
        assert view["state"] == "needs_review"
        assert fake.analyze_calls() == 0  # every key field of the sample is read locally at >= 0.65
        assert view["fields"]["InvoiceId"]["engine"] == "local"
        usage = (await reports.status(service.db, "local"))["extraction"]["engines"]
        assert usage["local"]["calls"] == 1 and "azure" not in usage
    finally:
        await client.close()


async def test_chain_through_azure_merges_records_provenance_and_cost(
        tmp_path: Path, fake: FakeDocumentIntelligence, extractor: Any) -> None:
    policy = "extraction:\n  chain: [einvoice, local, azure]\n"
    client, service = await run_service(tmp_path, fake, extractor, policy)
    try:
        view = await upload_and_wait(client, SAMPLE)
        assert fake.analyze_calls("prebuilt-invoice") == 1
        fields = view["fields"]
        # both engines read INV-100: kept, more sure than either alone, both named
        assert fields["InvoiceId"]["value"] == "INV-100"
        assert set(fields["InvoiceId"]["agreed"]) == {"local", "azure"}
        assert fields["InvoiceId"]["confidence"] > 0.99 - 1e-9
        # fields only Azure read (the remittance address) say so
        assert fields["RemittanceAddress"]["engine"] == "azure"
        extracted = next(e for e in view["history"] if e["action"] == "extracted")
        provenance = extracted["changes"]["provenance"][1]
        assert provenance["RemittanceAddress"] == "azure" and set(provenance) == set(fields)
        status = await reports.status(service.db, "local")
        usage = status["extraction"]["engines"]
        assert usage["azure"] == {**usage["azure"], "calls": 1, "pages": 1, "failed": 0}
        assert usage["local"]["calls"] == 1
        facts = str(status_card(status))
        assert "Azure Document Intelligence" in facts and "1 calls, 1 pages" in facts
    finally:
        await client.close()
