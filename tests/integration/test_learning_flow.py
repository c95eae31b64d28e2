"""Learning from corrections through the real service (real extraction, real database): a clerk corrects a field
on a vendor's first invoice, and the vendor's next invoice, with other numbers, arrives with that field right and
sure. The memory is stored under the vendor's identities, so it survives a restart and works on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from invoice_capture.jobs import Jobs
from invoice_capture.review.service import ReviewService
from invoice_capture.review.workflow import Actor
from invoice_capture.store.blobs import LocalBlobStore
from invoice_capture.store.db import Database
from tests.make_invoice import draw
from tests.unit.test_learning import our_ref_invoice

ANA = Actor("ana", "Ana Clerk", "clerk")


@pytest.fixture
async def service(tmp_path: Path, db_url: str, extractor: Any) -> AsyncIterator[ReviewService]:
    db = Database(db_url)
    await db.migrate()
    jobs = Jobs("memory")
    await jobs.start()
    svc = ReviewService(db, LocalBlobStore(tmp_path / "blobs"), jobs, extractor)
    try:
        yield svc
    finally:
        await svc.idle()
        await jobs.stop()
        await db.close()


async def drop(service: ReviewService, tmp_path: Path, name: str, page: list[Any]) -> dict[str, Any]:
    data = draw(tmp_path / name, [page]).read_bytes()
    received = await service.receive("t", ANA, name, data)
    await service.jobs.idle()
    await service.idle()
    view = await service.view("t", received.invoice["id"])
    assert view is not None and view["state"] == "needs_review", view and view["state"]
    return view


async def test_a_correction_teaches_the_next_invoice_of_the_same_vendor(service: ReviewService,
                                                                         tmp_path: Path) -> None:
    first = await drop(service, tmp_path, "n1.pdf",
                       our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00"))
    read = (first["fields"].get("InvoiceId") or {}).get("value")
    assert read != "NL-77-0412", "the engine must really miss the number for this test to prove anything"
    saved = await service.act("t", first["id"], "save", first["version"], ANA, {"field.InvoiceId": "NL-77-0412"})
    assert saved.applied

    second = await drop(service, tmp_path, "n2.pdf",
                        our_ref_invoice("NL-78-1033", "07.05.2025", "2.000,00", "380,00", "2.380,00"))
    number = second["fields"]["InvoiceId"]
    assert number["value"] == "NL-78-1033"
    assert number["confidence"] >= 0.9 and number["method"] == "learned"
    assert second["invoice_number"] == "NL-78-1033", "lists and duplicate checks use the learned number"

    other = await drop(service, tmp_path, "o1.pdf", [(20, 15, "Blauwal Logistik AG"), (120, 20, "Our ref."),
                                                     (160, 20, "BW-1"), (120, 27, "Date:"), (160, 27, "03.04.2025"),
                                                     (120, 200, "Total"), (170, 200, "99,00 EUR")])
    assert (other["fields"].get("InvoiceId") or {}).get("method") != "learned", "another vendor learns nothing"
