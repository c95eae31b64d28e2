"""The invoice as cards, the upload page and the REST API show it: one plain dict, built in one place.

The shape is the contract the card builders (cards/) and the page (ingest/static/upload.html) are written
against; it carries no database types, only JSON values.
"""

from __future__ import annotations

from typing import Any

from invoice_capture.store.models import AuditEvent, Invoice

#: Audit actions shown in a card's history (the rest are bookkeeping: extracting, card_posted, ...).
HISTORY_ACTIONS = ("received", "extracted", "failed", "edited", "approved", "rejected", "escalated", "retried",
                   "reopened", "auto_approved", "duplicate_received", "callback_confirmed", "reminded")


def invoice_view(inv: Invoice, events: list[AuditEvent] | None = None,
                 duplicate: Invoice | None = None) -> dict[str, Any]:
    decision = None
    if inv.state in ("approved", "rejected") and inv.decided_at is not None:
        decision = {"action": inv.state, "by_name": inv.decided_by_name, "by_id": inv.decided_by_id,
                    "at": inv.decided_at.isoformat(), "reason": inv.decision_reason or None}
    escalated = None
    if inv.escalated_to_id:
        escalated = {"id": inv.escalated_to_id, "name": inv.escalated_to_name}
    return {
        "id": inv.id,
        "tenant_id": inv.tenant_id,
        "state": inv.state,
        "version": inv.version,
        "filename": inv.filename,
        "pages": inv.pages,
        "source": inv.source,
        "origin": origin(inv.source_ref or {}),
        "received_at": inv.received_at.isoformat(),
        "uploaded_by": inv.uploaded_by_name,
        "uploaded_by_id": inv.uploaded_by_id,
        "fields": inv.fields or {},
        "items": inv.items or [],
        "warnings": inv.warnings or [],
        "error": {"code": inv.error_code, "message": inv.error_message} if inv.error_code else None,
        "decision": decision,
        "escalated_to": escalated,
        "escalated_by": {"name": inv.escalated_by_name} if inv.escalated_by_name else None,
        "escalation_reason": inv.escalation_reason or None,
        "duplicate_of": _duplicate(duplicate),
        "gate": {"level": inv.gate_level, "reasons": list(inv.gate_reasons or [])} if inv.gate_level else None,
        "checks": list(inv.checks or []),
        "vendor_match": dict(inv.vendor_match or {}),
        "vendor": inv.vendor_name,
        "invoice_number": inv.invoice_number,
        "total": float(inv.total) if inv.total is not None else None,
        "currency": inv.currency,
        "history": [history_line(e) for e in events or [] if e.action in HISTORY_ACTIONS],
    }


#: What a source tells about where an invoice came from, as shown on the card (Graph sources fill these).
ORIGIN_KEYS = ("web_url", "path", "mailbox", "sender", "sender_address", "subject", "web_link")


def origin(ref: dict[str, Any]) -> dict[str, str] | None:
    """Where the file came from (a SharePoint file's web URL and path, an email's sender and subject), for the
    card's link back to it; None for chat and upload files, whose origin is the chat or page itself."""
    out = {k: str(ref[k]) for k in ORIGIN_KEYS if ref.get(k)}
    return out or None


def history_line(e: AuditEvent) -> dict[str, Any]:
    return {"action": e.action, "actor_name": e.actor_name or e.actor_id, "actor_id": e.actor_id,
            "at": e.at.isoformat(), "reason": e.reason or None, "changes": e.changes or {}}


def _duplicate(dup: Invoice | None) -> dict[str, Any] | None:
    if dup is None:
        return None
    return {"id": dup.id, "invoice_number": dup.invoice_number, "state": dup.state,
            "received_at": dup.received_at.isoformat(), "filename": dup.filename}


def summary_row(inv: Invoice) -> dict[str, Any]:
    """One line of a list (pending, the upload page's table)."""
    return {"id": inv.id, "filename": inv.filename, "state": inv.state, "vendor": inv.vendor_name,
            "invoice_number": inv.invoice_number, "total": float(inv.total) if inv.total is not None else None,
            "currency": inv.currency, "received_at": inv.received_at.isoformat(), "source": inv.source,
            "assignee": inv.escalated_to_name if inv.state == "escalated" else "",
            "error": {"code": inv.error_code, "message": inv.error_message} if inv.error_code else None}
