"""Status and summaries for managers: what is waiting, what was decided, how fast.

Plain dicts out (the card builders in cards/reports.py render them), computed from the invoices table and the
audit trail. Periods are calendar periods in UTC: "today", "this week" (from Monday), "this month".
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import case, distinct, func, null, select

from invoice_capture.extraction.usage import engine_usage
from invoice_capture.review.checks import normalise_number
from invoice_capture.review.vendors import normalize_name
from invoice_capture.review.view import summary_row
from invoice_capture.review.workflow import WAITING
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import AuditEvent, Invoice, utcnow

PERIODS = ("today", "this week", "this month")

TOP = 10
"""Vendors and people listed in a summary (the busiest); the card shows fewer, the count of all is given too."""

ANALYSED_ACTIONS = ("gated", "auto_approved", "reopened", "edited", "approved", "rejected", "escalated", "failed")
"""Audit actions the summary reads row by row. "received" is read from the invoices (its actor is the uploader),
"extracted" is only counted (in SQL); reminders, retries and exports change no figure. Leaving the two most
frequent actions out keeps a busy month to a fraction of its events."""
DECISION_ACTIONS = ("approved", "auto_approved", "rejected", "reopened")
PERSON_ACTIONS = ("approved", "rejected", "escalated", "reopened", "edited")
FLOW_OUTCOMES = {"approved": "approved", "auto_approved": "approved", "rejected": "rejected",
                 "escalated": "escalated"}
NOT_FIELDS = frozenset({"state"})
"""Keys of an "edited" event that are bookkeeping, not a corrected field (the contract has none today)."""
SYSTEM_ID = "system"
"""The actor id of everything the service does by itself (audit events, auto-approvals)."""
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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


async def summary(db: Database, tenant_id: str, period: str = "this week", now: dt.datetime | None = None, *,
                  top: int = TOP) -> dict[str, Any]:
    """A period in numbers for a manager: volumes, which vendors and which people, and how far the automation is
    trusted (auto-approvals reopened, fields people had to correct, failures).

    Four queries whatever the volume: the invoices received in the period, the invoices decided in it, the
    period's decision-like audit events joined to their invoice (for the vendor), and a count of the invoices read.
    Everything else is counted here in Python, so the arithmetic is the same on SQLite and PostgreSQL (no dialect
    date or JSON functions, no query per invoice).

    The original keys (received, approved, rejected, failed, totals, median) still come from the invoices' current
    state, as before. The analytics come from the audit trail, which says what happened when, even for invoices
    that have moved on since (an auto-approval reopened later, a failure retried).
    """
    start, end = period_bounds(period, now)
    # Core statements on the session's connection: plain rows without the ORM's per-row bookkeeping (a busy month
    # is tens of thousands of events). Decoding is the other cost (JSON, and on SQLite every timestamp is parsed
    # from text), so an event brings its changes only when they are read ("edited", "gated") and its time only
    # when it is charted (the flow's outcomes).
    changes = case((AuditEvent.action.in_(("edited", "gated")), AuditEvent.changes), else_=null())
    when = case((AuditEvent.action.in_(tuple(FLOW_OUTCOMES)), AuditEvent.at), else_=null())
    async with db.read() as s:
        conn = await s.connection()
        received = (await conn.execute(
            select(Invoice.id, Invoice.state, Invoice.vendor_name, Invoice.received_at, Invoice.total,
                   Invoice.currency, Invoice.uploaded_by_id, Invoice.uploaded_by_name)
            .where(Invoice.tenant_id == tenant_id, Invoice.received_at >= start, Invoice.received_at < end)
            .order_by(Invoice.received_at))).all()
        # decided by a person: an auto-approval is stamped with decided_at too, and its seconds would hide how long
        # invoices wait for people (the automation has its own figures below)
        decided = (await conn.execute(
            select(Invoice.id, Invoice.state, Invoice.vendor_name, Invoice.received_at, Invoice.decided_at)
            .where(Invoice.tenant_id == tenant_id, Invoice.decided_at >= start, Invoice.decided_at < end,
                   Invoice.decided_by_id != SYSTEM_ID))).all()
        events = [_Event(*row) for row in (await conn.execute(
            select(AuditEvent.invoice_id, AuditEvent.actor_id, AuditEvent.actor_name, AuditEvent.action, changes,
                   when, Invoice.vendor_name)
            .outerjoin(Invoice, Invoice.id == AuditEvent.invoice_id)
            .where(AuditEvent.tenant_id == tenant_id, AuditEvent.at >= start, AuditEvent.at < end,
                   AuditEvent.action.in_(ANALYSED_ACTIONS))
            .order_by(AuditEvent.seq))).all()]
        extracted = (await conn.execute(
            select(func.count(distinct(AuditEvent.invoice_id)))
            .where(AuditEvent.tenant_id == tenant_id, AuditEvent.at >= start, AuditEvent.at < end,
                   AuditEvent.action == "extracted"))).scalar_one()

    totals: dict[str, float] = {}
    for inv in received:
        if inv.total is not None and inv.state != "failed":
            cur = inv.currency or "?"
            totals[cur] = round(totals.get(cur, 0.0) + float(inv.total), 2)
    waits = [(inv.decided_at - inv.received_at).total_seconds() for inv in decided]
    ids_of = _invoice_ids_by_action(events)
    auto, reopened = ids_of["auto_approved"], _reopened_after_auto(events)
    corrected = Counter(name for ev in events if ev.action == "edited" for name in _corrected_fields(ev.changes))
    failures = len({inv.id for inv in received} & ids_of["failed"])
    vendors, people = _by_vendor(received, decided, events), _by_clerk(received, events)
    return {
        "period": period, "from": start.date().isoformat(), "to": (end - dt.timedelta(seconds=1)).date().isoformat(),
        "received": len(received),
        "approved": sum(1 for inv in decided if inv.state == "approved"),
        "rejected": sum(1 for inv in decided if inv.state == "rejected"),
        "escalated": len(ids_of["escalated"]),
        "failed": sum(1 for inv in received if inv.state == "failed"),
        "totals_by_currency": dict(sorted(totals.items())),
        "median_decision_s": statistics.median(waits) if waits else None,
        # analytics from the audit trail
        "auto_approved": len(auto),
        "auto_approved_reopened": len(reopened),
        "override_rate": _ratio(len(reopened), len(auto)),
        "extracted": extracted,
        "fields_corrected": sum(corrected.values()),
        "fields_corrected_per_invoice": _ratio(sum(corrected.values()), extracted),
        "corrected_by_field": dict(sorted(corrected.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
        "failures": failures,
        "error_rate": _ratio(failures, len(received)),
        "by_level": _by_level(events),
        "vendors": len(vendors),
        "by_vendor": vendors[:top],
        "people": len(people),
        "by_clerk": people[:top],
        "flow_unit": "hour" if period == "today" else "day",
        "flow": _flow(period, start, received, events),
    }


# ---------------------------------------------------------------------------------------------- analytics helpers


class _Event(NamedTuple):
    """The columns of an audit event the analytics read, and the vendor of its invoice (None without one).

    ``changes`` is only loaded for "edited" and "gated" events and ``at`` only for the flow's outcomes (None
    otherwise): see ``summary``.
    """

    invoice_id: str
    actor_id: str
    actor_name: str
    action: str
    changes: Any
    at: dt.datetime | None
    vendor_name: str | None


def _ratio(part: int, whole: int) -> float | None:
    """part / whole rounded for display, or None when there is nothing to divide by (no rate, rather than 0%)."""
    return round(part / whole, 4) if whole else None


def _invoice_ids_by_action(events: list[_Event]) -> dict[str, set[str]]:
    """Distinct invoices per action: an invoice escalated twice in a week is one escalated invoice."""
    out: dict[str, set[str]] = {action: set() for action in ANALYSED_ACTIONS}
    for ev in events:
        if ev.invoice_id:
            out[ev.action].add(ev.invoice_id)
    return out


def _reopened_after_auto(events: list[_Event]) -> set[str]:
    """Invoices auto-approved in the period and reopened by a person after that: the overrides of the automation.

    Counting only reopens of the period's own auto-approvals keeps the rate a share (0..1) of what the automation
    decided in the period; events arrive in chain order, so "after" is exact.
    """
    auto: set[str] = set()
    reopened: set[str] = set()
    for ev in events:
        if ev.action == "auto_approved":
            auto.add(ev.invoice_id)
        elif ev.action == "reopened" and ev.invoice_id in auto:
            reopened.add(ev.invoice_id)
    return reopened


def _corrected_fields(changes: Any) -> list[str]:
    """The field names an "edited" event corrected: one key per field ({name: [before, after]})."""
    if not isinstance(changes, dict):
        return []
    return [str(name) for name in changes if name not in NOT_FIELDS]


def _by_level(events: list[_Event]) -> dict[str, int]:
    """Invoices per HITL gate level, by the last "gated" event of each invoice in the period (a re-gate after an
    edit replaces the first verdict)."""
    level_of: dict[str, str] = {}
    for ev in events:
        if ev.action != "gated" or not isinstance(ev.changes, dict):
            continue
        level = ev.changes.get("level")
        after = level[-1] if isinstance(level, list) and level else level
        if isinstance(after, str) and after:
            level_of[ev.invoice_id] = after
    return dict(sorted(Counter(level_of.values()).items()))


def _final_decisions(events: list[_Event]) -> dict[str, _Event]:
    """Each invoice's last decision in the period: approved, auto_approved, rejected, or reopened (undecided)."""
    last: dict[str, _Event] = {}
    for ev in events:
        if ev.invoice_id and ev.action in DECISION_ACTIONS:
            last[ev.invoice_id] = ev
    return last


def _vendor_key(name: str | None) -> str:
    """Spelling, spacing and legal-form differences ("Contoso  Ltd" / "CONTOSO" / "Contoso Limited") are one
    vendor, by the same rule the duplicate checks and the vendor master use."""
    return normalize_name(name or "")


def _by_vendor(received: Sequence[Any], decided: Sequence[Any], events: list[_Event]) -> list[dict[str, Any]]:
    """Per vendor: received, approved (by people or automatically), rejected, still waiting, totals per currency
    and the median time to a person's decision (``decided`` holds people's decisions only); busiest first.

    "waiting" counts the period's invoices that still wait for a person now; "approved"/"rejected" count each
    invoice's final decision in the period, so a reopened auto-approval that was then rejected counts once, as a
    rejection.
    """
    rows: dict[str, dict[str, Any]] = {}
    spellings: dict[str, Counter[str]] = {}

    def row(name: str | None) -> dict[str, Any]:
        key = _vendor_key(name)
        spellings.setdefault(key, Counter())[" ".join((name or "").split())] += 1
        return rows.setdefault(key, {"received": 0, "approved": 0, "rejected": 0, "waiting": 0, "totals": {},
                                     "waits": []})

    for inv in received:
        r = row(inv.vendor_name)
        r["received"] += 1
        r["waiting"] += inv.state in WAITING
        if inv.total is not None and inv.state != "failed":
            cur = inv.currency or "?"
            r["totals"][cur] = round(r["totals"].get(cur, 0.0) + float(inv.total), 2)
    for ev in _final_decisions(events).values():
        r = row(ev.vendor_name)
        r["approved"] += ev.action in ("approved", "auto_approved")
        r["rejected"] += ev.action == "rejected"
    for inv in decided:
        row(inv.vendor_name)["waits"].append((inv.decided_at - inv.received_at).total_seconds())
    out = []
    for key, r in rows.items():
        # the most frequent spelling names the vendor; ties go to the alphabetically first, so output is stable
        name = min(spellings[key].items(), key=lambda kv: (-kv[1], kv[0]))[0] if key else None
        waits = r.pop("waits")
        out.append({"vendor": name, **r, "totals": dict(sorted(r["totals"].items())),
                    "median_decision_s": statistics.median(waits) if waits else None})
    out.sort(key=lambda v: (-v["received"], -(v["approved"] + v["rejected"]), v["vendor"] is None,
                            _vendor_key(v["vendor"])))
    return out


def _by_clerk(received: Sequence[Any], events: list[_Event]) -> list[dict[str, Any]]:
    """Per person (not the system): invoices uploaded, decided (approved + rejected), escalated, auto-approvals
    reopened, and fields corrected; the most active first. Keyed by the Entra id, named by their latest name."""
    rows: dict[str, dict[str, Any]] = {}

    def row(actor_id: str, name: str) -> dict[str, Any]:
        r = rows.setdefault(actor_id, {"id": actor_id, "name": actor_id, "received": 0, "decided": 0,
                                       "approved": 0, "rejected": 0, "escalated": 0, "reopened": 0,
                                       "fields_corrected": 0})
        if name:
            r["name"] = name
        return r

    for inv in received:  # the "received" event's actor is the uploader, as stored on the invoice
        if inv.uploaded_by_id and inv.uploaded_by_id != SYSTEM_ID:
            row(inv.uploaded_by_id, inv.uploaded_by_name)["received"] += 1
    for ev in events:
        if not ev.actor_id or ev.actor_id == SYSTEM_ID or ev.action not in PERSON_ACTIONS:
            continue
        r = row(ev.actor_id, ev.actor_name)
        if ev.action == "edited":
            r["fields_corrected"] += len(_corrected_fields(ev.changes))
        else:
            r[ev.action] += 1
            r["decided"] += ev.action in ("approved", "rejected")
    return sorted(rows.values(), key=lambda r: (-(r["received"] + r["decided"] + r["escalated"] + r["reopened"]),
                                                -r["fields_corrected"], r["name"].casefold(), r["id"]))


def flow_buckets(period: str, start: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """(start, label) of each bar of the flow chart: hours for "today", Monday..Sunday for "this week", every
    day of the month for "this month" (future ones included, so the chart's axis is the whole period)."""
    if period == "today":
        return [(start + dt.timedelta(hours=h), f"{h:02d}") for h in range(24)]
    if period == "this week":
        return [(start + dt.timedelta(days=d), WEEKDAYS[d]) for d in range(7)]
    next_month = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return [(start + dt.timedelta(days=d), str(d + 1)) for d in range((next_month - start).days)]


def _flow(period: str, start: dt.datetime, received: Sequence[Any], events: list[_Event]) -> list[dict[str, Any]]:
    """Per bucket: invoices received, approved (by people or automatically), rejected and escalated then.

    Each invoice counts once per bucket and outcome; an invoice auto-approved on Monday and rejected after a
    reopen on Tuesday shows on both days, as it happened.
    """
    buckets = flow_buckets(period, start)
    step = dt.timedelta(hours=1) if period == "today" else dt.timedelta(days=1)
    rows = [{"start": at.isoformat(), "label": label, "received": 0, "approved": 0, "rejected": 0, "escalated": 0}
            for at, label in buckets]

    def index(at: dt.datetime) -> int | None:
        i = int((at - start) // step)
        return i if 0 <= i < len(rows) else None

    for inv in received:
        i = index(inv.received_at)
        if i is not None:
            rows[i]["received"] += 1
    seen: set[tuple[int, str, str]] = set()
    for ev in events:
        outcome = FLOW_OUTCOMES.get(ev.action)
        i = index(ev.at) if outcome and ev.at else None
        if outcome is None or i is None or (i, outcome, ev.invoice_id) in seen:
            continue
        seen.add((i, outcome, ev.invoice_id))
        rows[i][outcome] += 1
    return rows


async def find_by_number(db: Database, tenant_id: str, number: str) -> Invoice | None:
    """The newest invoice whose number matches what a manager typed (normalised, so "inv 0042" finds INV-42)."""
    async with db.read() as s:
        rows = await repo.find_by_number(s, tenant_id, normalise_number(number))
        if not rows:
            rows = (await s.execute(select(Invoice).where(Invoice.tenant_id == tenant_id,
                                                          Invoice.filename == number))).scalars().all()
    return rows[-1] if rows else None
