"""The HITL gate: how much a person must do for one invoice (L0..L3, DESIGN.md), and why, in plain words.

L3 when a check smells of fraud (bank details that differ from the vendor master); L1 (approve automatically and
notify) only when every key field was read with confidence, every check passed, the vendor is known and the total
is under the policy's threshold; L0 (act and log only) when the policy switches it on for tiny amounts on top of
that; L2 (a person approves) otherwise. The reasons are written for the card: a clerk reads "new vendor" or
"total above 5,000 EUR", not a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from invoice_capture.review.checks import FRAUD, Finding
from invoice_capture.review.policy import Policy

FIELD_WORDS = {
    "VendorName": "vendor", "InvoiceId": "invoice number", "InvoiceDate": "invoice date", "DueDate": "due date",
    "InvoiceTotal": "total", "AmountDue": "amount due", "SubTotal": "subtotal", "TotalTax": "tax",
    "CurrencyCode": "currency", "PurchaseOrder": "PO number", "CustomerName": "customer",
    "PaymentDetails": "bank details", "VendorTaxId": "vendor tax id",
}


@dataclass(frozen=True)
class Gate:
    level: str
    reasons: list[str] = field(default_factory=list)

    @property
    def automatic(self) -> bool:
        """L0 and L1 approve without a person."""
        return self.level in ("L0", "L1")


def _confidence(fields: dict[str, Any], name: str) -> float | None:
    f = fields.get(name)
    if not isinstance(f, dict) or f.get("value") in (None, "", []):
        return None
    c = f.get("confidence")
    return float(c) if isinstance(c, int | float) else 0.0


def decide(policy: Policy, fields: dict[str, Any], findings: Sequence[Finding], *, vendor: str | None,
           amount: float | None, currency: str, confirmed: frozenset[str] = frozenset()) -> Gate:
    """The level for an invoice as it stands.

    ``vendor`` is the known vendor's name (vendor master, or history where the policy allows), None for a new one;
    ``amount`` and ``currency`` are the invoice's total as read; ``confirmed`` are fields another source vouches
    for whatever the reader's confidence (the vendor, when its tax id or IBAN matched the vendor master).
    """
    fraud = [f for f in findings if f.severity == FRAUD]
    if fraud:
        return Gate("L3", [_short(f) for f in fraud] + ["an approver must confirm it by calling the vendor back"])
    reasons: list[str] = []
    auto = policy.auto_approve
    key = [n for n in policy.key_fields if n not in confirmed]
    missing = [FIELD_WORDS.get(n, n) for n in key if _confidence(fields, n) is None]
    doubtful = [f"{FIELD_WORDS.get(n, n)} ({round((_confidence(fields, n) or 0) * 100)}%)"
                for n in key if (c := _confidence(fields, n)) is not None and c < auto.min_confidence]
    if missing:
        reasons.append("missing: " + ", ".join(missing))
    if doubtful:
        reasons.append("not sure of: " + ", ".join(doubtful))
    reasons.extend(_short(f) for f in findings)
    if vendor is None:
        reasons.append("new vendor (not in the vendor master)")
    base = policy.to_base(amount, currency)
    if amount is None:
        if "total" not in missing:
            reasons.append("total unknown")
    elif base is None:
        reasons.append(f"no exchange rate for {currency} in the policy" if currency else "currency unknown")
    elif base is not None and base > auto.max_total:
        reasons.append(f"total above {policy.money(auto.max_total)}")
    if not auto.enabled:
        reasons.append("automatic approval is switched off")
    if reasons:
        return Gate("L2", reasons)
    assert base is not None
    why = [f"every key field read with confidence of at least {round(auto.min_confidence * 100)}%",
           "all checks passed", f"known vendor {vendor}", f"total under {policy.money(auto.max_total)}"]
    if policy.log_only.enabled and base <= policy.log_only.max_total:
        return Gate("L0", [*why[:3], f"total under {policy.money(policy.log_only.max_total)}"])
    return Gate("L1", why)


def _short(f: Finding) -> str:
    """A finding as a gate reason: its sentence without the final full stop, first letter lower-cased."""
    words = {
        "duplicate.same_number": "possible duplicate",
        "duplicate.same_amount_date": "possible duplicate (same amount and date)",
        "vendor.bank_changed": "bank details differ from the vendor master",
    }
    if f.rule in words:
        number = f.ref.get("invoice_number")
        extra = f" of {number}" if number and f.rule.startswith("duplicate") else ""
        return words[f.rule] + extra
    msg = f.message.rstrip(".")
    return msg[:1].lower() + msg[1:] if msg[:2] != msg[:2].upper() else msg
