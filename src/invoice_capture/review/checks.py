"""Checks run on an invoice's current values (after extraction and after every edit).

Each check returns plain sentences a clerk can act on; the card lists them as warnings. The extraction engine
already chooses amounts that close arithmetically where it can; these checks say so when the values as they
stand (possibly edited by hand) do not.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

#: Cents of slack: invoices round per line.
TOLERANCE = 0.011


def value(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else None


def _num(fields: dict[str, Any], name: str) -> float | None:
    v = value(fields, name)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _fmt(x: float) -> str:
    return f"{x:,.2f}"


def arithmetic(fields: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    sub, disc, tax, total = (_num(fields, n) for n in ("SubTotal", "TotalDiscount", "TotalTax", "InvoiceTotal"))
    due, prev = _num(fields, "AmountDue"), _num(fields, "PreviousUnpaidBalance")
    if sub is not None and tax is not None and total is not None:
        expect = sub - abs(disc or 0.0) + tax
        if abs(expect - total) > TOLERANCE + abs(total) * 1e-6:
            minus = f" − {_fmt(abs(disc))}" if disc else ""
            out.append(f"Subtotal{' − discount' if disc else ''} + tax ({_fmt(sub)}{minus} + {_fmt(tax)} = "
                       f"{_fmt(expect)}) does not equal the total {_fmt(total)}.")
    if due is not None and total is not None and abs(due - total - (prev or 0.0)) > TOLERANCE and due > total + (
            prev or 0.0):
        out.append(f"Amount due {_fmt(due)} is more than the total {_fmt(total)}"
                   f"{f' plus the previous balance {_fmt(prev)}' if prev else ''}.")
    amounts = [it.get("Amount", {}).get("value") for it in items if isinstance(it, dict)]
    amounts = [a for a in amounts if isinstance(a, int | float)]
    if sub is not None and amounts and len(amounts) == len(items):
        s = sum(amounts)
        if abs(s - sub) > TOLERANCE * len(amounts) and abs(s - (total or -1)) > TOLERANCE * len(amounts):
            out.append(f"The line items add up to {_fmt(s)}, not the subtotal {_fmt(sub)}.")
    return out


def dates(fields: dict[str, Any], today: dt.date | None = None) -> list[str]:
    out: list[str] = []
    today = today or dt.date.today()
    inv, due = value(fields, "InvoiceDate"), value(fields, "DueDate")
    try:
        inv_d = dt.date.fromisoformat(inv) if isinstance(inv, str) else None
        due_d = dt.date.fromisoformat(due) if isinstance(due, str) else None
    except ValueError:
        return out
    if inv_d and due_d and due_d < inv_d:
        out.append("The due date is before the invoice date.")
    if inv_d and inv_d > today + dt.timedelta(days=1):
        out.append(f"The invoice date {inv_d.isoformat()} is in the future.")
    three_years = today.replace(year=today.year - 3, day=28 if (today.month, today.day) == (2, 29) else today.day)
    if inv_d and inv_d < three_years:
        out.append(f"The invoice date {inv_d.isoformat()} is more than three years back.")
    return out


_SUFFIX = re.compile(r"(?:[-/ ](?:R|REV)|[-/ ]?COPY)$")


def normalise_number(number: str) -> str:
    """Invoice numbers as a duplicate check compares them: case, spaces, punctuation, leading zeros of each
    group of digits, and a re-issue suffix ("-R", "/REV", "COPY") do not make a different invoice. A trailing
    "-1" is kept: INV-1 and INV-2 are different invoices far more often than re-issues of one."""
    s = (number or "").upper().strip()
    s = _SUFFIX.sub("", s)
    s = re.sub(r"(?<![0-9])0+(?=[0-9])", "", s)
    return re.sub(r"[^0-9A-Z]", "", s)
