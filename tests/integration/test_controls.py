"""The controls through the real review service and a real database (SQLite and PostgreSQL): the HITL gate picks
the level the policy says and says why, auto-approvals can be reopened, the approval matrix is enforced on the
server (forged clicks are refused and audited), changed bank details need a call-back, likely duplicates need a
reason, escalations that wait too long remind the approver and then the managers. The extractor is a fake that
returns exact values; the extraction itself is measured on real files elsewhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from invoice_capture.audit.verify import verify
from invoice_capture.jobs import Jobs
from invoice_capture.review.policy import PolicyBook
from invoice_capture.review.service import Change, ReviewService
from invoice_capture.review.vendors import VendorRecord
from invoice_capture.review.workflow import Actor, Refused
from invoice_capture.store import repository as repo
from invoice_capture.store.blobs import LocalBlobStore
from invoice_capture.store.db import Database
from invoice_capture.store.models import AuditEvent, utcnow
from tests.fakes.extractor import FakeExtractor, extraction, fv
from tests.make_invoice import draw

T = "tenant-a"
ANA = Actor("ana", "Ana Clerk", "clerk")
BO = Actor("bo", "Bo Approver", "approver")
DEE = Actor("dee", "Dee Approver", "approver")
CY = Actor("cy", "Cy Manager", "manager")
ADA = Actor("ada", "Ada Admin", "admin")
ACME_IBAN = "DE89370400440532013000"
OTHER_IBAN = "GB29NWBK60161331926819"


@dataclass
class Env:
    service: ReviewService
    extractor: FakeExtractor
    tmp: Path
    heard: list[Change]

    async def drop(self, name: str, result: dict[str, Any], actor: Actor = ANA, tenant: str = T) -> dict[str, Any]:
        """Receive a (real, unique) PDF whose extraction is ``result``; return the invoice view once processed."""
        self.extractor.results[name] = [result]
        data = draw(self.tmp / name, [[(20, 20, f"Invoice {name}")]]).read_bytes()
        received = await self.service.receive(tenant, actor, name, data, source="upload")
        await self.service.jobs.idle()
        await self.service.idle()
        view = await self.service.view(tenant, received.invoice["id"])
        assert view is not None
        return view

    async def act(self, view: dict[str, Any], verb: str, actor: Actor, **data: Any) -> Any:
        fresh = await self.service.view(view["tenant_id"], view["id"])
        assert fresh is not None
        return await self.service.act(view["tenant_id"], view["id"], verb, fresh["version"], actor, data)

    async def events(self, invoice_id: str) -> list[AuditEvent]:
        async with self.service.db.read() as s:
            return await repo.audit_trail(s, invoice_id)


@pytest.fixture
async def env(tmp_path: Path, db_url: str) -> AsyncIterator[Env]:
    db = Database(db_url)
    await db.migrate()
    jobs = Jobs("memory")
    await jobs.start()
    extractor = FakeExtractor()
    policies = PolicyBook(raw={"tenants": {"tenant-b": {"auto_approve": {"max_total": 100}}}})
    service = ReviewService(db, LocalBlobStore(tmp_path / "blobs"), jobs, extractor,  # type: ignore[arg-type]
                            policies=policies)
    heard: list[Change] = []

    async def listen(change: Change) -> None:
        heard.append(change)

    service.listeners.append(listen)
    async with db.write() as s:
        for who in (ANA, BO, DEE, CY, ADA):
            await repo.set_role(s, T, who.id, who.role, who.name)
        await repo.set_role(s, "tenant-b", ANA.id, "clerk", ANA.name)
        for tenant in (T, "tenant-b"):
            await repo.import_vendors(s, tenant, [
                VendorRecord(None, "ACME GmbH", ("Acme",), "DE811907980", ACME_IBAN, "EUR", "Dee Approver"),
                VendorRecord(None, "Globex Ltd", (), "", "", "GBP", "")])
    try:
        yield Env(service, extractor, tmp_path, heard)
    finally:
        await service.idle()
        await jobs.stop()
        await db.close()


def acme(name: str, *, total: float = 500.0, number: str = "A-100", iban: str | None = ACME_IBAN,
         doubt: bool = False, **kw: Any) -> dict[str, Any]:
    """An ACME invoice; ``doubt`` reads its number with 70% confidence, so it waits for a person (L2)."""
    if doubt:
        kw["InvoiceId"] = fv(number, 0.7)
    return extraction(name, vendor="ACME GmbH", number=number, total=total, currency="EUR", iban=iban, **kw)


# ------------------------------------------------------------------------------------------ the gate


async def test_clear_invoice_from_a_known_vendor_is_approved_automatically_and_says_why(env: Env) -> None:
    view = await env.drop("clear.pdf", acme("clear.pdf", PurchaseOrder=None))
    assert view["state"] == "auto_approved"
    assert view["gate"]["level"] == "L1"
    assert "known vendor ACME GmbH" in view["gate"]["reasons"]
    assert view["vendor_match"]["by"] == "tax_id" or view["vendor_match"]["by"] == "iban"
    actions = [e.action for e in await env.events(view["id"])]
    assert actions == ["received", "extracted", "gated", "auto_approved"]
    gated = next(e for e in await env.events(view["id"]) if e.action == "gated")
    assert gated.changes["level"] == [None, "L1"]


async def test_reopening_an_auto_approval_is_audited_and_puts_it_back_for_review(env: Env) -> None:
    view = await env.drop("clear.pdf", acme("clear.pdf", PurchaseOrder=None))
    result = await env.act(view, "reopen", ANA)
    assert result.applied and result.invoice["state"] == "needs_review"
    assert result.invoice["gate"]["level"] == "L2" and "reopened by Ana Clerk" in result.invoice["gate"]["reasons"]
    reopened = [e for e in await env.events(view["id"]) if e.action == "reopened"]
    assert len(reopened) == 1 and reopened[0].actor_id == "ana"


@pytest.mark.parametrize(("case", "reason"), [
    ("new vendor", "new vendor (not in the vendor master)"),
    ("over threshold", "total above 5,000 EUR"),
    ("doubtful total", "not sure of: total (62%)"),
    ("no currency rate", "no exchange rate for XTS in the policy"),
    ("arithmetic", "subtotal + tax"),
])
async def test_each_reason_alone_keeps_the_invoice_for_a_person(env: Env, case: str, reason: str) -> None:
    result = {
        "new vendor": extraction("x.pdf", vendor="Initech Corp", number="I-1", total=500.0, currency="EUR"),
        "over threshold": acme("x.pdf", total=6000.0),
        "doubtful total": acme("x.pdf", InvoiceTotal=fv(500.0, 0.62)),
        "no currency rate": acme("x.pdf", CurrencyCode=fv("XTS")),
        "arithmetic": acme("x.pdf", SubTotal=fv(400.0)),
    }[case]
    view = await env.drop("x.pdf", result)
    assert view["state"] == "needs_review" and view["gate"]["level"] == "L2"
    assert any(r.startswith(reason) for r in view["gate"]["reasons"]), view["gate"]["reasons"]


async def test_the_policy_is_per_tenant(env: Env) -> None:
    """tenant-b lowered its threshold to 100 EUR: the same clean 500 EUR invoice needs a person there."""
    a = await env.drop("a.pdf", acme("a.pdf"))
    b = await env.drop("b.pdf", acme("b.pdf"), tenant="tenant-b")
    assert a["state"] == "auto_approved"
    assert b["state"] == "needs_review" and "total above 100 EUR" in b["gate"]["reasons"]


# ------------------------------------------------------------------------------------------ approval matrix


async def test_a_clerk_cannot_approve_above_their_limit_and_a_forged_click_is_refused_and_audited(env: Env) -> None:
    view = await env.drop("big.pdf", acme("big.pdf", total=2400.0, number="A-2400", doubt=True))
    assert view["state"] == "needs_review"
    allowed = await env.service.permissions(view, ANA)
    assert "approve" not in allowed["verbs"] and "escalate" in allowed["verbs"]
    assert "above your approval limit of 1,000 EUR" in allowed["approve_note"]
    forged = await env.act(view, "approve", ANA)
    assert not forged.applied and "approval limit" in (forged.notice or "")
    after = await env.service.view(T, view["id"])
    assert after is not None and after["state"] == "needs_review"
    refused = [e for e in await env.events(view["id"]) if e.action == "refused"]
    assert len(refused) == 1 and refused[0].actor_id == "ana" and refused[0].changes["verb"] == [None, "approve"]
    # the approver's limit covers it
    assert (await env.act(view, "approve", BO)).applied


async def test_escalation_goes_to_someone_whose_limit_covers_it_and_can_be_passed_on(env: Env) -> None:
    view = await env.drop("huge.pdf", acme("huge.pdf", total=40000.0, number="A-40K"))
    allowed = await env.service.permissions(view, ANA)
    first = allowed["escalate_to"][0]
    assert first["id"] == "ada" and first["covers"], "only the admin's limit covers 40,000 EUR"
    escalated = await env.act(view, "escalate", ANA, approver="ada", reason="big one")
    assert escalated.applied and escalated.invoice["escalated_to"]["id"] == "ada"
    assert (await env.act(view, "approve", ADA)).applied


async def test_refusing_an_approver_whose_limit_is_too_low(env: Env) -> None:
    view = await env.drop("huge.pdf", acme("huge.pdf", total=40000.0, number="A-40K"))
    with pytest.raises(Refused, match="does not cover"):
        await env.act(view, "escalate", ANA, approver="bo")


async def test_an_approver_above_their_limit_passes_it_on_to_the_next_level(env: Env) -> None:
    view = await env.drop("huge.pdf", acme("huge.pdf", total=30000.0, number="A-30K"))
    # nobody but the admin covers 30,000 EUR; Dee is the vendor's default approver but her limit is too low
    async with env.service.db.write() as s:
        await repo.set_role(s, T, "ada", "clerk")  # no one covers it now: everyone is offered
    allowed = await env.service.permissions(view, ANA)
    assert allowed["escalate_to"] and not any(c["covers"] for c in allowed["escalate_to"])
    assert allowed["escalate_to"][0]["id"] == "dee", "the vendor's default approver first"
    escalated = await env.act(view, "escalate", ANA, approver="dee")
    assert escalated.applied
    dee_may = await env.service.permissions(escalated.invoice, DEE)
    assert "approve" not in dee_may["verbs"] and "escalate" in dee_may["verbs"]
    async with env.service.db.write() as s:
        await repo.set_role(s, T, "ada", "admin")
    passed = await env.act(view, "escalate", DEE, approver="ada", reason="above my limit")
    assert passed.applied and passed.invoice["escalated_to"]["name"] == "Ada Admin"
    assert (await env.act(view, "approve", ADA)).applied


# ------------------------------------------------------------------------------------------ payment integrity


async def test_changed_bank_details_are_a_fraud_alert_that_needs_a_call_back(env: Env) -> None:
    view = await env.drop("bank.pdf", acme("bank.pdf", iban=OTHER_IBAN))
    assert view["gate"]["level"] == "L3" and view["state"] == "needs_review"
    assert any(c["rule"] == "vendor.bank_changed" for c in view["checks"])
    clerk = await env.service.permissions(view, ANA)
    assert "approve" not in clerk["verbs"] and "call" in clerk["approve_note"]
    assert not (await env.act(view, "approve", ANA)).applied
    approver = await env.service.permissions(view, BO)
    assert "approve" in approver["verbs"] and approver["callback"]
    with pytest.raises(Refused, match="Call the vendor"):
        await env.act(view, "approve", BO)
    done = await env.act(view, "approve", BO, callback_confirmed="true",
                         callback_note="Called Jo Smith at ACME on +49 30 1234 (number on file), 10:05")
    assert done.applied and done.invoice["state"] == "approved"
    events = await env.events(view["id"])
    confirmed = [e for e in events if e.action == "callback_confirmed"]
    assert len(confirmed) == 1 and confirmed[0].actor_id == "bo" and "Jo Smith" in confirmed[0].reason
    assert [e.action for e in events][-2:] == ["callback_confirmed", "approved"]


async def test_the_same_bank_details_in_another_spelling_are_not_an_alert(env: Env) -> None:
    spaced = " ".join(ACME_IBAN[i:i + 4] for i in range(0, len(ACME_IBAN), 4)).lower()
    view = await env.drop("same.pdf", acme("same.pdf", iban=spaced))
    assert view["gate"]["level"] != "L3"


# ------------------------------------------------------------------------------------------ duplicates


@pytest.mark.parametrize(("first", "second"), [("A-0042", "a 42"), ("A-42", "A-42-R"), ("A-42", "A-42/1"),
                                               ("A-4217", "A-4271")])
async def test_a_likely_duplicate_links_the_earlier_invoice_and_needs_a_reason(env: Env, first: str,
                                                                                second: str) -> None:
    one = await env.drop("one.pdf", acme("one.pdf", number=first, total=100.0))
    two = await env.drop("two.pdf", acme("two.pdf", number=second, total=200.0))
    assert two["duplicate_of"]["id"] == one["id"] and two["duplicate_of"]["state"] == "auto_approved"
    assert two["state"] == "needs_review" and any("duplicate" in r for r in two["gate"]["reasons"])
    assert (await env.service.permissions(two, BO))["approve_reason"]
    with pytest.raises(Refused, match="duplicate"):
        await env.act(two, "approve", BO)
    done = await env.act(two, "approve", BO, reason="credit note re-issued with the corrected PO")
    assert done.applied and done.invoice["decision"]["reason"].startswith("credit note")


async def test_same_amount_and_date_from_the_same_vendor_is_a_likely_duplicate(env: Env) -> None:
    day = dt.date.today() - dt.timedelta(days=3)
    one = await env.drop("one.pdf", acme("one.pdf", number="A-1", total=750.0, invoice_date=day))
    two = await env.drop("two.pdf", acme("two.pdf", number="Z-9", total=750.0,
                                         invoice_date=day + dt.timedelta(days=2)))
    assert two["duplicate_of"]["id"] == one["id"]
    assert any(c["rule"] == "duplicate.same_amount_date" for c in two["checks"])
    far = await env.drop("far.pdf", acme("far.pdf", number="Q-7", total=750.0,
                                         invoice_date=day - dt.timedelta(days=30)))
    assert far["duplicate_of"] is None


async def test_the_same_file_twice_is_the_same_invoice(env: Env) -> None:
    env.extractor.results["dup.pdf"] = [acme("dup.pdf")]
    data = draw(env.tmp / "dup.pdf", [[(20, 20, "Invoice dup")]]).read_bytes()
    first = await env.service.receive(T, ANA, "dup.pdf", data)
    second = await env.service.receive(T, BO, "copy.pdf", data)
    assert second.duplicate and second.invoice["id"] == first.invoice["id"]


# ------------------------------------------------------------------------------------------ reminders


async def test_an_escalation_left_waiting_reminds_the_approver_then_the_managers_once_each(env: Env) -> None:
    view = await env.drop("wait.pdf", acme("wait.pdf", total=2000.0, number="A-W", doubt=True))
    escalated = await env.act(view, "escalate", ANA, approver="bo")
    version = escalated.invoice["version"]
    start = utcnow()
    assert await env.service.remind(start + dt.timedelta(hours=23)) == 0
    assert await env.service.remind(start + dt.timedelta(hours=25)) == 1
    assert await env.service.remind(start + dt.timedelta(hours=26)) == 0, "the approver is reminded once"
    assert await env.service.remind(start + dt.timedelta(hours=49)) == 1
    assert await env.service.remind(start + dt.timedelta(hours=100)) == 0
    await env.service.idle()
    reminders = [c for c in env.heard if c.verb == "remind"]
    assert [c.extra["step"] for c in reminders] == [1, 2]
    assert reminders[0].extra["to"] == [{"id": "bo", "name": "Bo Approver"}]
    assert reminders[1].extra["to"] == [{"id": "cy", "name": "Cy Manager"}]
    events = [e for e in await env.events(view["id"]) if e.action == "reminded"]
    assert len(events) == 2
    after = await env.service.view(T, view["id"])
    assert after is not None and after["version"] == version, "a reminder does not make the approver's card stale"
    assert (await env.act(view, "approve", BO)).applied


# ------------------------------------------------------------------------------------------ the audit


async def test_after_all_of_that_the_audit_chain_verifies(env: Env) -> None:
    view = await env.drop("bank.pdf", acme("bank.pdf", iban=OTHER_IBAN))
    await env.act(view, "approve", ANA)  # refused and audited
    await env.act(view, "approve", BO, callback_confirmed="true", callback_note="called")
    async with env.service.db.read() as s:
        result = await verify(s)
        count = len((await s.execute(select(AuditEvent.id))).all())
    assert result.intact
    assert count >= 6


async def test_files_received_at_the_same_instant_all_land_in_the_chain(env: Env) -> None:
    """Each receipt inserts an invoice (a foreign-key share lock on the tenant) and then appends to the tenant's
    chain (a row lock on the tenant): on PostgreSQL the two locks must not deadlock when receipts overlap."""
    import asyncio

    datas = [draw(env.tmp / f"c{i}.pdf", [[(20, 20, f"Invoice c{i}")]]).read_bytes() for i in range(8)]
    got = await asyncio.gather(*(env.service.receive(T, ANA, f"c{i}.pdf", d) for i, d in enumerate(datas)))
    assert len({r.invoice["id"] for r in got}) == 8
    await env.service.jobs.idle()
    await env.service.idle()
    async with env.service.db.read() as s:
        assert (await verify(s, T)).intact
