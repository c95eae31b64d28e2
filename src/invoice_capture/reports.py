"""Status and summaries for managers: what is waiting, what was decided, how fast.

Plain dicts out (the card builders in cards/reports.py render them), computed from the invoices table and the
audit trail. Periods are calendar periods in UTC: "today", "this week" (from Monday), "this month".
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from sqlalchemy import select

from invoice_capture.extraction.usage import engine_usage
from invoice_capture.review.checks import normalise_number
from invoice_capture.review.view import summary_row
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import AuditEvent, Invoice, utcnow

PERIODS = ("today", "this week", "this month")


def period_bounds(period: str, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    now = now or utcnow()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        start = start_of_day
    elif period == "this week":
        start = start_of_day - dt.timedelta(days=now.weekday())
    elif period == "this month":
        start = start_of_day.replace(day=1)
    else:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    return start, now + dt.timedelta(seconds=1)


async def status(db: Database, tenant_id: str) -> dict[str, Any]:
    async with db.read() as s:
        counts = await repo.count_by_state(s, tenant_id)
        oldest = await repo.list_invoices(s, tenant_id, states=("needs_review", "escalated"), limit=1,
                                          oldest_first=True)
    first = oldest[0] if oldest else None
    return {"counts": counts, "total": sum(counts.values()),
            "oldest_waiting": None if first is None else {
                "id": first.id, "invoice_number": first.invoice_number or first.filename,
                "vendor": first.vendor_name, "since": first.received_at.isoformat(), "state": first.state},
            "extraction": await engine_usage(db, tenant_id)}


async def pending(db: Database, tenant_id: str, vendor: str | None = None, limit: int = 15) -> tuple[list[dict], int]:
    """Invoices waiting for a person, oldest first, and how many more there are beyond ``limit``."""
    async with db.read() as s:
        rows = await repo.list_invoices(s, tenant_id, states=("needs_review", "escalated", "failed"),
                                        vendor=vendor or None, limit=limit + 200, oldest_first=True)
    return [summary_row(r) for r in rows[:limit]], max(0, len(rows) - limit)


async def summary(db: Database, tenant_id: str, period: str = "this week",
                  now: dt.datetime | None = None) -> dict[str, Any]:
    start, end = period_bounds(period, now)
    async with db.read() as s:
        received = await repo.list_invoices(s, tenant_id, since=start, until=end, limit=100_000)
        decided = (await s.execute(select(Invoice).where(
            Invoice.tenant_id == tenant_id, Invoice.decided_at >= start, Invoice.decided_at < end))).scalars().all()
        escalations = (await s.execute(select(AuditEvent.invoice_id).where(
            AuditEvent.tenant_id == tenant_id, AuditEvent.action == "escalated", AuditEvent.at >= start,
            AuditEvent.at < end))).scalars().all()
    totals: dict[str, float] = {}
    for inv in received:
        if inv.total is not None and inv.state != "failed":
            cur = inv.currency or "?"
            totals[cur] = round(totals.get(cur, 0.0) + float(inv.total), 2)
    waits = [(inv.decided_at - inv.received_at).total_seconds() for inv in decided if inv.decided_at]
    return {
        "period": period, "from": start.date().isoformat(), "to": (end - dt.timedelta(seconds=1)).date().isoformat(),
        "received": len(received),
        "approved": sum(1 for inv in decided if inv.state == "approved"),
        "rejected": sum(1 for inv in decided if inv.state == "rejected"),
        "escalated": len(set(escalations)),
        "failed": sum(1 for inv in received if inv.state == "failed"),
        "totals_by_currency": dict(sorted(totals.items())),
        "median_decision_s": statistics.median(waits) if waits else None,
    }


async def find_by_number(db: Database, tenant_id: str, number: str) -> Invoice | None:
    """The newest invoice whose number matches what a manager typed (normalised, so "inv 0042" finds INV-42)."""
    async with db.read() as s:
        rows = await repo.find_by_number(s, tenant_id, normalise_number(number))
        if not rows:
            rows = (await s.execute(select(Invoice).where(Invoice.tenant_id == tenant_id,
                                                          Invoice.filename == number))).scalars().all()
    return rows[-1] if rows else None
