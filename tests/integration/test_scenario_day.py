"""A realistic day through the real service: 50 invoices from 10 vendors, dropped into Teams chats by 3 clerks,
decided by them and 2 approvers, with a duplicate, a bank change and an over-limit invoice among them.

Everything is real but Teams itself: the aiohttp service on a real port (bot endpoint, in-process jobs, the local
extraction engine in its worker process, SQLite or PostgreSQL), invoices drawn as real PDFs and read by the engine,
the vendor master imported with the real CLI, the policy from a YAML file, and the audit verified with the real
CLI at the end. People act only through what their cards offer, as they would in Teams.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from app import BOT, SERVICE, build_app
from invoice_capture.store.models import AuditEvent, Invoice
from tests.cardschema import data_of, inputs, verbs
from tests.fakes.activities import TeamsUser, card_action, file_message, text_message
from tests.fakes.connector import FakeConnector, card_of, card_text
from tests.fakes.files import FileServer
from tests.integration.conftest import settings_for
from tests.make_invoice import draw

pytestmark = pytest.mark.slow

CLERKS = [TeamsUser("ana-oid", "Ana Clerk"), TeamsUser("eve-oid", "Eve Clerk"), TeamsUser("finn-oid", "Finn Clerk")]
BO, DEE = TeamsUser("bo-oid", "Bo Approver"), TeamsUser("dee-oid", "Dee Approver")
ROOT = Path(__file__).resolve().parents[2]

POLICY = """
base_currency: EUR
auto_approve:
  max_total: 800          # small invoices from known vendors go through on their own
approval:
  limits: {clerk: 1500, approver: 10000, manager: 10000, admin: null}
  people: {"Bo Approver": 50000}
"""


def iban_de(bank: str, account: str) -> str:
    """A German IBAN with correct check digits (ISO 13616: mod 97 of BBAN + "DE00")."""
    bban = f"{bank:0>8}{account:0>10}"
    digits = "".join(str(int(c, 36)) for c in bban + "DE00")
    return f"DE{98 - int(digits) % 97:02d}{bban}"


VENDORS = [(name, iban_de(f"{37040044 + i}", f"{532013000 + 17 * i}")) for i, name in enumerate((
    "Northwind Traders", "Fabrikam Supplies", "Adventure Works", "Litware Consulting", "Proseware Media",
    "Tailspin Logistics", "Wingtip Catering", "Woodgrove Facilities", "Lucerne Publishing", "Margie Travel"))]
ROGUE_IBAN = iban_de("10010010", "999888777")


def invoice_pdf(path: Path, vendor: str, iban: str, number: str, day: dt.date, net: float) -> bytes:
    tax = round(net * 0.19, 2)
    lines = [(20, 15, f"{vendor} GmbH"), (20, 22, "Industriestrasse 4, 10115 Berlin"),
             (120, 20, "Invoice No."), (160, 20, number), (120, 27, "Invoice Date"), (160, 27, day.isoformat()),
             (120, 34, "Due Date"), (160, 34, (day + dt.timedelta(days=30)).isoformat()),
             (20, 60, "Bill to: Contoso Ltd, 1 Main Street, Dublin"),
             (20, 100, "Description"), (150, 100, "Amount"), (20, 107, "Services rendered"), (150, 107, f"{net:,.2f}"),
             (120, 200, "Subtotal"), (170, 200, f"{net:,.2f}"), (120, 207, "VAT 19%"), (170, 207, f"{tax:,.2f}"),
             (120, 214, "Total EUR"), (170, 214, f"{net + tax:,.2f}"),
             (20, 260, f"IBAN: {' '.join(iban[i:i + 4] for i in range(0, len(iban), 4))}")]
    return draw(path, [lines]).read_bytes()


@pytest.fixture
async def day(tmp_path: Path, db_url: str, extractor: Any) -> AsyncIterator[tuple[TestClient, FakeConnector,
                                                                               FileServer, dict[str, str]]]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "policy.yaml").write_text(POLICY)
    env = {**os.environ, "DATA_DIR": str(data), "DATABASE_URL": db_url}
    csv = tmp_path / "vendors.csv"
    csv.write_text("name,iban,currency,default_approver\n" + "".join(
        f"{name} GmbH,{iban},EUR,{'Dee Approver' if i % 2 else ''}\n" for i, (name, iban) in enumerate(VENDORS)))
    run = subprocess.run([sys.executable, "-m", "invoice_capture.cli", "vendors", "import", str(csv), "--tenant",
                          "tenant-contoso"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    settings = settings_for(tmp_path, db_url, ROLES="bo-oid=approver,dee-oid=approver,cy-oid=manager")
    app = build_app(settings, extractor=extractor)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    async with FileServer() as files:
        fc = await FakeConnector().start()
        try:
            yield client, fc, files, env
        finally:
            await fc.close()
            await client.close()


async def test_a_day_of_invoices(day: tuple[TestClient, FakeConnector, FileServer, dict[str, str]],
                                 tmp_path: Path) -> None:
    client, connector, files, env = day

    async def post(activity: dict[str, Any]) -> dict[str, Any] | None:
        resp = await client.post("/api/messages", json=activity)
        assert resp.status in (200, 201), await resp.text()
        return await resp.json() if resp.status == 200 and resp.content_length else None

    async def click(user: TeamsUser, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = await post(card_action(connector.url, verb, data, user=user))
        assert answer is not None
        return answer["value"]

    for person in [*CLERKS, BO, DEE]:  # everyone has opened the bot once (Teams installs it for them)
        await post(text_message(connector.url, "hi", user=person))

    # ---- the day's mail: 5 invoices per vendor, one of them above every clerk's limit, one re-sent (duplicate),
    # ---- one asking to be paid into a different account (bank change)
    today = dt.date.today()
    plan: list[tuple[str, str, str, float, dt.date]] = []  # (file, vendor, iban, net, date) + number below
    numbers: dict[str, str] = {}
    for v, (vendor, iban) in enumerate(VENDORS):
        for k in range(5):
            name = f"{vendor.split()[0].lower()}-{k}.pdf"
            net = [120.0, 240.0, 560.0, 910.0, 1180.0][(v + k) % 5] + v
            numbers[name] = f"{vendor[:2].upper()}-{2026}{v}{k:03d}"
            plan.append((name, vendor, iban, net, today - dt.timedelta(days=k + 1)))
    plan[7] = (plan[7][0], plan[7][1], plan[7][2], 18000.0, plan[7][4])  # over every clerk's limit
    over_file = plan[7][0]
    bank_file = plan[23][0]
    plan[23] = (bank_file, plan[23][1], ROGUE_IBAN, plan[23][3], plan[23][4])
    dup_of = plan[31][0]
    plan.append(("resent.pdf", plan[31][1], plan[31][2], plan[31][3] + 0.0, plan[31][4]))
    numbers["resent.pdf"] = numbers[dup_of] + "-R"
    plan.pop(40)  # 50 invoices in all
    assert len(plan) == 50 and len({p[1] for p in plan}) == 10

    bot = client.server.app[BOT]
    cards: dict[str, tuple[TeamsUser, str]] = {}  # file -> (clerk, activity id of its card)
    for i, (name, vendor, iban, net, day_) in enumerate(plan):
        clerk = CLERKS[i % 3]
        data = invoice_pdf(tmp_path / name, vendor, iban, numbers[name], day_, net)
        before = len(connector.sent)
        await post(file_message(connector.url, name, files.add(name, data), user=clerk))
        first = await connector.wait_for(lambda c, n=before: c.sent[n:] or None)
        cards[name] = (clerk, first[0]["id"])
    await bot.idle()

    asked: dict[str, list[str]] = {}
    for name, (clerk, aid) in cards.items():
        card = card_of(connector.current[aid])
        # the card shown to the clerk in the chat is what the clerk would see after Teams' refresh
        card = await click(clerk, "refresh", data_of(card, "refresh") if "refresh" in verbs(card) else
                           {"invoice_id": _invoice_id(card), "version": None})
        offered = verbs(card)
        if "reopen" in offered:  # approved automatically: nothing to do
            continue
        if name == "resent.pdf":
            assert "Possible duplicate" in card_text(card) or "duplicate" in card_text(card).lower()
            await click(clerk, "reject", {**data_of(card, "reject"), "reason": "Duplicate of the invoice we already "
                                                                                "have"})
            continue
        if "approve" in offered:
            await click(clerk, "approve", data_of(card, "approve"))
            continue
        assert "escalate" in offered, (name, card_text(card))
        target = _escalate_choice(card)
        asked[name] = [target]
        await click(clerk, "escalate", {**data_of(card, "escalate"), "approver": target})
    await bot.idle()

    # ---- the approvers decide what was escalated to them, from the cards in their 1:1 chats
    service = client.server.app[SERVICE]
    for name in asked:
        inv_id = await _id_of(service, name)
        view = await service.view("tenant-contoso", inv_id)
        approver = BO if view["escalated_to"]["id"] == BO.aad else DEE
        card = await click(approver, "refresh", {"invoice_id": inv_id})
        data = data_of(card, "approve")
        if name == bank_file:
            data.update(callback_confirmed="true", callback_note="Called the vendor's AP desk on the number in "
                                                                 "our vendor file; they confirmed the new account")
        done = await click(approver, "approve", data)
        assert "Approved by" in card_text(done), card_text(done)
    await bot.idle()

    # ---- final states, who was asked
    async with service.db.read() as s:
        rows = {r.filename: r for r in (await s.execute(select(Invoice))).scalars()}
        events = (await s.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars().all()
    assert len(rows) == 50
    states = Counter(r.state for r in rows.values())
    assert states["rejected"] == 1 and rows["resent.pdf"].state == "rejected"
    assert rows["resent.pdf"].duplicate_of == rows[dup_of].id
    assert states["approved"] + states["auto_approved"] == 49, states
    assert states["auto_approved"] >= 10, "clean small invoices from master vendors go through on their own"
    assert rows[over_file].gate_level == "L2" and rows[over_file].escalated_to_id == BO.aad, \
        "18,000 EUR is above Dee's 10,000 EUR: only Bo's limit covers it"
    assert rows[over_file].decided_by_id == BO.aad
    assert rows[bank_file].gate_level == "L3" and rows[bank_file].state == "approved"
    assert rows[bank_file].escalated_to_id in (BO.aad, DEE.aad)
    bank_events = [e.action for e in events if e.invoice_id == rows[bank_file].id]
    assert "callback_confirmed" in bank_events and bank_events[-1] == "approved"
    assert set(asked) == {over_file, bank_file}, asked
    # the approvers were messaged in their own 1:1 chats
    to_approvers = [a for a in connector.sent if a.get("conversation", {}).get("id") in (
        f"a:personal-{BO.aad}", f"a:personal-{DEE.aad}") and a.get("attachments")]
    assert len(to_approvers) >= 2
    # every clerk worked: each uploaded and at least one decided
    uploaders = Counter(r.uploaded_by_id for r in rows.values())
    assert set(uploaders) == {c.aad for c in CLERKS}

    # ---- and the audit verifies, with the real CLI
    run = subprocess.run([sys.executable, "-m", "invoice_capture.cli", "audit", "verify"], env=env,
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "intact" in run.stdout


def _invoice_id(card: dict[str, Any]) -> str:
    for verb in ("approve", "reopen", "reject", "escalate", "refresh"):
        if verb in verbs(card):
            return str(data_of(card, verb)["invoice_id"])
    raise AssertionError(card_text(card))


def _escalate_choice(card: dict[str, Any]) -> str:
    """The approver the card preselects (the first whose limit covers the total)."""
    choice = inputs(card)["approver"]
    return str(choice.get("value") or choice["choices"][0]["value"])


async def _id_of(service: Any, filename: str) -> str:
    async with service.db.read() as s:
        return (await s.execute(select(Invoice.id).where(Invoice.filename == filename))).scalar_one()
