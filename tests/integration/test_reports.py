"""The manager's summary on real databases (SQLite and PostgreSQL): per vendor, per person, automation overrides,
corrections, failures, gate levels and the flow per day, from invoices and the hash-chained audit trail.

One fixed week (Mon 16 - Sun 22 Nov 2026) is written through ``chain.append`` with a controlled clock, and
``summary`` is asked with ``now=``, so the periods never depend on when the test runs. The expected numbers are
worked out by hand in the comments of ``scenario``, independently of the implementation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from cards import summary_card
from cards.common import CARD_BUDGET, card_size
from invoice_capture import reports
from invoice_capture.audit import chain
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import Invoice
from tests.cardschema import assert_valid_card, nodes

T = "acme"
OTHER = "globex"
SYSTEM = ("system", "Invoice bot")
ANN = ("ann-oid", "Ann Clerk")
BO = ("bo-oid", "Bo Approver")
CY = ("cy-oid", "Cy Reviewer")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in November 2026 (UTC); the 16th is a Monday."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


MON, TUE, WED, THU, FRI, SUN_BEFORE = 16, 17, 18, 19, 20, 15
NOW = at(FRI, 15)


class Clock:
    """What ``chain.append`` believes the time is: each event is stamped when the scenario says it happened."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    clock = Clock()
    monkeypatch.setattr(chain, "utcnow", clock)
    database = Database(db_url)
    await database.migrate()
    await scenario(database, clock)
    yield database
    await database.close()


class Writer:
    """Inserts invoices and appends their events in one transaction."""

    def __init__(self, session: Any, clock: Clock) -> None:
        self.s, self.clock = session, clock

    async def invoice(self, *, uploader: tuple[str, str], received: dt.datetime, state: str, vendor: str = "",
                      total: str | None = None, currency: str = "", decided: dt.datetime | None = None,
                      decided_by: str = "", tenant: str = T) -> str:
        invoice_id = str(uuid.uuid4())
        self.s.add(Invoice(id=invoice_id, tenant_id=tenant, state=state, filename=f"{invoice_id[:8]}.pdf",
                           content_sha256=uuid.uuid4().hex * 2, uploaded_by_id=uploader[0],
                           uploaded_by_name=uploader[1], received_at=received, vendor_name=vendor,
                           total=Decimal(total) if total is not None else None, currency=currency,
                           decided_at=decided, decided_by_id=decided_by))
        await self.s.flush()
        await self.event(received, "received", invoice_id, uploader, {"filename": [None, "x.pdf"]}, tenant=tenant)
        return invoice_id

    async def event(self, when: dt.datetime, action: str, invoice_id: str, actor: tuple[str, str] = SYSTEM,
                    changes: dict[str, Any] | None = None, *, tenant: str = T) -> None:
        self.clock.now = when
        await chain.append(self.s, tenant_id=tenant, invoice_id=invoice_id, action=action, actor_id=actor[0],
                           actor_name=actor[1], changes=changes)

    async def read(self, when: dt.datetime, invoice_id: str, level: str, state: str = "needs_review") -> None:
        """Extracted, then gated at ``level`` one minute later."""
        await self.event(when, "extracted", invoice_id, changes={"state": ["extracting", state]})
        await self.event(when + dt.timedelta(minutes=1), "gated", invoice_id,
                         changes={"level": [None, level], "reasons": [None, ["because"]]})


AUTO = {"state": ["extracting", "auto_approved"]}


async def scenario(db: Database, clock: Clock) -> None:
    """The week, invoice by invoice (events of one invoice in time order, as the service writes them).

    Expected for "this week" with now = Fri 20 Nov 15:00:
      received 7 (c1 c2 c3 f1 f2 x1 x2); people's decisions in the week: c1 approved, old approved, c2 rejected;
      auto-approved 3 (c2 c3 x2), of which c2 reopened -> 1/3; extracted 6; fields corrected 3 (c1: 2, c2: 1)
      -> 0.5 per invoice; failed at least once 2 (x1, x2 retried) of 7 received; levels L0 1, L1 2, L2 2, L3 1.
    """
    async with db.write() as s:
        await repo.ensure_tenant(s, T)
        await repo.ensure_tenant(s, OTHER)
        w = Writer(s, clock)
        # last week's Contoso invoice, auto-approved on Sunday, reopened and approved by Bo on Monday
        old = await w.invoice(uploader=ANN, received=at(SUN_BEFORE, 20), state="approved", vendor="Contoso Ltd",
                              total="40.00", currency="EUR", decided=at(MON, 8, 30), decided_by=BO[0])
        await w.read(at(SUN_BEFORE, 20, 1), old, "L1", "auto_approved")
        await w.event(at(SUN_BEFORE, 20, 2), "auto_approved", old, changes=AUTO)
        await w.event(at(MON, 8), "reopened", old, BO, {"state": ["auto_approved", "needs_review"]})
        await w.event(at(MON, 8, 30), "approved", old, BO, {"state": ["needs_review", "approved"]})
        # c1: Contoso, two fields corrected by Cy, approved by Bo two hours after it arrived
        c1 = await w.invoice(uploader=ANN, received=at(MON, 9), state="approved", vendor="Contoso Ltd",
                             total="100.00", currency="EUR", decided=at(MON, 11), decided_by=BO[0])
        await w.read(at(MON, 9, 1), c1, "L2")
        await w.event(at(MON, 10), "edited", c1, CY, {"InvoiceTotal": [110.0, 100.0], "DueDate": [None, "2026-12-01"]})
        await w.event(at(MON, 11), "approved", c1, BO, {"state": ["needs_review", "approved"]})
        # c2: Contoso, auto-approved, reopened by Cy (an override), IBAN corrected, rejected by Cy
        c2 = await w.invoice(uploader=ANN, received=at(TUE, 9), state="rejected", vendor="Contoso Ltd",
                             total="50.00", currency="EUR", decided=at(TUE, 13), decided_by=CY[0])
        await w.read(at(TUE, 9, 1), c2, "L1", "auto_approved")
        await w.event(at(TUE, 9, 2), "auto_approved", c2, changes=AUTO)
        await w.event(at(TUE, 12), "reopened", c2, CY, {"state": ["auto_approved", "needs_review"]})
        await w.event(at(TUE, 12, 5), "edited", c2, CY, {"IBAN": ["DE00", "DE89370400440532013000"]})
        await w.event(at(TUE, 13), "rejected", c2, CY, {"state": ["needs_review", "rejected"]})
        # c3: Contoso in USD, auto-approved (stamped decided by the system) and left so
        c3 = await w.invoice(uploader=ANN, received=at(WED, 9), state="auto_approved", vendor="contoso  ltd",
                             total="200.00", currency="USD", decided=at(WED, 9, 2), decided_by="system")
        await w.read(at(WED, 9, 1), c3, "L1", "auto_approved")
        await w.event(at(WED, 9, 2), "auto_approved", c3, changes=AUTO)
        # f1: Fabrikam, uploaded by Cy, escalated by Cy to Bo, still waiting
        f1 = await w.invoice(uploader=CY, received=at(WED, 10), state="escalated", vendor="Fabrikam Inc",
                             total="75.50", currency="EUR")
        await w.read(at(WED, 10, 1), f1, "L3")
        await w.event(at(WED, 11), "escalated", f1, CY, {"state": ["needs_review", "escalated"],
                                                         "escalated_to": [None, "Bo Approver"]})
        # f2: Fabrikam spelled differently, gated L1 then re-gated L2 (the later verdict counts), waiting
        f2 = await w.invoice(uploader=ANN, received=at(THU, 8), state="needs_review", vendor="fabrikam  inc",
                             total="10.00", currency="EUR")
        await w.read(at(THU, 8, 1), f2, "L1")
        await w.event(at(THU, 8, 30), "gated", f2, changes={"level": ["L1", "L2"], "reasons": [None, ["amount"]]})
        # x1: unreadable, failed
        x1 = await w.invoice(uploader=ANN, received=at(THU, 9), state="failed")
        await w.event(at(THU, 9, 1), "failed", x1, changes={"state": ["extracting", "failed"]})
        # x2: failed, retried, then read (Northwind) and auto-approved at L0
        x2 = await w.invoice(uploader=ANN, received=at(THU, 10), state="auto_approved", vendor="Northwind",
                             total="30.00", currency="GBP", decided=at(THU, 10, 31), decided_by="system")
        await w.event(at(THU, 10, 1), "failed", x2, changes={"state": ["extracting", "failed"]})
        await w.event(at(THU, 10, 20), "retried", x2, ANN, {"state": ["failed", "received"]})
        await w.read(at(THU, 10, 30), x2, "L0", "auto_approved")
        await w.event(at(THU, 10, 31), "auto_approved", x2, changes=AUTO)
        # next week (after now): must not count
        late = await w.invoice(uploader=ANN, received=at(23, 9), state="needs_review", vendor="Contoso Ltd")
        await w.event(at(23, 10), "approved", late, BO)
        # another organisation: nothing of it may show
        g = await w.invoice(uploader=("g-oid", "Gil Other"), received=at(TUE, 9), state="approved", vendor="Initech",
                            total="999.00", currency="EUR", decided=at(TUE, 10), tenant=OTHER)
        await w.event(at(TUE, 9, 2), "auto_approved", g, tenant=OTHER)
        await w.event(at(TUE, 9, 5), "reopened", g, ("g-oid", "Gil Other"), tenant=OTHER)
        await w.event(at(TUE, 9, 6), "edited", g, ("g-oid", "Gil Other"), {"InvoiceId": ["1", "2"]}, tenant=OTHER)


async def test_week_totals_and_original_keys(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert (s["from"], s["to"]) == ("2026-11-16", "2026-11-20")
    assert (s["received"], s["approved"], s["rejected"], s["escalated"], s["failed"]) == (7, 2, 1, 1, 1)
    assert s["totals_by_currency"] == {"EUR": 235.5, "GBP": 30.0, "USD": 200.0}
    # decided by people in the week: c1 2 h, c2 4 h, old 12.5 h (the auto-approvals' minutes are not a wait)
    assert s["median_decision_s"] == 4 * 3600


async def test_override_rate_counts_reopened_auto_approvals_of_the_period(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert (s["auto_approved"], s["auto_approved_reopened"]) == (3, 1)
    assert s["override_rate"] == pytest.approx(1 / 3, abs=1e-4)
    # over the month, last Sunday's auto-approval and its Monday reopen are inside the period too
    month = await reports.summary(db, T, "this month", now=NOW)
    assert (month["auto_approved"], month["auto_approved_reopened"], month["override_rate"]) == (4, 2, 0.5)


async def test_no_auto_approvals_means_no_override_rate(db: Database) -> None:
    monday = await reports.summary(db, T, "today", now=at(MON, 23))
    assert monday["auto_approved"] == 0 and monday["override_rate"] is None


async def test_fields_corrected_per_invoice_and_error_rate(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert (s["fields_corrected"], s["extracted"]) == (3, 6)
    assert s["fields_corrected_per_invoice"] == 0.5
    assert s["corrected_by_field"] == {"DueDate": 1, "IBAN": 1, "InvoiceTotal": 1}
    assert s["failures"] == 2, "x2 failed and was retried: it still counts as a failure"
    assert s["error_rate"] == pytest.approx(2 / 7, abs=1e-4)


async def test_gate_levels_take_each_invoices_last_verdict(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert s["by_level"] == {"L0": 1, "L1": 2, "L2": 2, "L3": 1}


async def test_by_vendor(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert s["vendors"] == 4
    contoso, fabrikam, northwind, unknown = s["by_vendor"]
    assert contoso == {"vendor": "Contoso Ltd", "received": 3, "approved": 3, "rejected": 1, "waiting": 0,
                       "totals": {"EUR": 150.0, "USD": 200.0}, "median_decision_s": 4 * 3600}
    assert fabrikam == {"vendor": "Fabrikam Inc", "received": 2, "approved": 0, "rejected": 0, "waiting": 2,
                        "totals": {"EUR": 85.5}, "median_decision_s": None}
    assert (northwind["vendor"], northwind["received"], northwind["approved"], northwind["totals"]) == \
        ("Northwind", 1, 1, {"GBP": 30.0})
    assert (unknown["vendor"], unknown["received"], unknown["totals"]) == (None, 1, {})
    top2 = await reports.summary(db, T, "this week", now=NOW, top=2)
    assert [v["vendor"] for v in top2["by_vendor"]] == ["Contoso Ltd", "Fabrikam Inc"] and top2["vendors"] == 4


async def test_by_clerk(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert s["people"] == 3
    ann, cy, bo = s["by_clerk"]
    assert ann == {"id": "ann-oid", "name": "Ann Clerk", "received": 6, "decided": 0, "approved": 0, "rejected": 0,
                   "escalated": 0, "reopened": 0, "fields_corrected": 0}
    assert cy == {"id": "cy-oid", "name": "Cy Reviewer", "received": 1, "decided": 1, "approved": 0, "rejected": 1,
                  "escalated": 1, "reopened": 1, "fields_corrected": 3}
    assert bo == {"id": "bo-oid", "name": "Bo Approver", "received": 0, "decided": 2, "approved": 2, "rejected": 0,
                  "escalated": 0, "reopened": 1, "fields_corrected": 0}
    assert all(p["id"] != "system" for p in s["by_clerk"])


async def test_flow_per_day_of_the_week(db: Database) -> None:
    s = await reports.summary(db, T, "this week", now=NOW)
    assert s["flow_unit"] == "day"
    assert [d["label"] for d in s["flow"]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert s["flow"][0]["start"] == "2026-11-16T00:00:00+00:00"
    assert [(d["received"], d["approved"], d["rejected"], d["escalated"]) for d in s["flow"]] == [
        (1, 2, 0, 0),  # Mon: c1 in; c1 and last week's invoice approved
        (1, 1, 1, 0),  # Tue: c2 in, auto-approved, then rejected after the reopen
        (2, 1, 0, 1),  # Wed: c3 and f1 in; c3 auto-approved; f1 escalated
        (3, 1, 0, 0),  # Thu: f2, x1, x2 in; x2 auto-approved
        (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0)]


async def test_period_ends_at_now(db: Database) -> None:
    """Asked on Wednesday 10:30, the week holds c1, c2, c3 and f1 (just in), and not f1's 11:00 escalation."""
    s = await reports.summary(db, T, "this week", now=at(WED, 10, 30))
    assert (s["received"], s["escalated"], s["auto_approved"]) == (4, 0, 2)
    assert [d["received"] for d in s["flow"]] == [1, 1, 2, 0, 0, 0, 0]


async def test_today_flows_per_hour(db: Database) -> None:
    s = await reports.summary(db, T, "today", now=at(THU, 12))
    assert s["flow_unit"] == "hour" and len(s["flow"]) == 24 and s["flow"][9]["label"] == "09"
    assert s["received"] == 3
    by_hour = {i: (d["received"], d["approved"]) for i, d in enumerate(s["flow"]) if d["received"] or d["approved"]}
    assert by_hour == {8: (1, 0), 9: (1, 0), 10: (1, 1)}
    assert s["by_level"] == {"L0": 1, "L2": 1}


async def test_month_flow_has_every_day(db: Database) -> None:
    s = await reports.summary(db, T, "this month", now=NOW)
    assert [d["label"] for d in s["flow"]] == [str(d) for d in range(1, 31)]
    assert s["received"] == 8 and s["flow"][SUN_BEFORE - 1]["received"] == 1
    assert sum(d["approved"] for d in s["flow"]) == 6  # Sunday's auto-approval, then the week's five


async def test_other_tenants_and_empty_tenants(db: Database) -> None:
    other = await reports.summary(db, OTHER, "this week", now=NOW)
    assert [(v["vendor"], v["received"], v["approved"]) for v in other["by_vendor"]] == [("Initech", 1, 0)], \
        "an auto-approval reopened and not yet decided again is not approved"
    assert [p["name"] for p in other["by_clerk"]] == ["Gil Other"] and other["override_rate"] == 1.0
    empty = await reports.summary(db, "nobody", "this week", now=NOW)
    assert empty["received"] == 0 and empty["by_vendor"] == [] and empty["by_clerk"] == []
    assert empty["override_rate"] is None and empty["error_rate"] is None
    assert empty["fields_corrected_per_invoice"] is None and empty["by_level"] == {}
    assert all(d["received"] == 0 for d in empty["flow"]) and len(empty["flow"]) == 7


@pytest.mark.parametrize(("period", "override", "vendor"), [
    ("today", "The auto-approved invoice was not reopened (0%).", "Northwind"),
    ("this week", "1 of 3 auto-approved invoices were reopened (33%).", "Contoso Ltd"),
    ("this month", "2 of 4 auto-approved invoices were reopened (50%).", "Contoso Ltd"),
])
async def test_the_summary_renders_as_a_card_with_its_chart(db: Database, period: str, override: str,
                                                            vendor: str) -> None:
    """From the database to the card Teams would get, asked on Thursday at noon."""
    card = summary_card(await reports.summary(db, T, period, now=at(THU, 12)))
    assert_valid_card(card)
    assert card_size(card) <= CARD_BUDGET
    images = [n for n in nodes(card) if n.get("type") == "Image"]
    assert len(images) == 1 and images[0]["url"].startswith("data:image/png;base64,")
    shown = [str(n.get("text")) for n in nodes(card) if "text" in n]
    assert override in shown and vendor in shown and "Ann Clerk" in shown
