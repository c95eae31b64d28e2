"""Turn what a person typed into a field value of the extraction contract.

Inputs come from an Adaptive Card (Input.Number gives a number, Input.Date ``YYYY-MM-DD``) or from the upload
page (strings as typed, e.g. "1.234,56"). A value that cannot be understood is refused with a sentence, never
stored half-parsed: the clerk is the last line of defence for these values.
"""

from __future__ import annotations

import re
from typing import Any

from invoice_capture.extraction.model import AMOUNT_FIELDS, DATE_FIELDS, HEADER_FIELDS
from invoice_capture.extraction.normalize.amounts import parse_amount
from invoice_capture.extraction.normalize.currency import ISO_4217
from invoice_capture.extraction.normalize.dates import parse_date
from invoice_capture.extraction.normalize.ids import bic_valid, iban_valid, normalize_iban
from invoice_capture.review.workflow import Refused

#: Fields a person may set by hand: the header fields, plus the payment details flattened.
EDITABLE = frozenset(HEADER_FIELDS) - {"PaymentDetails", "TaxDetails"} | {"IBAN", "SWIFT"}


def parse_input(name: str, raw: Any) -> Any:
    """The value for field ``name`` from ``raw``; None clears the field. Raises ``Refused`` when unreadable."""
    if name not in EDITABLE:
        raise Refused(f"{name} is not a field that can be edited.")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if name in AMOUNT_FIELDS:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return round(float(raw), 2)
        amount = parse_amount(str(raw))
        if amount is None:
            raise Refused(f"{name}: {raw!r} is not an amount. Type it as on the invoice, e.g. 1,234.56.")
        return round(float(amount), 2)
    text = str(raw).strip()
    if name in DATE_FIELDS:
        parsed = parse_date(text, "YMD" if re.match(r"\d{4}-", text) else None)
        if parsed is None:
            raise Refused(f"{name}: {text!r} is not a date. Use YYYY-MM-DD.")
        return parsed.value.isoformat()
    if name == "CurrencyCode":
        code = text.upper()
        if code not in ISO_4217:
            raise Refused(f"Currency: {text!r} is not an ISO currency code (EUR, USD, GBP, ...).")
        return code
    if name == "IBAN":
        iban = normalize_iban(text)
        if not iban_valid(iban):
            raise Refused(f"IBAN {text!r} fails its checksum; check every character.")
        return iban
    if name == "SWIFT":
        bic = text.replace(" ", "").upper()
        if not bic_valid(bic):
            raise Refused(f"SWIFT/BIC {text!r} is not a valid BIC (8 or 11 characters).")
        return bic
    return text[:500]


def current_value(fields: dict[str, Any], name: str) -> Any:
    if name in ("IBAN", "SWIFT"):
        details = (fields.get("PaymentDetails") or {}).get("value") or []
        first = details[0] if details and isinstance(details[0], dict) else {}
        v = first.get(name)
        return v.get("value") if isinstance(v, dict) else v
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else None


def apply_edits(fields: dict[str, Any], edits: dict[str, Any], editor: str) -> tuple[dict[str, Any], dict[str, list]]:
    """New fields with ``edits`` applied, and the changes as ``{name: [before, after]}`` (only real changes)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in fields.items()}
    changes: dict[str, list[Any]] = {}
    for name, raw in edits.items():
        new = parse_input(name, raw)
        old = current_value(fields, name)
        if new == old or (isinstance(new, float) and isinstance(old, int | float) and abs(new - old) < 0.005):
            continue
        changes[name] = [old, new]
        if name in ("IBAN", "SWIFT"):
            pd = dict(out.get("PaymentDetails") or {"value": [{}]})
            details = [dict(d) for d in (pd.get("value") or [{}])] or [{}]
            details[0][name] = new
            pd.update(value=details, confidence=1.0, method="manual", edited_by=editor)
            out["PaymentDetails"] = pd
            continue
        if new is None:
            out.pop(name, None)
            continue
        prev = out.get(name) if isinstance(out.get(name), dict) else {}
        out[name] = {**prev, "value": new, "text": str(raw), "confidence": 1.0, "method": "manual",
                     "edited_by": editor}
    return out, changes
