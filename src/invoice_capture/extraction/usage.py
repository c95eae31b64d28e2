"""The usage log: every engine call, stored, and the month-to-date cost and speed per engine for ``status``.

Azure bills per page analysed, so the number a manager wants is pages this month per tenant; speed and failures
per engine tell whether the chain's threshold is paying for itself. Rows are written one per call in their own
short transaction (a call is seconds; a row is nothing next to it) and read back aggregated.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from invoice_capture.extraction.chain import EngineCall
from invoice_capture.store.db import Database
from invoice_capture.store.models import EngineCallRecord, utcnow


def month_start(now: dt.datetime) -> dt.datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class UsageLog:
    """A ``Recorder`` for the chain that writes to the service's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, tenant_id: str, file: str, call: EngineCall) -> None:
        async with self.db.write() as s:
            s.add(EngineCallRecord(tenant_id=tenant_id or "", file=file[:300], engine=call.engine[:20],
                                   model=call.model[:100], duration_ms=round(call.duration_s * 1000),
                                   pages=call.pages, outcome=call.outcome[:40]))


async def engine_usage(db: Database, tenant_id: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Month-to-date per engine: calls, failed calls, pages (billed pages for Azure), median and p95 seconds."""
    now = now or utcnow()
    start = month_start(now)
    async with db.read() as s:
        rows = (await s.execute(select(EngineCallRecord.engine, EngineCallRecord.duration_ms,
                                       EngineCallRecord.pages, EngineCallRecord.outcome).where(
            EngineCallRecord.tenant_id == tenant_id, EngineCallRecord.at >= start))).all()
    by_engine: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_engine[row.engine].append(row)
    engines = {}
    for engine, calls in sorted(by_engine.items()):
        secs = sorted(c.duration_ms / 1000 for c in calls)
        engines[engine] = {
            "calls": len(calls), "failed": sum(1 for c in calls if c.outcome != "ok"),
            "pages": sum(c.pages for c in calls), "median_s": round(statistics.median(secs), 2),
            "p95_s": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))], 2)}
    return {"since": start.date().isoformat(), "engines": engines}
