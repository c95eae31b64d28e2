"""Named checks run on an invoice's current values (after extraction and after every edit).

Each rule has a stable name (``arithmetic.totals``, ``duplicate.same_number``, ``vendor.bank_changed``...) so the
card, the audit log, the gate and the tests all speak about the same thing, and a plain sentence a clerk can act
on. The extraction engine already chooses amounts that close arithmetically where it can; these checks say so
when the values as they stand (possibly edited by hand) do not. Everything here is pure: the service gathers the
earlier invoices and the vendor master and hands them in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Protocol

#: Cents of slack: invoices round per line.
TOLERANCE = 0.011

#: Severity decides what a finding does to the gate: any finding stops L1; a fraud finding makes it L3.
WARNING, DUPLICATE, FRAUD = "warning", "duplicate", "fraud"


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    severity: str = WARNING
    ref: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def value(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else None


def _num(fields: dict[str, Any], name: str) -> float | None:
    v = value(fields, name)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _fmt(x: float) -> str:
    return f"{x:,.2f}"


# ------------------------------------------------------------------------------------------ arithmetic


def arithmetic(fields: dict[str, Any], items: list[dict[str, Any]]) -> list[Finding]:
    """``arithmetic.totals`` (subtotal − discount + tax = total), ``arithmetic.amount_due`` (due = total +
    previous balance) and ``arithmetic.items`` (line items sum to the subtotal)."""
    out: list[Finding] = []
    sub, disc, tax, total = (_num(fields, n) for n in ("SubTotal", "TotalDiscount", "TotalTax", "InvoiceTotal"))
    due, prev = _num(fields, "AmountDue"), _num(fields, "PreviousUnpaidBalance")
    if sub is not None and tax is not None and total is not None:
        expect = sub - abs(disc or 0.0) + tax
        if abs(expect - total) > TOLERANCE + abs(total) * 1e-6:
            minus = f" − {_fmt(abs(disc))}" if disc else ""
            out.append(Finding("arithmetic.totals", (
                f"Subtotal{' − discount' if disc else ''} + tax ({_fmt(sub)}{minus} + {_fmt(tax)} = "
                f"{_fmt(expect)}) does not equal the total {_fmt(total)}.")))
    if due is not None and total is not None and abs(due - total - (prev or 0.0)) > TOLERANCE and due > total + (
            prev or 0.0):
        out.append(Finding("arithmetic.amount_due", (
            f"Amount due {_fmt(due)} is more than the total {_fmt(total)}"
            f"{f' plus the previous balance {_fmt(prev)}' if prev else ''}.")))
    amounts = [it.get("Amount", {}).get("value") for it in items if isinstance(it, dict)]
    amounts = [a for a in amounts if isinstance(a, int | float)]
    if sub is not None and amounts and len(amounts) == len(items):
        s = sum(amounts)
        if abs(s - sub) > TOLERANCE * len(amounts) and abs(s - (total or -1)) > TOLERANCE * len(amounts):
            out.append(Finding("arithmetic.items", f"The line items add up to {_fmt(s)}, not the subtotal "
                                                   f"{_fmt(sub)}."))
    return out


# ------------------------------------------------------------------------------------------ dates


def dates(fields: dict[str, Any], today: dt.date | None = None, *, max_age_years: int = 3,
          future_days: int = 1) -> list[Finding]:
    """``dates.due_before_invoice``, ``dates.future`` and ``dates.too_old``."""
    out: list[Finding] = []
    today = today or dt.date.today()
    inv, due = value(fields, "InvoiceDate"), value(fields, "DueDate")
    try:
        inv_d = dt.date.fromisoformat(inv) if isinstance(inv, str) else None
        due_d = dt.date.fromisoformat(due) if isinstance(due, str) else None
    except ValueError:
        return out
    if inv_d and due_d and due_d < inv_d:
        out.append(Finding("dates.due_before_invoice", "The due date is before the invoice date."))
    if inv_d and inv_d > today + dt.timedelta(days=future_days):
        out.append(Finding("dates.future", f"The invoice date {inv_d.isoformat()} is in the future."))
    leap = (today.month, today.day) == (2, 29)
    years_back = today.replace(year=today.year - max_age_years, day=28 if leap else today.day)
    if inv_d and inv_d < years_back:
        years = "one year" if max_age_years == 1 else f"{_words(max_age_years)} years"
        out.append(Finding("dates.too_old", f"The invoice date {inv_d.isoformat()} is more than {years} back."))
    return out


def _words(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


# ------------------------------------------------------------------------------------------ duplicates

_SUFFIX = re.compile(r"(?:[-/ ](?:R|REV)|[-/ ]?COPY)$")
#: What vendors append to an invoice number they send again: "-R", "/REV", " COPY", "/1", "-2".
_REISSUE = re.compile(r"^(?P<base>.*\d.*?)\s*[-/ ]\s*(?:R|REV|COPY|[1-9])$", re.IGNORECASE)


def normalise_number(number: str) -> str:
    """Invoice numbers as a duplicate check compares them: case, spaces, punctuation, leading zeros of each
    group of digits, and a re-issue suffix ("-R", "/REV", "COPY") do not make a different invoice. A trailing
    "-1" is kept here (INV-1 and INV-2 are different invoices far more often than re-issues of one);
    ``number_relation`` recognises "INV-100/1" as a re-issue of "INV-100" by comparing the two."""
    s = (number or "").upper().strip()
    s = _SUFFIX.sub("", s)
    s = re.sub(r"(?<![0-9])0+(?=[0-9])", "", s)
    return re.sub(r"[^0-9A-Z]", "", s)


def number_relation(a: str, b: str) -> str | None:
    """How two invoice numbers of one vendor relate: ``same`` (equal once normalised), ``reissue`` (one is the
    other plus a re-issue suffix such as "-R" or "/1"), ``transposed`` (two neighbouring digits swapped, the
    commonest typing error), or None."""
    na, nb = normalise_number(a), normalise_number(b)
    if not na or not nb:
        return None
    if na == nb:
        return "same"
    for number, other in ((a, nb), (b, na)):
        m = _REISSUE.match((number or "").strip())
        if m and normalise_number(m.group("base")) == other:
            return "reissue"
    if len(na) == len(nb) and len(na) >= 4:
        diff = [i for i, (x, y) in enumerate(zip(na, nb, strict=True)) if x != y]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and na[diff[0]] == nb[diff[1]] \
                and na[diff[1]] == nb[diff[0]] and na[diff[0]].isdigit() and na[diff[1]].isdigit():
            return "transposed"
    return None


class Earlier(Protocol):
    """What the duplicate rules need to know of an earlier invoice (an ``Invoice`` row has all of it)."""

    id: str
    invoice_number: str
    invoice_date: str
    total: Decimal | None
    currency: str
    state: str
    received_at: dt.datetime


_RELATION_WORDS = {
    "same": "has the same invoice number as",
    "reissue": "has the number of a re-issue of",
    "transposed": "has an invoice number that differs only by two swapped digits from",
}


def duplicates(number: str, total: float | None, currency: str, invoice_date: str,
               earlier: Iterable[Earlier], *, window_days: int = 7) -> list[Finding]:
    """``duplicate.same_number`` and ``duplicate.same_amount_date`` against the same vendor's earlier invoices
    (the same file twice, ``duplicate.same_file``, never gets this far: receive() gives the earlier invoice
    back). The strongest finding comes first; each names the earlier invoice and its state."""
    by_number: list[Finding] = []
    by_amount: list[Finding] = []
    try:
        day = dt.date.fromisoformat(invoice_date) if invoice_date else None
    except ValueError:
        day = None
    for other in earlier:
        ref = {"id": other.id, "invoice_number": other.invoice_number, "state": other.state,
               "received_at": other.received_at.isoformat() if other.received_at else ""}
        relation = number_relation(number, other.invoice_number) if number else None
        label = other.invoice_number or "an earlier invoice"
        if relation:
            by_number.append(Finding("duplicate.same_number", (
                f"This invoice {_RELATION_WORDS[relation]} {label} ({_state_words(other.state)}, received "
                f"{ref['received_at'][:10]}) from the same vendor."), DUPLICATE, {**ref, "relation": relation}))
            continue
        if total is None or other.total is None or day is None or not other.invoice_date:
            continue
        try:
            other_day = dt.date.fromisoformat(other.invoice_date)
        except ValueError:
            continue
        same_money = abs(float(other.total) - total) < 0.005 and (other.currency or "") == (currency or "")
        if same_money and abs((other_day - day).days) <= window_days:
            by_amount.append(Finding("duplicate.same_amount_date", (
                f"Same vendor, same amount and an invoice date within {window_days} days of {label} "
                f"({_state_words(other.state)}, dated {other.invoice_date})."), DUPLICATE, ref))
    order = {"same": 0, "reissue": 1, "transposed": 2}
    by_number.sort(key=lambda f: order.get(f.ref.get("relation", ""), 9))
    return by_number + by_amount


def _state_words(state: str) -> str:
    return state.replace("_", " ")


# ------------------------------------------------------------------------------------------ all together


def run_values(fields: dict[str, Any], items: list[dict[str, Any]], *, today: dt.date | None = None,
               max_age_years: int = 3, future_days: int = 1) -> list[Finding]:
    """The checks that need nothing but the invoice's own values."""
    return arithmetic(fields, items) + dates(fields, today, max_age_years=max_age_years, future_days=future_days)


def messages(findings: Sequence[Finding]) -> list[str]:
    return [f.message for f in findings]
