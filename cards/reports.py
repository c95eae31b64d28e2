"""Answers to "status", "pending [vendor]" and "summary [period]"."""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

from cards.common import (
    CARD_BUDGET,
    STATE_WORDS,
    card,
    card_size,
    execute,
    fact_set,
    format_amount,
    format_date,
    format_duration,
    text,
    truncate,
)
from invoice_capture.chart import flow_png

log = logging.getLogger(__name__)

ALWAYS_SHOWN = ("needs_review", "escalated", "failed")
"""States a manager asks about even when the count is zero (zero is the good news)."""
STATE_ORDER = (*ALWAYS_SHOWN, "received", "extracting", "auto_approved", "approved", "rejected", "exported")

MAX_PENDING_ROWS = 15
"""Rows in the pending table: a table row with its action is ~1 KB, and Teams rejects cards over 28 KB."""

MAX_SUMMARY_ROWS = 5
"""Vendors and people shown on the summary card: the busiest five; the rest are counted in a line below."""

OVERRIDE_WARNING = 0.2
"""An override rate from which the line turns amber: people undo one auto-approval in five, the policy needs a look."""


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
    """A period in numbers: received, decided, totals per currency and the median time to a decision; with the
    analytics keys of ``reports.summary`` also the flow chart, how far the automation was trusted (reopened
    auto-approvals, fields corrected, failures, gate levels) and the busiest vendors and people.

    The chart travels inside the card as a data URI; if the card would pass CARD_BUDGET with it, it is left out
    (the numbers are the answer, the picture is a help), and the card says so.
    """
    full = _summary_card(summary, with_chart=True)
    if card_size(full) <= CARD_BUDGET:
        return full
    return _summary_card(summary, with_chart=False, chart_dropped=True)


def _summary_card(summary: Mapping[str, Any], *, with_chart: bool, chart_dropped: bool = False) -> dict:
    period = summary.get("period") or "the period"
    span = ""
    if summary.get("from") and summary.get("to"):
        start, end = format_date(summary["from"]), format_date(summary["to"])
        span = start if start == end else f"{start} – {end}"
    counts = [(label, str(summary.get(key) or 0)) for key, label in (
        ("received", "Received"), ("approved", "Approved"), ("rejected", "Rejected"), ("escalated", "Escalated"),
        ("failed", "Failed"))]
    if "auto_approved" in summary:
        counts.insert(2, ("Approved automatically", str(summary.get("auto_approved") or 0)))
    body = [text(f"Summary for {truncate(period, 40)}", size="medium", weight="bolder"),
            *([text(span, subtle=True, spacing="small")] if span else []),
            fact_set(counts)]
    flow = summary.get("flow")
    if with_chart and isinstance(flow, list) and _has_flow(flow):
        body.extend(_chart(flow, str(summary.get("flow_unit") or "day"), span))
    elif chart_dropped:
        body.append(text("The chart was left out to keep this card within Teams' size limit.", size="small",
                         subtle=True, spacing="small"))
    body.extend(_automation(summary))
    totals: Mapping[str, Any] = summary.get("totals_by_currency") or {}
    if totals:
        body.append(text("Invoice totals by currency", weight="bolder", spacing="medium"))
        body.append(fact_set((str(code), format_amount(amount, str(code)))
                             for code, amount in sorted(totals.items())[:20]))
    median = summary.get("median_decision_s")
    body.append(text(f"Median time to a decision: {format_duration(median)}" if median is not None
                     else "Median time to a decision: no decisions yet", spacing="medium"))
    body.extend(_vendors(summary))
    body.extend(_people(summary))
    return card(body, fallback_text=f"Summary for {period}")


def _has_flow(flow: list[Any]) -> bool:
    """An all-zero chart says nothing a number would not say better."""
    return any(isinstance(row, Mapping) and any(row.get(k) for k in ("received", "approved", "rejected",
                                                                       "escalated")) for row in flow)


def _chart(flow: list[Any], unit: str, span: str) -> list[dict]:
    """The flow chart as an inline PNG, with alt text that carries the same numbers for screen readers.

    A chart that cannot be drawn (a Pillow built without FreeType refuses anchored text) costs the picture only,
    never the manager's numbers.
    """
    flow = [row for row in flow if isinstance(row, Mapping)]
    try:
        png = flow_png(flow, unit="hour" if unit == "hour" else "day")
    except (OSError, ValueError, TypeError):
        log.warning("summary chart could not be drawn", exc_info=True)
        return []
    sums = {k: sum(int(row.get(k) or 0) for row in flow) for k in ("received", "approved", "rejected", "escalated")}
    per = "hour" if unit == "hour" else "day"
    alt = (f"Invoices per {per}{f', {span}' if span else ''}: {sums['received']} received, {sums['approved']} "
           f"approved, {sums['rejected']} rejected, {sums['escalated']} escalated")
    return [{"type": "Image", "url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
             "altText": alt, "size": "stretch", "spacing": "medium"},
            text(f"Per {per} (UTC): received on the left, decided on the right.", size="small", subtle=True,
                 spacing="none")]


def _percent(rate: float) -> str:
    """0.142857 -> "14%"; small but non-zero rates keep a decimal ("0.5%") so they do not read as none."""
    pct = rate * 100
    return f"{pct:.1f}%" if 0 < pct < 1 else f"{round(pct)}%"


def override_sentence(reopened: int, auto: int) -> str:
    """The override rate in plain words: "2 of 14 auto-approved invoices were reopened (14%)"."""
    if not auto:
        return "No invoices were approved automatically in this period."
    noun = "invoice was" if auto == 1 else "invoices were"
    if not reopened:
        return ("The auto-approved invoice was not reopened (0%)." if auto == 1
                else f"None of the {auto} auto-approved invoices were reopened (0%).")
    return f"{reopened} of {auto} auto-approved {noun} reopened ({_percent(reopened / auto)})."


def _automation(summary: Mapping[str, Any]) -> list[dict]:
    """How much the automation was trusted and how good the reading was; nothing when the keys are absent."""
    if "auto_approved" not in summary:
        return []
    auto = int(summary.get("auto_approved") or 0)
    reopened = int(summary.get("auto_approved_reopened") or 0)
    blocks = [text("Automation and quality", weight="bolder", spacing="medium"),
              text(override_sentence(reopened, auto), spacing="small",
                   color="warning" if auto and reopened / auto >= OVERRIDE_WARNING else None)]
    facts: list[tuple[str, str]] = []
    per_invoice = summary.get("fields_corrected_per_invoice")
    corrected, extracted = int(summary.get("fields_corrected") or 0), int(summary.get("extracted") or 0)
    if per_invoice is not None:
        facts.append(("Fields corrected per invoice",
                      f"{per_invoice:.2f} ({corrected} field{'s' if corrected != 1 else ''} on {extracted} "
                      f"invoice{'s' if extracted != 1 else ''} read)"))
    fields: Mapping[str, Any] = summary.get("corrected_by_field") or {}
    if fields:
        facts.append(("Most corrected", ", ".join(f"{name} {n}" for name, n in list(fields.items())[:3])))
    rate = summary.get("error_rate")
    if rate is not None:
        facts.append(("Error rate", f"{_percent(rate)} ({int(summary.get('failures') or 0)} of "
                                    f"{int(summary.get('received') or 0)} failed at least once)"))
    levels: Mapping[str, Any] = summary.get("by_level") or {}
    if levels:
        facts.append(("Gate levels", " · ".join(f"{level} {n}" for level, n in sorted(levels.items()))))
    if facts:
        blocks.append(fact_set(facts))
    return blocks


def _table(headers: tuple[str, ...], widths: tuple[int, ...], rows: list[list[list[dict]]]) -> dict:
    header = {"type": "TableRow", "cells": [_cell([text(h, weight="bolder", size="small")]) for h in headers]}
    return {"type": "Table", "firstRowAsHeader": True, "showGridLines": False, "spacing": "small",
            "columns": [{"type": "TableColumnDefinition", "width": w} for w in widths],
            "rows": [header, *({"type": "TableRow", "cells": [_cell(items) for items in r]} for r in rows)]}


def _number(value: Any) -> list[dict]:
    return [text(str(int(value or 0)), align="right")]


def _vendors(summary: Mapping[str, Any]) -> list[dict]:
    """The busiest vendors: counts, and under the name the period's totals and median time to a decision."""
    vendors = [v for v in summary.get("by_vendor") or [] if isinstance(v, Mapping)]
    if not vendors:
        return []
    rows = []
    for v in vendors[:MAX_SUMMARY_ROWS]:
        totals: Mapping[str, Any] = v.get("totals") or {}
        detail = [format_amount(amount, str(code)) for code, amount in sorted(totals.items())[:3]]
        if v.get("median_decision_s") is not None:
            detail.append(f"median {format_duration(v['median_decision_s'])}")
        name = [text(v.get("vendor") or "Unknown vendor", limit=60, weight="bolder")]
        if detail:
            name.append(text(" · ".join(detail), size="small", subtle=True, spacing="none", limit=120))
        rows.append([name, _number(v.get("received")), _number(v.get("approved")), _number(v.get("rejected")),
                     _number(v.get("waiting"))])
    blocks = [text("Vendors", weight="bolder", spacing="medium"),
              _table(("Vendor", "Received", "Approved", "Rejected", "Waiting"), (4, 2, 2, 2, 2), rows)]
    more = max(int(summary.get("vendors") or len(vendors)) - len(rows), 0)
    if more:
        blocks.append(text(f"and {more} more vendor{'s' if more != 1 else ''}", size="small", subtle=True,
                           spacing="small"))
    return blocks


def _people(summary: Mapping[str, Any]) -> list[dict]:
    """Per person: invoices brought in, decided (of which rejected), escalated, and fields they had to correct."""
    people = [p for p in summary.get("by_clerk") or [] if isinstance(p, Mapping)]
    if not people:
        return []
    rows = []
    for p in people[:MAX_SUMMARY_ROWS]:
        decided = int(p.get("decided") or 0)
        rejected = int(p.get("rejected") or 0)
        rows.append([[text(p.get("name") or p.get("id") or "—", limit=60)], _number(p.get("received")),
                     [text(f"{decided} ({rejected} rej.)" if rejected else str(decided), align="right")],
                     _number(p.get("escalated")), _number(p.get("fields_corrected"))])
    blocks = [text("People", weight="bolder", spacing="medium"),
              _table(("Person", "Uploaded", "Decided", "Escalated", "Fields fixed"), (4, 2, 2, 2, 2), rows)]
    more = max(int(summary.get("people") or len(people)) - len(rows), 0)
    if more:
        blocks.append(text(f"and {more} more {'people' if more != 1 else 'person'}", size="small", subtle=True,
                           spacing="small"))
    return blocks
