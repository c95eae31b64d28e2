"""Line items: find the table header, derive columns from it, read rows until the totals.

A header is a line naming at least two item columns (description, quantity, price, amount, ...) in any of the
supported languages. Column spans come from where the header words sit; each word below is put in the column it
overlaps (or the nearest one, since numbers are usually right-aligned under their header). A line with no
number in a numeric column continues the previous row's description (wrapped text). On later pages a repeated
header continues the same table, so items that run over a page break stay one list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from invoice_capture.extraction.labels import find_labels
from invoice_capture.extraction.layout import Layout, Line, union
from invoice_capture.extraction.model import Field, Word
from invoice_capture.extraction.normalize import find_amounts, parse_amount

TOTAL_FIELDS = {"SubTotal", "InvoiceTotal", "AmountDue", "TotalTax", "TotalDiscount", "PreviousUnpaidBalance"}
_RATE = re.compile(r"^(\d{1,2}(?:[.,]\d{1,2})?)\s*%?$")


@dataclass(slots=True)
class Column:
    name: str
    x0: float
    x1: float


@dataclass(slots=True)
class Table:
    header_lines: list[int]
    row_lines: list[int]
    items: list[dict[str, Field]]


def header_columns(line: Line) -> list[Column] | None:
    """Columns if ``line`` is an item-table header, else None."""
    cols: list[Column] = []
    covered = 0
    total = 0
    for seg in line.segments:
        hits = find_labels(seg.text, table="items")
        total += len(seg.text.replace(" ", ""))
        for h in hits:
            ws = seg.words_in(h.start, h.end)
            cols.append(Column(h.field, ws[0].x0, ws[-1].x1))
            covered += h.end - h.start
    names = {c.name for c in cols}
    if len(names) < 2 or not (names & {"Amount", "UnitPrice", "Quantity"}):
        return None
    if not (names & {"Description", "ProductCode"}) and len(names) < 3:
        return None
    if total == 0 or covered / total < 0.6:
        return None
    cols.sort(key=lambda c: c.x0)
    # the same column name twice: keep both only for Amount-like columns (net/gross); rename the first
    seen: dict[str, int] = {}
    for c in cols:
        seen[c.name] = seen.get(c.name, 0) + 1
    if seen.get("Amount", 0) > 1:
        amounts = [c for c in cols if c.name == "Amount"]
        for c in amounts[:-1]:
            c.name = "UnitPrice" if "UnitPrice" not in seen else "Amount_extra"
    return cols


def _assign(word: Word, cols: list[Column]) -> Column:
    best = None
    best_ov = 0.0
    for c in cols:
        ov = min(word.x1, c.x1) - max(word.x0, c.x0)
        if ov > best_ov:
            best, best_ov = c, ov
    if best is not None:
        return best
    cx = (word.x0 + word.x1) / 2
    # numbers are right-aligned under their header, text left-aligned: measure to the nearer edge
    def dist(c: Column) -> float:
        return min(abs(cx - (c.x0 + c.x1) / 2), abs(word.x1 - c.x1), abs(word.x0 - c.x0))
    return min(cols, key=dist)


def _is_totals_line(line: Line) -> bool:
    """A line that leads with a totals label ("Subtotal", "Total HT", "MwSt.") ends the item rows above it."""
    for seg in line.segments:
        hits = [h for h in find_labels(seg.text) if h.field in TOTAL_FIELDS]
        if hits and hits[0].start == 0 and not hits[0].weak:
            return True
    first = line.segments[0].text if line.segments else ""
    hits = [h for h in find_labels(first) if h.field in TOTAL_FIELDS]
    return bool(hits) and hits[0].start == 0 and len(line.segments) <= 3


def find_tables(layout: Layout, decimal_hint: str | None) -> list[Table]:
    tables: list[Table] = []
    current: Table | None = None
    cols: list[Column] | None = None
    lines = layout.lines
    i = 0
    while i < len(lines):
        ln = lines[i]
        hc = header_columns(ln)
        if hc is not None:
            if current is None or ln.page == lines[current.header_lines[-1]].page:
                if current is not None and current.items:
                    tables.append(current)
                current = Table([ln.index], [], [])
            else:
                current.header_lines.append(ln.index)
            cols = hc
            i += 1
            i = _read_rows(layout, i, cols, current, decimal_hint)
            continue
        i += 1
    if current is not None and current.items:
        tables.append(current)
    return tables


def _cells(line: Line, cols: list[Column], decimal_hint: str | None) -> dict[str, Field]:
    cells: dict[str, list[Word]] = {}
    for w in line.words:
        cells.setdefault(_assign(w, cols).name, []).append(w)
    return _parse_row(cells, decimal_hint)


def _is_item(row: dict[str, Field]) -> bool:
    """A row starts an item when it has a line amount, or a quantity and a unit price (amount on the next line)."""
    if "Amount" in row:
        return "Description" in row or len(row) >= 2
    return "UnitPrice" in row and "Quantity" in row and ("Description" in row or "ProductCode" in row)


def _read_rows(layout: Layout, i: int, cols: list[Column], table: Table, decimal_hint: str | None) -> int:
    """Rows under a header until the totals, a new header, a page break or a run of non-item lines.

    Between items, lines that are neither an item nor its continuation (GTINs, "(Art)", notes) are stepped over,
    up to a few in a row. A line with only an amount completes the previous item when that item has none (the
    amount printed on the row's second line). A subtotal of a group of items ("Subtotal 112.00") does not end
    the table when items follow it.
    """
    lines = layout.lines
    header = lines[i - 1]
    prev_bottom = header.bbox[3]
    last_item: dict[str, Field] | None = None
    last_was_item = False
    row_h = max(header.height, 1.0)
    noise = 0
    while i < len(lines):
        ln = lines[i]
        if ln.page != header.page or header_columns(ln) is not None:
            break
        if ln.bbox[1] - prev_bottom > 4.5 * row_h and table.items:
            break
        if _is_totals_line(ln) and table.items:
            nxt = [lines[j] for j in range(i + 1, min(i + 3, len(lines))) if lines[j].page == ln.page]
            if table.items and any(not _is_totals_line(n) and _is_item(_cells(n, cols, decimal_hint))
                                   and "Description" in _cells(n, cols, decimal_hint) for n in nxt):
                i += 1
                prev_bottom = ln.bbox[3]
                last_was_item = False
                continue
            break
        row = _cells(ln, cols, decimal_hint)
        near = ln.bbox[1] - prev_bottom < 2.2 * row_h
        if (last_item is not None and "Amount" in row and "Amount" not in last_item and "Description" not in row
                and near):
            for k, f in row.items():
                last_item.setdefault(k, f)
            table.row_lines.append(ln.index)
            noise = 0
        elif _is_item(row):
            table.items.append(row)
            table.row_lines.append(ln.index)
            last_item = row
            last_was_item = True
            row_h = max(ln.height, 1.0)
            noise = 0
        elif (last_item is not None and last_was_item and set(row) <= {"Description", "ProductCode", "Unit"}
              and "Description" in row and near and row["Description"].value[:1].isalpha()):
            d = last_item.get("Description")
            extra = row["Description"]
            if d is None:
                last_item["Description"] = extra
            else:
                d.value = f"{d.value} {extra.value}"
                d.text = d.value
                d.bbox = union([d.bbox, extra.bbox]) if d.bbox and extra.bbox else d.bbox
            table.row_lines.append(ln.index)
        elif row:
            last_was_item = False
            noise += 1
            if table.items and noise > 4:
                break
        prev_bottom = ln.bbox[3]
        i += 1
    return i


def _field(value, words: list[Word], conf: float = 0.8) -> Field:
    return Field(value=value, text=" ".join(w.text for w in words), confidence=conf * min(w.conf for w in words),
                 page=words[0].page, bbox=union(w.bbox for w in words), method="table")


def _parse_row(cells: dict[str, list[Word]], decimal_hint: str | None) -> dict[str, Field]:
    row: dict[str, Field] = {}
    for name, ws in cells.items():
        text = " ".join(w.text for w in ws).strip()
        if not text:
            continue
        if name in ("Amount", "UnitPrice", "Tax", "Amount_extra"):
            found = find_amounts(text, decimal_hint)
            if found:
                v = found[-1][2]
                key = "Amount" if name == "Amount_extra" else name
                if key == "Amount" and "Amount" in row:
                    continue
                row[key] = _field(v, ws)
        elif name == "Quantity":
            m = re.match(r"^(-?[\d.,' ]+)\s*([A-Za-z%.]{0,10})$", text)
            q = parse_amount(m.group(1), decimal_hint) if m else None
            if q is not None:
                row["Quantity"] = _field(q, ws)
                if m and m.group(2) and "Unit" not in cells:
                    row["Unit"] = _field(m.group(2), ws)
        elif name == "TaxRate":
            m = _RATE.match(text.replace(" ", ""))
            if m:
                row["TaxRate"] = _field(Decimal(m.group(1).replace(",", ".")), ws)
        elif name == "Unit":
            if len(text) <= 12:
                row["Unit"] = _field(text, ws)
        elif name == "ProductCode":
            if len(text) <= 40:
                row["ProductCode"] = _field(text, ws)
        else:
            row["Description"] = _field(text, ws)
    # a description that ends with trailing numbers in a table without numeric columns found
    return row


def check_items(items: list[dict[str, Field]]) -> None:
    """Quantity x unit price = amount raises all three; a mismatch lowers them."""
    for it in items:
        q, p, a = it.get("Quantity"), it.get("UnitPrice"), it.get("Amount")
        if q and p and a:
            ok = abs(Decimal(q.value) * Decimal(p.value) - Decimal(a.value)) <= Decimal("0.011") * max(
                Decimal(1), Decimal(q.value))
            for f in (q, p, a):
                f.confidence = min(0.97, f.confidence + 0.15) if ok else f.confidence * 0.8
        for name, f in it.items():
            if name == "Description" and f.confidence < 0.9:
                f.confidence = min(0.9, f.confidence + 0.05)


def items_sum(items: list[dict[str, Field]]) -> Decimal | None:
    vals = [it["Amount"].value for it in items if "Amount" in it]
    return sum(vals, Decimal(0)) if vals else None


def headerless_items(layout: Layout, target: Decimal, decimal_hint: str | None,
                     before_line: int) -> list[dict[str, Field]]:
    """Rows of a receipt or a table without a header: 'text ... amount' lines right above the totals.

    Without a header nothing says where the table is, so the rows are accepted only when the arithmetic
    proves them: their amounts must add up to ``target`` (the subtotal, or the total when there is none).
    """
    rows: list[dict[str, Field]] = []
    lines = layout.lines
    i = before_line - 1
    skipped = 0
    while i >= 0 and len(rows) < 60:
        ln = lines[i]
        if ln.page != lines[before_line].page:
            break
        text = " ".join(s.text for s in ln.segments)
        found = find_amounts(text, decimal_hint)
        segs = list(ln.segments)
        if len(segs) > 1 and len(segs[-1].text.strip()) <= 2 and not any(c.isdigit() for c in segs[-1].text):
            segs = segs[:-1]  # a till's tax flag after the price ("$899.99 S")
        last = segs[-1]
        if len(segs) == 1:  # "LG FLATSCREEN 65 $899.99": price glued to the text run
            m = find_amounts(last.text, decimal_hint)
            if m and m[-1][0] > 0 and any(c.isalpha() for c in last.text[: m[-1][0]]):
                head, tail = last.sub(0, m[-1][0]), last.sub(m[-1][0], len(last.text))
                if head is not None and tail is not None:
                    segs = [head, tail]
                    last = tail
        desc_words = [w for s in segs[:-1] for w in s.words] if len(segs) > 1 else []
        if found and desc_words and any(c.isalpha() for c in " ".join(w.text for w in desc_words)) and \
                find_amounts(last.text, decimal_hint) and not find_labels(segs[0].text):
            amount = find_amounts(last.text, decimal_hint)[-1][2]
            qty = None
            m = re.match(r"^(\d{1,3})\s+(?=\D)", segs[0].text)
            desc = desc_words
            if m:
                qty = Decimal(m.group(1))
                desc = desc_words[1:] or desc_words
            row = {"Description": _field(" ".join(w.text for w in desc), desc),
                   "Amount": _field(amount, last.words)}
            if qty is not None:
                row["Quantity"] = _field(qty, desc_words[:1])
            rows.append(row)
            skipped = 0
            total = sum((r["Amount"].value for r in rows), Decimal(0))
            if abs(total - target) <= Decimal("0.011"):
                rows.reverse()
                for r in rows:
                    for f in r.values():
                        f.confidence = max(f.confidence, 0.85 if f is r["Amount"] else f.confidence)
                return rows
            if total > abs(target) + Decimal("0.011"):
                return []
        else:
            skipped += 1
            if skipped > 2:
                return []
        i -= 1
    return []
