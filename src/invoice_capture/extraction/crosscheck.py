"""Cross-checks that decide which amounts to believe and how much.

An invoice's amounts are redundant: SubTotal - TotalDiscount + TotalTax = InvoiceTotal, InvoiceTotal +
PreviousUnpaidBalance = AmountDue, and the line items add up to the SubTotal. When several candidates were
found for a field, the combination that closes these equations wins; the amounts in a closed equation earn a
high confidence, and amounts that contradict each other lose it. This is what lets the confidence mean
something: a value given at >= 0.9 has either a strong label and a clean read or arithmetic behind it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from invoice_capture.extraction.fields import Candidate

CENT = Decimal("0.011")
#: Confidence an amount earns when it is part of an equation that closes.
CLOSED = 0.97
#: Ceiling for an amount whose equation could be checked and did not close.
CONTRADICTED = 0.55
#: Ceiling for an amount nothing could check (a label alone is good evidence but not proof).
UNCHECKED = 0.88


@dataclass(slots=True)
class AmountChoice:
    chosen: dict[str, Candidate]
    closed: set[str]
    contradicted: set[str]
    notes: list[str]


def _top(cands: list[Candidate], n: int = 5) -> list[Candidate]:
    """Best candidates with distinct values, best first."""
    out: list[Candidate] = []
    seen: set[Decimal] = set()
    for c in sorted(cands, key=lambda c: -c.score):
        if c.value in seen:
            continue
        seen.add(c.value)
        out.append(c)
        if len(out) >= n:
            break
    return out


def _tax_sum(cands: list[Candidate]) -> Candidate | None:
    """Tax printed per rate on separate lines ("VAT 19% ... 37.62", "VAT 7% ... 19.25") and no tax total.

    The sum of one candidate per line is offered as a TotalTax of its own; the arithmetic decides whether it is
    the tax total (it must close subtotal + tax = total like any other candidate).
    """
    per_line: dict[int, Candidate] = {}
    for c in sorted(cands, key=lambda c: -c.score):
        per_line.setdefault(c.line, c)
    if len(per_line) < 2:
        return None
    parts = sorted(per_line.values(), key=lambda c: c.line)
    total = sum((c.value for c in parts), Decimal(0))
    first = parts[0]
    return Candidate("TotalTax", total, " + ".join(c.text for c in parts), min(c.score for c in parts), first.page,
                     first.bbox, "derived", min(c.conf for c in parts), first.line, extra={"parts": len(parts)})


def choose_amounts(by_field: dict[str, list[Candidate]], items_total: Decimal | None) -> AmountChoice:
    """The combination of total, subtotal, tax, discount, previous balance and due that fits best."""
    X = _top(by_field.get("InvoiceTotal", []))
    S = _top(by_field.get("SubTotal", []))
    T = _top(by_field.get("TotalTax", []))
    summed = _tax_sum(by_field.get("TotalTax", []))
    if summed is not None:
        T.append(summed)
    D = _top(by_field.get("TotalDiscount", []), 3)
    P = _top(by_field.get("PreviousUnpaidBalance", []), 3)
    A = _top(by_field.get("AmountDue", []), 4)

    best: tuple[float, dict[str, Candidate | None], set[str], set[str]] | None = None
    for x, s, t, d in itertools.product(X + [None], S + [None], T + [None], D + [None]):
        chosen: dict[str, Candidate | None] = {"InvoiceTotal": x, "SubTotal": s, "TotalTax": t, "TotalDiscount": d}
        score = sum(c.score for c in chosen.values() if c is not None)
        closed: set[str] = set()
        contra: set[str] = set()
        if x is not None and s is not None:
            # a discount is printed as "-2,125.82" as often as "2,125.82": it is subtracted either way
            lhs = s.value - (abs(d.value) if d else 0) + (t.value if t else 0)
            if abs(lhs - x.value) <= CENT and (t is not None or d is not None or s.value == x.value):
                closed |= {k for k, v in chosen.items() if v is not None}
                # an equation with more terms is stronger evidence than "subtotal equals total"
                score += 1.0 + 0.5 * sum(v is not None for v in (t, d))
            elif t is not None:
                contra |= {k for k, v in chosen.items() if v is not None}
                score -= 0.6
        if s is not None and items_total is not None and abs(items_total - s.value) <= CENT:
            closed.add("SubTotal")
            score += 0.6
        elif s is None and x is not None and items_total is not None and abs(items_total - x.value) <= CENT:
            closed.add("InvoiceTotal")
            score += 0.4
        # the equation is symmetric in subtotal and tax; tax rates stay below 100%, and without a discount
        # (or a negative tax) the subtotal cannot exceed the total
        if s is not None and t is not None and abs(t.value) >= abs(s.value) > 0:
            score -= 2.5
        if s is not None and x is not None and d is None and s.value > x.value * Decimal("1.001") > 0:
            score -= 2.5
        # a value used for two different amount fields is suspicious unless the fields are equal by nature
        vals = [c for c in (x, s, t, d) if c is not None]
        if len({(c.page, c.bbox) for c in vals}) < len(vals):
            score -= 2.0
        if best is None or score > best[0]:
            best = (score, chosen, closed, contra)
    assert best is not None
    _, chosen, closed, contra = best
    result = {k: v for k, v in chosen.items() if v is not None}
    notes: list[str] = []

    # AmountDue = InvoiceTotal + PreviousUnpaidBalance (or equal to the total)
    x = result.get("InvoiceTotal")
    due_best: tuple[float, Candidate | None, Candidate | None, bool] = (-1.0, None, None, False)
    for a, p in itertools.product(A + [None], P + [None]):
        if a is None:
            continue
        sc = a.score + (p.score if p else 0)
        ok = False
        if x is not None:
            target = x.value + (p.value if p else 0)
            if abs(target - a.value) <= CENT:
                ok = True
                sc += 1.0
        if sc > due_best[0]:
            due_best = (sc, a, p, ok)
    _, a, p, ok = due_best
    if a is not None:
        result["AmountDue"] = a
        if ok:
            closed.add("AmountDue")
            if p is not None:
                closed.add("PreviousUnpaidBalance")
    if p is not None:
        result["PreviousUnpaidBalance"] = p
    elif P:
        result["PreviousUnpaidBalance"] = P[0]
    if contra:
        notes.append("The amounts do not add up: subtotal - discount + tax differs from the total.")
    return AmountChoice(result, closed, contra - closed, notes)


def amount_confidence(c: Candidate, closed: bool, contradicted: bool) -> float:
    """Closed arithmetic beats everything; contradiction caps; otherwise the label evidence, capped."""
    reader = 0.6 + 0.4 * c.conf
    if closed:
        return round(min(0.99, CLOSED * (0.9 + 0.1 * c.conf)), 3)
    if contradicted:
        return round(min(CONTRADICTED, c.score * reader), 3)
    return round(min(UNCHECKED, c.score * reader), 3)
