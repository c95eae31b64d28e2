"""Everything the controls say about one invoice as it stands: vendor match, named check findings, HITL gate.

Run after extraction and after every edit, inside the caller's transaction, so the card, the gate and the audit
event always describe the same values. The rules themselves live in checks.py (values, duplicates), vendors.py
(vendor master, bank details, id formats) and gate.py (the level); this module gathers what they need from the
store (the vendor master, the same vendor's earlier invoices) and turns the result into invoice columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_capture.review import checks, vendors
from invoice_capture.review.checks import FRAUD, Finding
from invoice_capture.review.gate import Gate, decide
from invoice_capture.review.policy import Policy
from invoice_capture.store import repository as repo
from invoice_capture.store.models import Invoice

#: How many of a vendor's earlier invoices the duplicate rules compare against (newest first).
DUPLICATE_LOOKBACK = 2000


@dataclass
class Assessment:
    values: dict[str, Any]
    findings: list[Finding]
    gate: Gate
    match: vendors.VendorMatch | None


def denormalised(fields: dict[str, Any]) -> dict[str, Any]:
    """The columns lists, summaries and duplicate checks query, from the fields as they stand."""
    number = str(checks.value(fields, "InvoiceId") or "")
    total = checks.value(fields, "InvoiceTotal")
    if total is None:
        total = checks.value(fields, "AmountDue")
    vendor = str(checks.value(fields, "VendorName") or "")
    return {"vendor_name": vendor[:300], "vendor_norm": vendors.normalize_name(vendor)[:300],
            "invoice_number": number[:100], "invoice_number_norm": checks.normalise_number(number)[:100],
            "invoice_date": str(checks.value(fields, "InvoiceDate") or "")[:10],
            "total": Decimal(str(round(float(total), 2))) if isinstance(total, int | float) else None,
            "currency": str(checks.value(fields, "CurrencyCode") or "")[:3]}


async def assess(s: AsyncSession, policy: Policy, inv: Invoice, fields: dict[str, Any], items: list[Any],
                 extraction_warnings: list[str], *, edited: bool, today: dt.date | None = None) -> Assessment:
    values = denormalised(fields)
    master = [vendors.VendorRecord.from_row(v) for v in await repo.list_vendors(s, inv.tenant_id)]
    match = vendors.match_vendor(master, fields, threshold=policy.checks.vendor_match_threshold)
    if match is not None and match.ambiguous:
        values.update(vendor_id=None)
    else:
        values.update(vendor_id=match.vendor_id if match else None)
    values["vendor_match"] = _match_dict(match)

    findings = checks.run_values(fields, items, today=today, max_age_years=policy.checks.max_age_years,
                                 future_days=policy.checks.future_days)
    findings += [Finding("ids.invalid", msg) for msg in vendors.validate_invoice_ids(fields)]
    if match is not None and not match.ambiguous:
        bank = vendors.bank_mismatch(match.vendor, fields)
        if bank:
            findings.append(Finding("vendor.bank_changed", bank, FRAUD,
                                    {"vendor_id": match.vendor_id, "vendor": match.name}))
    if match is not None and (match.ambiguous or match.conflict) and match.note:
        findings.append(Finding("vendor.unclear", match.note))
    earlier = await _same_vendor(s, inv, values)
    dups = checks.duplicates(values["invoice_number"], float(values["total"]) if values["total"] is not None
                             else None, values["currency"], values["invoice_date"], earlier,
                             window_days=policy.checks.duplicate_window_days)
    findings += dups
    values["duplicate_of"] = dups[0].ref["id"] if dups else ""

    known = match.name if match is not None and not match.ambiguous else None
    history = policy.auto_approve.known_from_history
    if known is None and history and values["vendor_norm"] \
            and await _approved_count(s, inv, values["vendor_norm"]) >= history:
        known = values["vendor_name"]
    total = float(values["total"]) if values["total"] is not None else None
    vouched = frozenset({"VendorName"}) if match is not None and match.by in ("tax_id", "iban") \
        and not (match.ambiguous or match.conflict) else frozenset()
    gate = decide(policy, fields, findings, vendor=known, amount=total, currency=values["currency"],
                  confirmed=vouched)

    warnings = [f.message for f in findings if not f.rule.startswith("duplicate.")]  # a duplicate has its own line
    if not edited:  # what the reader noticed; once a person has edited the values, the checks above speak
        warnings += [w for w in extraction_warnings if w not in warnings]
    values.update(checks=[f.as_dict() for f in findings], warnings=warnings, gate_level=gate.level,
                  gate_reasons=gate.reasons)
    return Assessment(values, findings, gate, match)


def _match_dict(match: vendors.VendorMatch | None) -> dict[str, Any]:
    if match is None:
        return {}
    return {"vendor_id": match.vendor_id, "name": match.name, "by": match.by, "score": match.score,
            "ambiguous": match.ambiguous, "conflict": match.conflict, "note": match.note,
            "default_approver": match.vendor.default_approver}


async def _same_vendor(s: AsyncSession, inv: Invoice, values: dict[str, Any]) -> list[Any]:
    """The same vendor's earlier invoices (only the columns the rules read: the rows carry whole documents):
    matched to the same master vendor, or with the same normalised name."""
    same = []
    if values.get("vendor_id"):
        same.append(Invoice.vendor_id == values["vendor_id"])
    if values.get("vendor_norm"):
        same.append(Invoice.vendor_norm == values["vendor_norm"])
    if not same:
        return []
    columns = (Invoice.id, Invoice.invoice_number, Invoice.invoice_date, Invoice.total, Invoice.currency,
               Invoice.state, Invoice.received_at)
    rows = await s.execute(select(*columns).where(
        Invoice.tenant_id == inv.tenant_id, Invoice.id != inv.id, Invoice.state.not_in(("failed", "received",
                                                                                         "extracting")),
        or_(*same)).order_by(Invoice.received_at.desc()).limit(DUPLICATE_LOOKBACK))
    return list(rows.all())


async def _approved_count(s: AsyncSession, inv: Invoice, vendor_norm: str) -> int:
    count = select(func.count()).select_from(Invoice).where(
        Invoice.tenant_id == inv.tenant_id, Invoice.vendor_norm == vendor_norm, Invoice.id != inv.id,
        Invoice.state.in_(("approved", "exported")), Invoice.decided_by_id.not_in(("", "system")))
    return int((await s.execute(count)).scalar_one())
