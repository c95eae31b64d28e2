"""Answers to "status", "pending [vendor]" and "summary [period]"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cards.common import (
    STATE_WORDS,
    card,
    execute,
    fact_set,
    format_amount,
    format_date,
    format_duration,
    text,
    truncate,
)

ALWAYS_SHOWN = ("needs_review", "escalated", "failed")
"""States a manager asks about even when the count is zero (zero is the good news)."""
STATE_ORDER = (*ALWAYS_SHOWN, "received", "extracting", "auto_approved", "approved", "rejected", "exported")

MAX_PENDING_ROWS = 15
"""Rows in the pending table: a table row with its action is ~1 KB, and Teams rejects cards over 28 KB."""


def _state_words(state: str) -> str:
    return STATE_WORDS.get(state, str(state).replace("_", " ").capitalize())


def status_card(status: Mapping[str, Any]) -> dict:
    """Counts by state, the total, and the oldest invoice still waiting with a button to open it."""
    counts: Mapping[str, Any] = status.get("counts") or {}
    order = [*STATE_ORDER, *sorted(s for s in counts if s not in STATE_ORDER)]
    facts = [(_state_words(s), str(counts.get(s) or 0)) for s in order if s in ALWAYS_SHOWN or counts.get(s)]
    total = status.get("total")
    if total is None:
        total = sum(int(v or 0) for v in counts.values())
    body = [text("Invoice status", size="medium", weight="bolder"),
            text(f"{total} invoice{'s' if total != 1 else ''} in total", subtle=True, spacing="small"),
            fact_set(facts)]
    actions = []
    oldest = status.get("oldest_waiting")
    if oldest:
        number = oldest.get("invoice_number") or "an invoice without a number"
        vendor = f" from {truncate(oldest['vendor'], 60)}" if oldest.get("vendor") else ""
        since = f", waiting since {format_date(oldest['since'])}" if oldest.get("since") else ""
        body.append(text(f"Oldest waiting: {truncate(number, 60)}{vendor}{since}", spacing="medium",
                         weight="bolder", limit=300))
        if oldest.get("id"):
            actions.append(execute("Open oldest", "show", {"invoice_id": oldest["id"]}))
    elif not counts.get("needs_review") and not counts.get("escalated"):
        body.append(text("Nothing is waiting.", color="good", spacing="medium"))
    body.extend(_engine_usage(status.get("extraction") or {}))
    return card(body, actions, fallback_text=f"{total} invoices")


ENGINE_NAMES = {"local": "Local engine", "einvoice": "E-invoice data", "azure": "Azure Document Intelligence"}


def _engine_usage(usage: Mapping[str, Any]) -> list[dict]:
    """Reading this month, per engine: calls, pages (Azure bills per page), failures and speed."""
    engines: Mapping[str, Any] = usage.get("engines") or {}
    if not engines:
        return []
    facts = []
    for name, u in engines.items():
        failed = f", {u['failed']} failed" if u.get("failed") else ""
        facts.append((ENGINE_NAMES.get(name, str(name)),
                      f"{u.get('calls', 0)} calls, {u.get('pages', 0)} pages{failed}; median "
                      f"{float(u.get('median_s') or 0):.1f} s"))
    since = f" since {format_date(usage['since'])}" if usage.get("since") else ""
    return [text(f"Reading this month{since}", weight="bolder", spacing="medium"), fact_set(facts)]


def _cell(items: list[dict], action: dict | None = None) -> dict:
    cell: dict[str, Any] = {"type": "TableCell", "items": items}
    if action:
        cell["selectAction"] = action
    return cell


def pending_card(rows: list[dict], *, vendor: str | None = None, more: int = 0) -> dict:
    """Invoices waiting for a decision; tapping an invoice number asks the bot to show that invoice (verb ``show``).

    The action sits on the number's cell: a TableRow has no selectAction in schema 1.5.
    """
    title = f"Waiting for a decision: {truncate(vendor, 60)}" if vendor else "Waiting for a decision"
    body: list[dict] = [text(title, size="medium", weight="bolder", limit=120)]
    shown = [r for r in rows if isinstance(r, Mapping)][:MAX_PENDING_ROWS]
    hidden = max(len(rows) - len(shown), 0) + max(int(more or 0), 0)
    if not shown:
        body.append(text(f"Nothing is waiting for {truncate(vendor, 60)}." if vendor else "Nothing is waiting.",
                         color="good", spacing="small"))
    else:
        header = {"type": "TableRow", "cells": [_cell([text(t, weight="bolder")])
                                                for t in ("Invoice", "Vendor", "Total", "Status")]}
        table_rows = [header]
        for row in shown:
            number = row.get("invoice_number") or "(no number)"
            action = None
            if row.get("id"):
                action = execute("Open", "show", {"invoice_id": row["id"]}, tooltip=f"Open {number}")
                del action["title"]
            received = format_date(row["received_at"]) if row.get("received_at") else ""
            state = row.get("state") or ""
            status = _state_words(state)
            if row.get("assignee"):
                assignee = truncate(row["assignee"], 40)
                status = f"Escalated to {assignee}" if state == "escalated" else f"{status} · {assignee}"
            table_rows.append({"type": "TableRow", "cells": [
                _cell([text(number, color="accent", weight="bolder", limit=40),
                       text(received, size="small", subtle=True, spacing="none")], action),
                _cell([text(row.get("vendor") or "—", limit=60)]),
                _cell([text(format_amount(row.get("total"), row.get("currency")), limit=40)]),
                _cell([text(status, color="accent" if state == "escalated" else None, limit=80)]),
            ]})
        body.append({"type": "Table", "firstRowAsHeader": True, "showGridLines": False,
                     "columns": [{"type": "TableColumnDefinition", "width": w} for w in (2, 3, 2, 2)],
                     "rows": table_rows})
        body.append(text("Tap an invoice number to open it.", size="small", subtle=True, spacing="small"))
    if hidden:
        body.append(text(f"and {hidden} more", subtle=True, spacing="small"))
    return card(body, fallback_text=title)


def summary_card(summary: Mapping[str, Any]) -> dict:
    """A period in numbers: received, decided, totals per currency and the median time to a decision."""
    period = summary.get("period") or "the period"
    span = ""
    if summary.get("from") and summary.get("to"):
        start, end = format_date(summary["from"]), format_date(summary["to"])
        span = start if start == end else f"{start} – {end}"
    counts = [(label, str(summary.get(key) or 0)) for key, label in (
        ("received", "Received"), ("approved", "Approved"), ("rejected", "Rejected"), ("escalated", "Escalated"),
        ("failed", "Failed"))]
    body = [text(f"Summary for {truncate(period, 40)}", size="medium", weight="bolder"),
            *([text(span, subtle=True, spacing="small")] if span else []),
            fact_set(counts)]
    totals: Mapping[str, Any] = summary.get("totals_by_currency") or {}
    if totals:
        body.append(text("Invoice totals by currency", weight="bolder", spacing="medium"))
        body.append(fact_set((str(code), format_amount(amount, str(code)))
                             for code, amount in sorted(totals.items())[:20]))
    median = summary.get("median_decision_s")
    body.append(text(f"Median time to a decision: {format_duration(median)}" if median is not None
                     else "Median time to a decision: no decisions yet", spacing="medium"))
    return card(body, fallback_text=f"Summary for {period}")
