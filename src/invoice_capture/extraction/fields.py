"""Header fields from a laid-out document: labels, the values next to or below them, and typed parsing.

The finder is deliberately generic: it knows the words invoices use (labels.py), how forms place a value
(after the label, to its right, or under it), and what a value of each type looks like. Each value found
becomes a ``Candidate`` with a score saying how it was found; ``select`` then picks per field and the
cross-checks (checks.py) turn scores into calibrated confidences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from invoice_capture.extraction.labels import LabelHit, find_labels, fold
from invoice_capture.extraction.layout import Layout, Line, Segment, union
from invoice_capture.extraction.model import AMOUNT_FIELDS, DATE_FIELDS, BBox
from invoice_capture.extraction.normalize import (
    find_amounts,
    find_dates,
    find_ibans,
    find_vat_ids,
    parse_date,
)

#: How much a value's position relative to its label is worth.
POSITION_SCORE = {"same": 0.92, "right": 0.9, "below": 0.8, "below2": 0.65}
WEAK_FACTOR = 0.8

#: "Facture n° 12 du 02/07/2015", "Rechnung Nr. 7 vom 05.03.2018", "Fattura n. 5 del 3/4/2025".
DATE_PREPOSITIONS = frozenset({"vom", "du", "del", "van", "de fecha"})
ID_FIELDS = frozenset({"InvoiceId", "PurchaseOrder", "CustomerId"})
TEXT_FIELDS = frozenset({"PaymentTerm"})
NAME_FIELDS = frozenset({"CustomerName", "VendorName"})

_ID_TOKEN = re.compile(r"[#№]?\s*([A-Za-z0-9][A-Za-z0-9\-_/.]*[A-Za-z0-9]|[0-9])")
_LEAD_PUNCT = re.compile(r"^[\s:;#.\-–—=|°º]+")
#: What stands between an id label and the id: "(380) Nr. 471102", "n° 123", "# No.: 2468", "Nummer: 7".
_ID_PREFIX = re.compile(
    r"^(?:\s*(?:\(\d{1,4}\)|nr|no|nº|n°|n|num|number|nummer|numero|número|#|:|\.|°|º)(?![A-Za-z0-9]))+\s*",
    re.IGNORECASE,
)
ADDRESS_BLOCK_FIELDS = frozenset({"ShippingAddress", "ServiceAddress", "RemittanceAddress"})
_LEGAL_FORM = re.compile(
    r"(?<![A-Za-z])(gmbh|ag|kg|ohg|e\.\s?k\.|ug|b\.?\s?v\.?|n\.?\s?v\.?|ltd\.?|limited|llc|l\.l\.c\.|inc\.?|corp\.?|"
    r"corporation|plc|llp|s\.?\s?a\.?\s?s\.?|s\.?\s?a\.?|sarl|s\.?\s?a\.?\s?r\.?\s?l\.?|eurl|s\.?\s?l\.?|"
    r"s\.?\s?r\.?\s?l\.?|s\.?\s?p\.?\s?a\.?|s\.?\s?n\.?\s?c\.?|bvba|vof|co\.|pvt\.?|gbr|se|oy|ab|as|aps)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
#: Quote marks and ticks that OCR sprinkles next to numbers ('"8078,11'): blanked before amounts are read.
_OCR_JUNK = str.maketrans({c: " " for c in "\"“”„`´|_~"})
_TRAILING_TITLE = re.compile(r"\s+(tax\s+)?(invoice|rechnung|facture|factuur|factura|fattura|receipt)\s*$", re.I)
_TITLE_WORDS = re.compile(
    r"^(tax\s+)?(invoice|rechnung|facture|factuur|factura|fattura|receipt|quittung|bill|statement|"
    r"credit note|gutschrift|avoir|creditnota|nota de credito|nota di credito|payment receipt|"
    r"original|copy|kopie|copie|duplicate|page|seite|pagina|blad)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Candidate:
    """One possible value for a field, with the evidence for it."""

    field: str
    value: Any
    text: str
    score: float
    page: int
    bbox: BBox
    method: str
    conf: float = 1.0  # reader's (OCR) confidence of the words involved
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DocContext:
    """What the document as a whole says about how to read its values."""

    decimal_hint: str | None = None
    date_order: str | None = None
    date_certainty: float = 0.0
    language: str | None = None
    country: str | None = None


def _strip_lead(text: str) -> tuple[str, int]:
    m = _LEAD_PUNCT.match(text)
    return (text[m.end():], m.end()) if m else (text, 0)


def _mask_dates(text: str) -> str:
    """Blank out dates so their digits are not read as amounts."""
    chars = list(text)
    for s, e, _ in find_dates(text):
        for i in range(s, e):
            chars[i] = " "
    return "".join(chars)


def parse_value(field_name: str, text: str, ctx: DocContext) -> tuple[Any, str, float] | None:
    """Typed value from the text following a label: (value, the text it came from, type-fit score)."""
    text = text.strip()
    if not text:
        return None
    if field_name in DATE_FIELDS:
        for s, e, raw in find_dates(text):
            if s > 12:
                break
            pd = parse_date(raw, ctx.date_order)
            if pd is not None:
                fit = 1.0
                if pd.ambiguous and ctx.date_certainty < 0.9:
                    fit = 0.75 if ctx.date_certainty >= 0.7 else 0.6
                return pd.value, text[s:e], fit
        return None
    if field_name in AMOUNT_FIELDS:
        masked = _mask_dates(text.translate(_OCR_JUNK))
        found = find_amounts(masked, ctx.decimal_hint)
        if not found:
            return None
        s, e, val = found[-1]
        raw = text[s:e]
        fit = 1.0 if re.search(r"[.,]\d{2}\b|[$€£¥₹]|\b[A-Z]{3}\b", raw) else 0.8
        # "21 %" is a rate, never an amount
        if text[e:e + 2].strip().startswith("%"):
            return None
        return val, raw, fit
    if field_name in ID_FIELDS:
        text = _ID_PREFIX.sub("", text)
        m = _ID_TOKEN.match(text)
        if not m:
            return None
        tok = m.group(1).rstrip(".,:;")
        if not any(c.isdigit() for c in tok) and not (len(tok) >= 4 and tok.isupper()):
            return None
        if len(tok) > 40:
            return None
        hits = find_labels(tok)
        if hits and hits[0].end - hits[0].start >= len(tok) - 1:
            return None  # a label word, not a value
        dates = find_dates(tok)
        if dates and dates[0][1] - dates[0][0] == len(tok):
            return None  # a date, not an id
        return tok, tok, 1.0 if any(c.isdigit() for c in tok) else 0.7
    if field_name == "VendorTaxId":
        ids = find_vat_ids(text)
        if ids:
            s, e, norm = ids[0]
            return norm, text[s:e], 1.0
        m = re.match(r"([A-Z]{0,3}[\s\-]?[0-9][0-9A-Z\s.\-/]{5,20}[0-9A-Z])", text)
        if m:
            return m.group(1).strip(), m.group(1).strip(), 0.7
        return None
    if field_name in NAME_FIELDS or field_name in ADDRESS_BLOCK_FIELDS:
        if len(text) < 2 or not any(c.isalpha() for c in text) or (find_labels(text) and _is_label_only(text)):
            return None
        if field_name in NAME_FIELDS and (text[0].islower() or text[0] in "([" or text.endswith(":")):
            return None
        return text.rstrip(" ,;"), text, 0.9
    if field_name in TEXT_FIELDS:
        if len(text) < 2:
            return None
        return text, text, 0.9
    return None


def _is_label_only(text: str) -> bool:
    hits = find_labels(text)
    covered = sum(h.end - h.start for h in hits)
    return covered >= len(re.sub(r"[\s:#.]", "", text)) * 0.6


def _below(layout: Layout, line: Line, x0: float, x1: float, max_lines: int = 2) -> list[tuple[int, Segment]]:
    """Segments under [x0, x1] on the next lines of the same page (value stacked under its label)."""
    out: list[tuple[int, Segment]] = []
    prev = line
    for depth, ln in enumerate(layout.lines[line.index + 1: line.index + 6], start=1):
        if ln.page != line.page:
            break
        gap = ln.bbox[1] - prev.bbox[3]
        if gap > 2.5 * max(line.height, 1.0):
            break
        for seg in ln.segments:
            overlap = min(x1, seg.bbox[2]) - max(x0, seg.bbox[0])
            if overlap > 0.3 * min(x1 - x0, seg.bbox[2] - seg.bbox[0]) or abs(seg.bbox[0] - x0) < 4:
                out.append((depth, seg))
                break
        prev = ln
        if depth >= max_lines:
            break
    return out


def label_candidates(layout: Layout, ctx: DocContext, skip_lines: set[int]) -> list[Candidate]:
    """Values next to labels, for every label occurrence in the document."""
    out: list[Candidate] = []
    for line in layout.lines:
        if line.index in skip_lines:
            continue
        for si, seg in enumerate(line.segments):
            hits = find_labels(seg.text)
            for hi, hit in enumerate(hits):
                if hit.phrase in DATE_PREPOSITIONS and not any(h.field == "InvoiceId" for h in hits[:hi]):
                    continue  # "du"/"vom"/"del" date an invoice only right after its number, not in prose
                end = hits[hi + 1].start if hi + 1 < len(hits) else len(seg.text)
                out.extend(_values_for_hit(layout, ctx, line, si, seg, hit, end, hi + 1 < len(hits)))
    return out


def _values_for_hit(
    layout: Layout, ctx: DocContext, line: Line, si: int, seg: Segment, hit: LabelHit, end: int,
    more_labels: bool,
) -> Iterable[Candidate]:
    """Where forms put a label's value: after it in the same run, to its right, or stacked under it."""
    name = hit.field
    if name.startswith("_"):
        return
    if name in NAME_FIELDS and seg.text[:hit.start].strip(" *•-–:"):
        return  # "Der Verkäufer bleibt Eigentümer..." is prose, not a label
    if name in NAME_FIELDS and seg.text[hit.end:end].strip() and not seg.text[hit.end:end].lstrip().startswith(":"):
        return  # "Lieferant GmbH" is a name that starts with a label word; "Lieferant: X" is a label
    label_words = seg.words_in(hit.start, hit.end)
    lx0, lx1 = label_words[0].x0, label_words[-1].x1
    # a generic word ("Date", "Invoice") followed by a colon is a label all the same: "DATE: 11/15/2019"
    # ("Account holder:" stays weak: the colon makes it a label, not the vendor's)
    colon = seg.text[hit.end:end].lstrip().startswith(":") and name not in NAME_FIELDS
    weak = WEAK_FACTOR if hit.weak and not colon else 1.0
    rest, skip = _strip_lead(seg.text[hit.end:end])
    if name in ADDRESS_BLOCK_FIELDS:
        if not rest.strip():
            yield from _block_below(layout, line, lx0, lx1, name, hit)
        return
    same: Candidate | None = None
    if rest.strip():
        pv = parse_value(name, rest, ctx)
        if pv:
            start = hit.end + skip + max(0, rest.find(pv[1][:3])) if pv[1] else hit.end + skip
            ws = seg.words_in(start, start + max(len(pv[1]), 1)) or seg.words_in(hit.end + skip, end)
            same = _cand(name, pv, POSITION_SCORE["same"] * weak, ws, "label", line.index, hit)
    if same is not None and name not in AMOUNT_FIELDS:
        yield same
        return
    if rest.strip() and name not in AMOUNT_FIELDS and name not in NAME_FIELDS:
        return
    if more_labels and rest.strip() and same is None:
        return
    # to the right on the same line; totals columns are right-aligned, so an amount there beats one in the
    # label's own run ("Tax 15% on $ 112.90 ........ $ 16.94")
    right: Candidate | None = None
    for nxt in line.segments[si + 1: si + 3]:
        if find_labels(nxt.text) and _is_label_only(nxt.text):
            break
        pv = parse_value(name, nxt.text, ctx)
        if pv:
            right = _cand(name, pv, POSITION_SCORE["right"] * weak, nxt.words, "label", line.index, hit)
            break
        if name not in AMOUNT_FIELDS:
            break
    if name in AMOUNT_FIELDS:
        yield from _amount_row(ctx, line, si, hit)
    if right is not None:
        if same is not None:
            same.score *= 0.8
            yield same
        yield right
        return
    if same is not None:
        yield same
        return
    # stacked under the label (column headers of a meta table); generic words only with a typed value
    for depth, below in _below(layout, line, lx0, lx1):
        if find_labels(below.text) and _is_label_only(below.text):
            break
        pv = parse_value(name, below.text, ctx)
        if pv:
            key = "below" if depth == 1 else "below2"
            factor = 0.85 if hit.weak else 1.0
            if hit.weak and name in NAME_FIELDS:
                break
            yield _cand(name, pv, POSITION_SCORE[key] * factor, below.words, "label", below.line_index, hit)
            break


def _amount_row(ctx: DocContext, line: Line, si: int, hit: LabelHit) -> Iterable[Candidate]:
    """A totals row with three amounts that add up (net + tax = gross) names all three fields at once.

    "Total facture   24.99   5.00   29.99" under "HT / TVA / TTC" column heads is common in French and German
    invoices; the arithmetic identifies the columns whatever the heads say.
    """
    vals: list[tuple[Decimal, Segment]] = []
    for nxt in line.segments[si + 1:]:
        for _, _, v in find_amounts(_mask_dates(nxt.text), ctx.decimal_hint):
            vals.append((v, nxt))
    if len(vals) < 3:
        return
    for i in range(len(vals) - 2):
        (a, sa), (b, sb), (c, sc) = vals[i], vals[i + 1], vals[i + 2]
        if a and b and abs(a + b - c) <= Decimal("0.011") and c > a > 0:
            for fname, v, sg in (("SubTotal", a, sa), ("TotalTax", b, sb), ("InvoiceTotal", c, sc)):
                yield Candidate(fname, v, sg.text, 0.88, sg.page, sg.bbox, "label", sg.conf, line.index,
                                extra={"label": hit.phrase, "row": True})
            return


def _block_below(layout: Layout, line: Line, x0: float, x1: float, name: str, hit: LabelHit) -> Iterable[Candidate]:
    """An address printed as a block under its label ("Ship to:" / name / street / city)."""
    below = _below(layout, line, x0, x1, max_lines=1)
    if not below:
        return
    _, first = below[0]
    parts = [first.text.strip()]
    boxes = [first.bbox]
    from invoice_capture.extraction.parties import address_block  # parties builds on this module

    addr = address_block(layout, first.line_index, first.bbox[0])
    if addr:
        address, recipient, box, _lines = addr
        if recipient:
            parts.append(recipient)
        parts.append(address)
        boxes.append(box)
    text = ", ".join(parts)
    if not any(c.isdigit() for c in text):
        return
    yield Candidate(name, text, text, POSITION_SCORE["below"], first.page, union(boxes), "label",
                    first.conf, first.line_index, extra={"label": hit.phrase})


def _cand(name: str, pv: tuple[Any, str, float], score: float, words, method: str, line: int,
          hit: LabelHit | None = None) -> Candidate:
    value, text, fit = pv
    return Candidate(
        field=name, value=value, text=text, score=score * fit, page=words[0].page,
        bbox=union(w.bbox for w in words), method=method, conf=min(w.conf for w in words), line=line,
        extra={"label": hit.phrase, "weak": hit.weak} if hit else {},
    )


def first_date_candidate(layout: Layout, ctx: DocContext, skip_lines: set[int]) -> Candidate | None:
    """The first date on page 1, for documents that print their date without a label (receipts)."""
    for line in layout.lines:
        if line.page != 1 or line.index in skip_lines:
            continue
        for seg in line.segments:
            for s, e, raw in find_dates(seg.text):
                if raw.isdigit():
                    continue  # "19280104" on a till slip is an operator or transaction number, not a date
                pd = parse_date(raw, ctx.date_order)
                if pd is not None:
                    ws = seg.words_in(s, e) or seg.words
                    fit = 0.7 if pd.ambiguous and ctx.date_certainty < 0.9 else 1.0
                    return _cand("InvoiceDate", (pd.value, raw, fit), 0.6, ws, "position", line.index)
    return None


def hash_id_candidate(layout: Layout) -> Candidate | None:
    """'# 12345' standing alone near the top of page 1: an invoice number whose label the reader lost."""
    for line in layout.lines:
        if line.page != 1:
            break
        _, height = layout.page_size(1)
        if line.bbox[1] > 0.3 * height:
            break
        for seg in line.segments:
            m = re.fullmatch(r"#\s*([A-Za-z0-9][A-Za-z0-9\-_/.]*\d[A-Za-z0-9\-_/.]*)", seg.text.strip())
            if m:
                return _cand("InvoiceId", (m.group(1), m.group(1), 1.0), 0.6, seg.words, "pattern", line.index)
    return None


def pattern_candidates(layout: Layout) -> list[Candidate]:
    """Values recognisable without a label: IBANs (checksummed), BICs and VAT ids."""
    out: list[Candidate] = []
    for line in layout.lines:
        text = " ".join(s.text for s in line.segments)
        for s, e, iban in find_ibans(text):
            ws = _words_for_span(line, s, e)
            out.append(Candidate("IBAN", iban, text[s:e], 0.95, line.page, union(w.bbox for w in ws), "pattern",
                                 min(w.conf for w in ws), line.index))
        for m in re.finditer(r"(?:BIC|SWIFT|Swift|Bic)[\s\-/a-zA-Z]*[:.]?\s*([A-Z]{4}\s?[A-Z]{2}\s?[A-Z0-9]{2}"
                             r"(?:\s?[A-Z0-9]{3})?)\b", text):
            ws = _words_for_span(line, m.start(1), m.end(1))
            out.append(Candidate("SWIFT", m.group(1).replace(" ", ""), m.group(1), 0.9, line.page,
                                 union(w.bbox for w in ws), "label", min(w.conf for w in ws), line.index))
        for s, e, vat in find_vat_ids(text):
            ws = _words_for_span(line, s, e)
            before = fold(text[max(0, s - 40):s])
            out.append(Candidate("VatId", vat, text[s:e], 0.85, line.page, union(w.bbox for w in ws), "pattern",
                                 min(w.conf for w in ws), line.index, extra={"before": before}))
    return out


def _words_for_span(line: Line, start: int, end: int):
    """Words of a line covering [start, end) of its segments joined by single spaces."""
    pos = 0
    out = []
    for seg in line.segments:
        for w, off in zip(seg.words, seg.offsets, strict=True):
            a = pos + off
            if a < end and a + len(w.text) > start:
                out.append(w)
        pos += len(seg.text) + 1
    return out or line.words[:1]


def vendor_candidates(layout: Layout, customer_lines: set[int], skip_lines: set[int]) -> list[Candidate]:
    """Who sent the invoice, from where letterheads put it: the top of page 1, legal forms, big type.

    A vendor name is rarely labelled; what distinguishes it is position (top band of the first page, or the
    footer), a legal form (GmbH, B.V., Ltd, S.A.), and the largest type on the page. Lines inside the
    customer's address block are excluded.
    """
    out: list[Candidate] = []
    first = [ln for ln in layout.lines if ln.page == 1]
    if not first:
        return out
    _, height = layout.page_size(1)
    heights = sorted(ln.height for ln in first)
    median_h = heights[len(heights) // 2] if heights else 1.0
    for rank, ln in enumerate(first):
        if ln.index in customer_lines or ln.index in skip_lines:
            continue
        for seg in ln.segments:
            text = seg.text.strip(" ,:;-")
            if len(text) < 2 or not any(c.isalpha() for c in text) or sum(c.isdigit() for c in text) > 4:
                continue
            if _TITLE_WORDS.match(text) or _TITLE_WORDS.match(text.replace(" ", "")) or (
                find_labels(text) and _is_label_only(text)
            ):
                continue
            hits = find_labels(text)
            if hits and hits[0].start == 0:  # "Sold by: X" is the label finder's, with the label stripped
                continue
            if (len(text) <= 4 and text.isupper()) or _LEGAL_FORM.fullmatch(text.strip(" .,")):
                continue
            toks = text.split()
            if len(toks) >= 3 and sum(len(t) == 1 for t in toks) >= 0.6 * len(toks):
                continue  # a letter-spaced title ("I N V O I C E")
            text = _TRAILING_TITLE.sub("", text).strip() or text
            if re.search(r"@|www\.|https?:|\bTel\b|\bFax\b|\bPhone\b|\+\d", text, re.IGNORECASE):
                continue
            top = seg.bbox[1] / height
            score = 0.0
            # a legal form ends a company name ("Coolblue B.V.", "Lieferant GmbH"); one mid-sentence does not count
            legal = _LEGAL_FORM.search(" ".join(text.split()[-3:]))
            if legal:
                score = 0.8
            if top < 0.2:
                score = max(score, 0.55 + 0.2 * (1 - top / 0.2))
                if legal:
                    score = 0.88
            elif top > 0.85 and legal:
                score = max(score, 0.75)
            if seg.height > 1.4 * median_h and top < 0.35:
                score = max(score, 0.7) + 0.08
            if score <= 0:
                continue
            first_word = text.split()[0]
            if first_word.isalpha() and first_word.islower():
                score -= 0.3
            if len(text.split()) > 6 and not legal:
                score -= 0.4  # a sentence, not a name
            score -= 0.01 * min(rank, 20)
            out.append(Candidate("VendorName", text, seg.text, min(score, 0.9), ln.page, seg.bbox, "position",
                                 seg.conf, ln.index, extra={"legal": bool(legal)}))
    return out

