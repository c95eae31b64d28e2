"""The review card (read, decide) and the edit card (correct the fields) for one invoice view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cards.common import (
    CARD_BUDGET,
    GOOD_CONFIDENCE,
    STATE_WORDS,
    attention,
    card,
    card_size,
    confidence_marker,
    currency_code,
    execute,
    fact_row,
    format_amount,
    format_date,
    format_datetime,
    format_number,
    header,
    iso_date,
    text,
    truncate,
)
from invoice_capture.extraction.normalize.ids import group_iban
from invoice_capture.review.workflow import APPROVER_ROLES, buttons_for

KEY_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("VendorName", "Vendor", "text"),
    ("InvoiceId", "Invoice number", "text"),
    ("InvoiceDate", "Invoice date", "date"),
    ("DueDate", "Due date", "date"),
    ("PurchaseOrder", "PO number", "text"),
    ("CurrencyCode", "Currency", "currency"),
    ("SubTotal", "Subtotal", "amount"),
    ("TotalTax", "Tax", "amount"),
    ("InvoiceTotal", "Total", "amount"),
    ("AmountDue", "Amount due", "amount"),
    ("CustomerName", "Customer", "text"),
    ("PaymentTerm", "Payment terms", "text"),
)
"""(Azure field name, label, kind) in card order; PaymentDetails follows as IBAN and SWIFT rows."""

BANK_PARTS = (("IBAN", "IBAN"), ("SWIFT", "SWIFT / BIC"))


MAX_INPUT = 500
"""Characters prefilled into or accepted by one edit input; no real invoice field is longer."""

METHOD_WORDS = {
    "label": "read from label",
    "einvoice": "e-invoice data",
    "position": "read from its position",
    "pattern": "matched by pattern",
    "derived": "calculated from other fields",
    "table": "read from the items table",
    "azure": "Azure Document Intelligence",
    "di": "Azure Document Intelligence",
    "rule": "found by a vendor rule",
}
#: Which engine of the extraction chain gave a field (issue 6: provenance on the card).
ENGINE_WORDS = {"local": "local engine", "einvoice": "e-invoice", "azure": "Azure", "vendor_rules": "vendor rule"}

ITEM_COLUMNS = (("Description", "Description", 4, None), ("Quantity", "Qty", 1, "right"),
                ("UnitPrice", "Unit price", 2, "right"), ("Amount", "Amount", 2, "right"))


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of an invoice one card shows. Normal invoices fit the first level; a document full of long,
    markup-laden text falls back to the next, so the card is never too large for Teams to post."""

    items: int = 8
    history: int = 8
    warnings: int = 5
    approvers: int = 30
    value: int = 120
    description: int = 60
    how: bool = True
    prefill: int = MAX_INPUT


LEVELS = (Limits(),
          Limits(items=5, history=3, warnings=3, approvers=15, value=60, description=40, how=False, prefill=200),
          Limits(items=0, history=0, warnings=2, approvers=4, value=30, description=20, how=False, prefill=80))


def review_card(invoice: Mapping[str, Any], *, role: str = "clerk", approvers: list[dict] | None = None,
                notice: str | None = None, refresh_user_ids: list[str] | None = None,
                allowed: Mapping[str, Any] | None = None) -> dict:
    """The card a clerk or approver decides on; buttons depend on state and the viewer.

    ``allowed`` is what the server will accept from this viewer (review/routing.py ``permissions``: verbs, why
    Approve is missing, whether approving needs a reason or a call-back, whom to escalate to); without it the
    buttons follow the viewer's role alone. With ``refresh_user_ids`` the card asks Teams to re-fetch it per
    viewer (Universal Actions), which is how an approver sees approver buttons on the same message a clerk sees
    without them.
    """
    for limits in LEVELS:
        built = _review(invoice, role, approvers or [], notice, refresh_user_ids, limits, allowed)
        if card_size(built) <= CARD_BUDGET:
            break
    return built


def edit_card(invoice: Mapping[str, Any], *, notice: str | None = None) -> dict:
    """One prefilled input per key field; Save sends them all back as ``field.<Name>`` with the version it edited.

    A value longer than the prefill limit (500 characters, less only for a card that would not fit Teams) is
    prefilled cut short, so saving it unchanged stores the shorter text.
    """
    for limits in LEVELS:
        built = _edit(invoice, notice, limits)
        if card_size(built) <= CARD_BUDGET:
            break
    return built


def _edit(invoice: Mapping[str, Any], notice: str | None, limits: Limits) -> dict:
    fields = invoice.get("fields") or {}
    currency = _currency(invoice)
    body = [*_head(invoice, notice, limits),
            text("Change what is wrong, then Save. Fields marked 'check this' or 'unsure' need a look.",
                 subtle=True)]
    for name, label, kind in KEY_FIELDS:
        body.append(_input(f"field.{name}", _input_label(label, fields.get(name)), kind, fields.get(name),
                           currency, limits.prefill))
    details = fields.get("PaymentDetails")
    bank = _bank(fields)
    for part, label in BANK_PARTS:
        value = bank.get(part)
        field = {**details, "value": value} if value and details else None
        body.append(_input(f"field.{part}", _input_label(label, field), "text", field, None, limits.prefill))
    data = _data(invoice)
    actions = [execute("Save", "save", data, style="positive"),
               execute("Cancel", "cancel", data, associated_inputs="none")]
    return card(body, actions, fallback_text=_fallback(invoice))


def state_badge(invoice: Mapping[str, Any]) -> tuple[str, str | None]:
    """The state in words for the header, with who and when where a person decided."""
    state = invoice.get("state") or "received"
    decision = invoice.get("decision") or {}
    by = truncate(decision.get("by_name") or "someone", 60)
    when = format_datetime(decision["at"]) if decision.get("at") else None
    reason = decision.get("reason")
    if state == "approved":
        return (f"Approved by {by} · {when}" if when else f"Approved by {by}") if decision else "Approved", "good"
    if state == "rejected":
        if not decision:
            return "Rejected", "attention"
        return (f"Rejected by {by}: {truncate(reason, 160)}" if reason else f"Rejected by {by}"), "attention"
    if state == "escalated":
        to = (invoice.get("escalated_to") or {}).get("name")
        return (f"Escalated to {truncate(to, 60)}" if to else "Escalated"), "accent"
    if state == "auto_approved":
        return "Approved automatically. Anyone may reopen it for review.", "good"
    if state == "exported":
        return (f"Exported · approved by {by}" if decision.get("action") == "approved" else "Exported"), "good"
    if state == "failed":
        return "Could not read this file", "attention"
    if state == "extracting":
        return "Reading…", None
    if state == "needs_review":
        return "Needs review", "warning"
    return STATE_WORDS.get(state, str(state).replace("_", " ").capitalize()), None


def _review(invoice: Mapping[str, Any], role: str, approvers: list[dict], notice: str | None,
            refresh_user_ids: list[str] | None, limits: Limits, allowed: Mapping[str, Any] | None) -> dict:
    body = _head(invoice, notice, limits)
    if invoice.get("state") == "escalated" and role not in APPROVER_ROLES:
        to = (invoice.get("escalated_to") or {}).get("name")
        body.append(text(f"Waiting for {truncate(to, 60)}" if to else "Waiting for an approver", color="accent",
                         weight="bolder"))
    state = invoice.get("state")
    if state in ("received", "extracting"):
        body.append(text("The fields appear here as soon as the file is read.", subtle=True))
    elif state != "failed" or invoice.get("fields"):
        body.append(_field_grid(invoice, limits))
        body.extend(_items(invoice, limits))
    body.extend(_details(invoice, limits))
    if allowed and allowed.get("approve_note"):
        body.append(text(allowed["approve_note"], color="warning", weight="bolder", spacing="medium", limit=300))
    refresh = None
    if refresh_user_ids:
        refresh = {"action": {"type": "Action.Execute", "verb": "refresh", "data": _data(invoice)},
                   "userIds": [str(u) for u in refresh_user_ids[:60]]}
    actions = _allowed_actions(invoice, allowed, limits) if allowed is not None else _actions(invoice, role, approvers,
                                                                                              limits)
    return card(body, actions, refresh=refresh, fallback_text=_fallback(invoice))


def _data(invoice: Mapping[str, Any]) -> dict:
    return {"invoice_id": invoice.get("id"), "version": invoice.get("version")}


def _currency(invoice: Mapping[str, Any]) -> str | None:
    return currency_code(_value(invoice, "CurrencyCode"))


def _value(invoice: Mapping[str, Any], name: str) -> Any:
    return ((invoice.get("fields") or {}).get(name) or {}).get("value")


def _fallback(invoice: Mapping[str, Any]) -> str:
    vendor = _value(invoice, "VendorName") or invoice.get("filename") or "Invoice"
    return f"{vendor}: {state_badge(invoice)[0]}"


def _head(invoice: Mapping[str, Any], notice: str | None, limits: Limits) -> list[dict]:
    """Header, notice, failure, warnings and duplicate: everything the reader needs before the fields."""
    currency = _currency(invoice)
    total = _value(invoice, "InvoiceTotal")
    if total is None:
        total = _value(invoice, "AmountDue")
    badge, color = state_badge(invoice)
    parts = [truncate(invoice.get("filename") or "", 80)]
    pages = invoice.get("pages")
    if isinstance(pages, int):
        parts.append(f"{pages} page{'s' if pages != 1 else ''}")
    if invoice.get("received_at"):
        parts.append(f"received {format_datetime(invoice['received_at'])}")
    blocks = [header(_value(invoice, "VendorName") or "Unknown vendor",
                     amount=format_amount(total, currency) if total is not None else None,
                     badge=badge, badge_color=color, lines=[" · ".join(p for p in parts if p)])]
    blocks.extend(origin_blocks(invoice.get("origin") or {}))
    gate = _gate(invoice)
    if gate:
        if (invoice.get("gate") or {}).get("level") == "L3":  # the whole top of the card turns red
            blocks = [{"type": "Container", "style": "attention", "bleed": True, "items": [*blocks, *gate]}]
        else:
            blocks.extend(gate)
    if notice:
        blocks.append({"type": "Container", "style": "accent", "items": [text(notice, weight="bolder")]})
    if invoice.get("state") == "escalated":
        by = (invoice.get("escalated_by") or {}).get("name")
        reason = invoice.get("escalation_reason")
        if by or reason:
            line = f"Escalated by {truncate(by, 60)}" if by else "Escalated"
            blocks.append(text(f"{line}: {reason}" if reason else line, subtle=True))
    error = invoice.get("error")
    if invoice.get("state") == "failed" or error:
        blocks.append(attention((error or {}).get("message") or "The file could not be read."))
    warnings = [w for w in invoice.get("warnings") or [] if w]
    blocks.extend(attention(w, limit=160) for w in warnings[: limits.warnings])
    if len(warnings) > limits.warnings:
        blocks.append(text(f"and {len(warnings) - limits.warnings} more warnings", color="attention"))
    duplicate = invoice.get("duplicate_of")
    if duplicate:
        number = duplicate.get("invoice_number")
        what = f"Possible duplicate of {truncate(number, 60)}" if number else "Possible duplicate of an earlier invoice"
        state = STATE_WORDS.get(duplicate.get("state") or "", duplicate.get("state") or "").lower()
        when = format_date(duplicate["received_at"]) if duplicate.get("received_at") else ""
        extra = ", ".join(p for p in (state, when) if p)
        blocks.append(text(f"{what} ({extra})" if extra else what, color="warning", weight="bolder"))
    return blocks


def origin_blocks(origin: Mapping[str, Any]) -> list[dict]:
    """Where a file from a Graph source came from, with a link back to it (the SharePoint file, the email), so the
    reviewer can open the original where it lives."""
    if not origin:
        return []
    url, title = "", ""
    if origin.get("sender") or origin.get("sender_address") or origin.get("subject"):
        who = origin.get("sender") or origin.get("sender_address") or "unknown sender"
        if origin.get("sender") and origin.get("sender_address"):
            who = f"{origin['sender']} <{origin['sender_address']}>"
        line = f"Email from {who}" + (f": {origin['subject']}" if origin.get("subject") else "")
        url, title = str(origin.get("web_link") or ""), "Open the email"
    elif origin.get("path") or origin.get("web_url"):
        line = f"From SharePoint: {origin.get('path') or origin.get('web_url')}"
        url, title = str(origin.get("web_url") or ""), "Open in SharePoint"
    else:
        return []
    out = [text(line, subtle=True, size="small", spacing="none", limit=300)]
    if url.startswith("https://"):
        out.append({"type": "ActionSet", "spacing": "small",
                    "actions": [{"type": "Action.OpenUrl", "title": title, "url": url[:2000]}]})
    return out


GATE_TITLES = {
    "L0": "Approved automatically (L0, logged)",
    "L1": "Approved automatically (L1)",
    "L2": "Needs a person's approval (L2)",
    "L3": "Fraud alert (L3): a person must act",
}
MATCHED_BY = {"tax_id": "tax id", "iban": "IBAN", "name": "name"}


def _gate(invoice: Mapping[str, Any]) -> list[dict]:
    """The HITL level in plain words, why, and which master vendor the invoice was matched to."""
    gate = invoice.get("gate") or {}
    level = gate.get("level")
    if not level or invoice.get("state") in ("received", "extracting", "failed"):
        return []
    reasons = [truncate(r, 120) for r in gate.get("reasons") or [] if r]
    title = GATE_TITLES.get(level, level)
    color = {"L3": "attention", "L2": "warning"}.get(level, "good")
    lead = "because" if level in ("L0", "L1") else "why"
    blocks = [text(title, weight="bolder", color=color, spacing="small")]
    if reasons:
        blocks.append(text(f"{lead.capitalize()}: " + "; ".join(reasons[:6]), size="small", spacing="none",
                           limit=600, color="attention" if level == "L3" else None))
    match = invoice.get("vendor_match") or {}
    if match.get("name"):
        how = MATCHED_BY.get(match.get("by"), match.get("by") or "name")
        score = match.get("score")
        pct = f", {round(score)}%" if isinstance(score, int | float) and match.get("by") == "name" else ""
        blocks.append(text(f"Vendor master: {truncate(match['name'], 60)} (matched by {how}{pct})", size="small",
                           spacing="none", subtle=True))
    elif invoice.get("fields"):
        blocks.append(text("Vendor master: no match (new vendor)", size="small", spacing="none", subtle=True))
    return blocks


def _bank(fields: Mapping[str, Any]) -> dict:
    """The first account of PaymentDetails, which is the one a payment run would use."""
    value = (fields.get("PaymentDetails") or {}).get("value")
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return dict(value[0])
    if isinstance(value, Mapping):
        return dict(value)
    return {}


def _display(kind: str, field: Mapping[str, Any] | None, currency: str | None, limit: int) -> str:
    if not field:
        return "—"
    value = field.get("value")
    if value is None or value == "":
        return truncate(field.get("text") or "—", limit)
    if kind == "amount":
        return format_amount(value, currency)
    if kind == "date":
        return format_date(value)
    return truncate(value, limit)


def _field_grid(invoice: Mapping[str, Any], limits: Limits) -> dict:
    fields = invoice.get("fields") or {}
    currency = _currency(invoice)
    rows = []
    for name, label, kind in KEY_FIELDS:
        marker, color = confidence_marker(fields.get(name))
        rows.append(fact_row(label, _display(kind, fields.get(name), currency, limits.value), marker=marker,
                             marker_color=color, row_id=f"row.{name}"))
    details = fields.get("PaymentDetails")
    bank = _bank(fields)
    accounts = details.get("value") if details else None
    more = len(accounts) - 1 if isinstance(accounts, list) and len(accounts) > 1 else 0
    for part, label in BANK_PARTS:
        value = bank.get(part)
        marker, color = confidence_marker(details if value else None)
        shown = truncate(group_iban(str(value)) if part == "IBAN" else value, min(limits.value, 60)) if value else "—"
        if part == "IBAN" and value and more:
            shown += f" (+{more} more account{'s' if more > 1 else ''})"
        rows.append(fact_row(label, shown, marker=marker, marker_color=color, row_id=f"row.{part}"))
    return {"type": "Container", "separator": True, "spacing": "medium", "items": rows}


def _cell(value: str, *, limit: int, color: str | None = None, weight: str | None = None) -> dict:
    return {"type": "TableCell", "items": [text(value, color=color, weight=weight, limit=limit)]}


def _item_cell(name: str, field: Mapping[str, Any], currency: str | None, limits: Limits) -> dict:
    value = field.get("value")
    if value in (None, ""):
        shown = ""
    elif name == "Description":
        shown = truncate(value, limits.description)
    elif name == "Quantity":
        shown = format_number(value)
    else:
        shown = format_amount(value, currency, with_code=False)
    confidence = field.get("confidence")
    doubtful = isinstance(confidence, int | float) and confidence < GOOD_CONFIDENCE and not field.get("edited_by")
    return _cell(shown, color="warning" if doubtful else None,
                 limit=limits.description if name == "Description" else 24)


def _items(invoice: Mapping[str, Any], limits: Limits) -> list[dict]:
    """Line items as a Table (first rows only); doubtful cells in the warning colour."""
    items = [i for i in invoice.get("items") or [] if isinstance(i, Mapping)]
    if not items:
        return [text("No line items found.", subtle=True, separator=True, spacing="medium")]
    currency = _currency(invoice)
    title = f"Line items ({len(items)})" + (f", amounts in {currency}" if currency else "")
    blocks = [text(title, weight="bolder", separator=True, spacing="medium")]
    shown = items[: limits.items]
    if shown:
        rows = [{"type": "TableRow", "cells": [_cell(heading, limit=20, weight="bolder")
                                               for _, heading, _, _ in ITEM_COLUMNS]}]
        rows.extend({"type": "TableRow", "cells": [_item_cell(name, item.get(name) or {}, currency, limits)
                                                   for name, _, _, _ in ITEM_COLUMNS]} for item in shown)
        columns = [{"type": "TableColumnDefinition", "width": width,
                    **({"horizontalCellContentAlignment": align} if align else {})}
                   for _, _, width, align in ITEM_COLUMNS]
        blocks.append({"type": "Table", "firstRowAsHeader": True, "showGridLines": False, "columns": columns,
                       "rows": rows})
    if len(items) > len(shown):
        blocks.append(text(f"and {len(items) - len(shown)} more line items", subtle=True, spacing="small"))
    return blocks


def _short(value: Any) -> str:
    return "—" if value in (None, "") else truncate(value, 30)


def _history_line(event: Mapping[str, Any]) -> str:
    when = format_datetime(event["at"]) if event.get("at") else ""
    who = truncate(event.get("actor_name") or "system", 40)
    action = truncate(str(event.get("action") or "changed").replace("_", " "), 40)
    line = " · ".join(p for p in (when, who, action) if p)
    changes = event.get("changes") or {}
    labels = {name: label for name, label, _ in KEY_FIELDS} | {"PaymentDetails": "Bank details"}
    parts = []
    for name, change in list(changes.items())[:3]:
        before, after = (list(change) + [None, None])[:2] if isinstance(change, list | tuple) else (None, change)
        parts.append(f"{truncate(labels.get(name, name), 30)} {_short(before)} → {_short(after)}")
    if len(changes) > 3:
        parts.append(f"{len(changes) - 3} more")
    if parts:
        line += ": " + "; ".join(parts)
    if event.get("reason"):
        line += f" ({truncate(event['reason'], 120)})"
    return line


def _how_read(field: Mapping[str, Any], label: str) -> str:
    if field.get("edited_by"):
        return f"{label}: edited by {truncate(field['edited_by'], 40)}"
    method = field.get("method")
    words = METHOD_WORDS.get(method, truncate(str(method).replace("_", " "), 30)) if method else "not recorded"
    page = f", page {field['page']}" if isinstance(field.get("page"), int) else ""
    confidence = field.get("confidence")
    pct = f" ({round(confidence * 100)}%)" if isinstance(confidence, int | float) else ""
    engine = field.get("engine")
    by = f", {ENGINE_WORDS.get(engine, truncate(str(engine), 20))}" if engine and engine != method else ""
    also = [f"{ENGINE_WORDS.get(a.get('engine'), a.get('engine'))} read {_short(a.get('text') or a.get('value'))}"
            for a in field.get("alternatives") or [] if isinstance(a, Mapping)]
    agreed = [ENGINE_WORDS.get(e, e) for e in field.get("agreed") or [] if e != engine]
    extra = (f"; {'; '.join(also)}" if also else "") + (f"; {', '.join(agreed)} agreed" if agreed else "")
    return f"{label}: {words}{page}{by}{pct}{extra}"


def _details(invoice: Mapping[str, Any], limits: Limits) -> list[dict]:
    """History and how each field was read, collapsed: auditors want it, the clerk mostly does not."""
    history = [e for e in invoice.get("history") or [] if isinstance(e, Mapping)]
    shown = history[-limits.history:] if limits.history else []
    items: list[dict] = [text("History", weight="bolder")]
    if len(history) > len(shown):
        items.append(text(f"{len(history) - len(shown)} earlier events not shown", subtle=True, size="small"))
    items.extend(text(_history_line(e), size="small", limit=240, spacing="small") for e in shown)
    if not history:
        items.append(text("No changes yet.", subtle=True, size="small"))
    fields = invoice.get("fields") or {}
    if limits.how:
        names = [(n, label) for n, label, _ in KEY_FIELDS] + [("PaymentDetails", "Bank details")]
        how = [_how_read(fields[n], label) for n, label in names if fields.get(n)]
        if how:
            items.append(text("How each field was read", weight="bolder", spacing="medium"))
            items.extend(text(line, size="small", spacing="none") for line in how)
    if invoice.get("id"):
        items.append(text(f"Invoice id {invoice['id']}", size="small", subtle=True, spacing="medium", limit=80))
    toggle = {"type": "ActionSet", "spacing": "medium", "actions": [
        {"type": "Action.ToggleVisibility", "title": "Details", "targetElements": ["details"]}]}
    return [toggle, {"type": "Container", "id": "details", "isVisible": False, "items": items}]


def _escalate(invoice: Mapping[str, Any], approvers: list[dict], limits: Limits) -> dict:
    """Escalate form; ``approvers`` best first, optionally with ``limit`` and ``covers`` (the approval matrix)."""
    choices = [{"title": truncate(_approver_title(a), 70), "value": str(a["id"])}
               for a in approvers if isinstance(a, Mapping) and a.get("id")][: limits.approvers]
    if not choices:
        inner: dict[str, Any] = {"type": "AdaptiveCard", "body": [
            text("No approver is set up yet. Ask an admin to add approvers before escalating.")]}
    else:
        inner = {"type": "AdaptiveCard", "body": [
            {"type": "Input.ChoiceSet", "id": "approver", "label": "Approver", "style": "compact",
             "isRequired": True, "errorMessage": "Choose who should decide.", "placeholder": "Choose an approver",
             "choices": choices, **({"value": choices[0]["value"]} if approvers[0].get("covers") else {})},
            {"type": "Input.Text", "id": "reason", "label": "Why does this need an approver?", "isMultiline": True,
             "maxLength": MAX_INPUT, "placeholder": "Optional"},
        ], "actions": [execute("Escalate", "escalate", _data(invoice))]}
    return {"type": "Action.ShowCard", "title": "Escalate", "card": inner}


def _approver_title(a: Mapping[str, Any]) -> str:
    name = a.get("name") or a["id"]
    if "limit" not in a:
        return name
    limit = "no limit" if a["limit"] == "no limit" else f"limit {a['limit']}"
    return f"{name} ({limit})" if a.get("covers", True) else f"{name} ({limit}, too low)"


def _approve_with(invoice: Mapping[str, Any], allowed: Mapping[str, Any]) -> dict:
    """Approve, as one click, or as a small form when the approval needs a reason (a likely duplicate) or a
    call-back confirmation (bank details that differ from the vendor master)."""
    data = _data(invoice)
    if allowed.get("callback"):
        inner = {"type": "AdaptiveCard", "body": [
            text("Before approving: call the vendor on a phone number you already have (never one printed on this "
                 "invoice) and confirm the new bank account.", color="attention"),
            {"type": "Input.Toggle", "id": "callback_confirmed", "title": "I called the vendor back and they "
             "confirmed the bank account on this invoice", "valueOn": "true", "valueOff": "false",
             "isRequired": True, "errorMessage": "Confirm the call-back first.", "label": "Call-back"},
            {"type": "Input.Text", "id": "callback_note", "label": "Who confirmed it, on which number, when",
             "isRequired": True, "errorMessage": "Note who confirmed it.", "maxLength": MAX_INPUT},
        ], "actions": [execute("Approve after call-back", "approve", data, style="positive")]}
        return {"type": "Action.ShowCard", "title": "Approve…", "card": inner}
    if allowed.get("approve_reason"):
        inner = {"type": "AdaptiveCard", "body": [
            text(allowed["approve_reason"], color="warning", limit=300),
            {"type": "Input.Text", "id": "reason", "label": "Why approve it anyway?", "isMultiline": True,
             "isRequired": True, "errorMessage": "Say why this is not a duplicate.", "maxLength": MAX_INPUT},
        ], "actions": [execute("Approve anyway", "approve", data, style="positive")]}
        return {"type": "Action.ShowCard", "title": "Approve…", "card": inner}
    return execute("Approve", "approve", data, style="positive")


def _allowed_actions(invoice: Mapping[str, Any], allowed: Mapping[str, Any], limits: Limits) -> list[dict]:
    """Exactly the buttons the server will accept from this viewer."""
    verbs = set(allowed.get("verbs") or ())
    data = _data(invoice)
    out: list[dict] = []
    if "approve" in verbs:
        out.append(_approve_with(invoice, allowed))
    if "save" in verbs:
        out.append(execute("Edit", "edit", data))
    if "escalate" in verbs:
        title = "Pass on" if invoice.get("state") == "escalated" else "Escalate"
        out.append({**_escalate(invoice, list(allowed.get("escalate_to") or []), limits), "title": title})
    if "reject" in verbs:
        out.append(_reject(invoice))
    if "retry" in verbs:
        out.append(execute("Retry", "retry", data))
    if "reopen" in verbs:
        out.append(execute("Reopen for review", "reopen", data))
    return out[:6]


def _reject(invoice: Mapping[str, Any]) -> dict:
    inner = {"type": "AdaptiveCard", "body": [
        {"type": "Input.Text", "id": "reason", "label": "Reason for rejecting", "isMultiline": True,
         "isRequired": True, "errorMessage": "Say why, so the vendor and auditors know.", "maxLength": MAX_INPUT},
    ], "actions": [execute("Reject invoice", "reject", _data(invoice), style="destructive")]}
    return {"type": "Action.ShowCard", "title": "Reject", "card": inner}


def _actions(invoice: Mapping[str, Any], role: str, approvers: list[dict], limits: Limits) -> list[dict]:
    """Buttons by role alone (no policy known): the workflow's own rules, so card and server cannot disagree."""
    verbs = buttons_for(str(invoice.get("state") or ""), role)
    return _allowed_actions(invoice, {"verbs": verbs, "escalate_to": approvers}, limits)


def _input_label(label: str, field: Mapping[str, Any] | None) -> str:
    marker, _ = confidence_marker(field)
    return label if marker == "✓" or marker.startswith("edited by") else f"{label} ({marker})"


def _input(input_id: str, label: str, kind: str, field: Mapping[str, Any] | None, currency: str | None,
           prefill: int) -> dict:
    """The input for one field, prefilled with its current value when that value fits the input's type."""
    value = (field or {}).get("value")
    element: dict[str, Any] = {"id": input_id, "label": label}
    if kind == "date":
        element["type"] = "Input.Date"
        date = iso_date(value)
        if date:
            element["value"] = date
    elif kind == "amount":
        element["type"] = "Input.Number"
        if isinstance(value, int | float) and not isinstance(value, bool):
            element["value"] = value
        if currency:
            element["placeholder"] = f"Amount in {currency}"
    else:
        element["type"] = "Input.Text"
        element["maxLength"] = 3 if kind == "currency" else MAX_INPUT
        if value not in (None, "") and not isinstance(value, list | dict):
            element["value"] = str(value)[:prefill]
        if kind == "currency":
            element["regex"] = "^[A-Za-z]{3}$"
            element["errorMessage"] = "Use a three-letter currency code such as EUR."
            element["placeholder"] = "EUR"
    return element
