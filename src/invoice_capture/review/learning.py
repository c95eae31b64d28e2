"""Learning from corrections: what a clerk fixes on one invoice of a vendor is used on that vendor's next one.

Why: a vendor prints every invoice from the same template. When the engine misses the invoice number because
the vendor labels it "Our ref.", reads "03/04/2025" in the wrong day/month order, or takes the letterhead's
tagline for the vendor's name, it will do so again on every invoice of that vendor, and a clerk would correct the
same field every time. A clerk's correction says *where* the right value is printed; remembering that (the label
before or above it, the shape of the value, the date order, the currency, the name the AP team uses) lets the next
invoice be read right, with a confidence the card can trust.

Only general knowledge is kept: printed labels, relative positions, value shapes, locale conventions and values
that belong to the vendor (its tax id, its bank account, our customer number with it). Nothing here knows any
particular document or layout.

Pure functions over JSON-able dicts; the service stores one memory per tenant and vendor and calls:

* ``identity_keys(fields, vendor_id=None) -> list[str]``: the keys a memory is filed under and found by.
* ``learn(memory, result, before, after) -> dict``: a new memory after a clerk's review of one invoice.
  ``before == after`` (no edit) counts as a confirmation of what the memory already holds.
* ``recall(memory, result) -> tuple[dict, list[str]]``: ``(fields, warnings)``, the invoice's fields with the
  memory applied (``method: "learned"`` where a value came from it) and sentences for the card.

Memory JSON (version 1); every entry keeps counts, so a rule that proves wrong loses weight and is dropped::

    {"version": 1,
     "invoices": 3,                           # learn() calls: invoices reviewed with this memory
     "fields": {"InvoiceId": {"anchors": [    # per-invoice values, found again by where they are printed
         {"label": "Our ref.",                # the printed label (words with digits match any number)
          "where": "right" | "below",         # after the label on its line, or under it
          "lines": 0,                          # lines under the label ("below")
          "column": 1, "columns": 2,           # cell index of the value, cells on its line
          "start": true,                       # the label opens its cell (not found inside a longer label)
          "inline": false,                     # value in the label's own cell ("Total 12.00") or the next
          "shape": "<regex>", "pattern": "AA-99-9999",  # ids only: the value's shape
          "hits": 2, "misses": 0}]}},          # at most 3 anchors a field, best first
     "constants": {"CustomerName": {"value": "Acme GmbH", "hits": 2, "misses": 0}},  # per-vendor values
     "vendor_name": {"value": "Nordlicht Handel GmbH", "aliases": {"nordlicht premium": 1}, "hits": 2,
                     "misses": 0},
     "date_order": {"DMY": 2, "MDY": 0},       # votes from corrected/confirmed ambiguous dates
     "currency": {"CHF": 3},                   # votes from corrected/confirmed currencies
     "decimal": {",": 3},                      # the vendor's decimal mark, for documents that do not show it
     "identity": {"tax": ["DE811907980"], "iban": ["DE89370400440532013000"]}}

Confidence: a value read through a rule that was never wrong, with its label found exactly and the value in its
learned shape, gets ``HIGH`` (0.95); anything weaker stays below the 0.9 line the card treats as sure.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from invoice_capture.extraction.evaluate import values_match
from invoice_capture.extraction.labels import find_labels, fold
from invoice_capture.extraction.model import AMOUNT_FIELDS, DATE_FIELDS
from invoice_capture.extraction.normalize.amounts import find_amounts, guess_decimal_separator, parse_amount
from invoice_capture.extraction.normalize.currency import (
    ISO_4217,
    country_from_text,
    detect_currencies,
    resolve_currency,
)
from invoice_capture.extraction.normalize.dates import find_dates, infer_date_order, parse_date
from invoice_capture.extraction.normalize.ids import normalize_iban, normalize_vat_id
from invoice_capture.extraction.normalize.language import detect_language
from invoice_capture.review.vendors import normalize_name

VERSION = 1
#: A learned value whose rule was never wrong, found under its exact label and in its learned shape.
HIGH = 0.95
#: A rule that was wrong before but right more often: usable, never "sure".
USABLE = 0.8
#: A value under its exact label but not in the learned shape (the vendor changed its numbering?).
ODD_SHAPE = 0.75
#: A value found under a label that is only similar to the learned one (OCR): it only fills a gap.
WEAK = 0.7
#: The line above which the card treats a value as sure (DESIGN.md: calibrated on the dev set).
SURE = 0.9
#: What a confident engine value drops to when the vendor's memory contradicts it.
DOUBTED = 0.85

#: Values printed anew on every invoice: found again through their label.
ANCHORED = frozenset({"InvoiceId", "PurchaseOrder"}) | AMOUNT_FIELDS | DATE_FIELDS
#: Values that belong to the vendor (or to us as its customer): the same on every invoice, applied only when
#: printed on the new one (a changed bank account must never be filled in from memory).
CONSTANTS = frozenset({
    "VendorTaxId", "VendorAddress", "VendorAddressRecipient", "CustomerName", "CustomerId", "CustomerAddress",
    "CustomerAddressRecipient", "CustomerTaxId", "BillingAddress", "RemittanceAddress", "PaymentTerm", "IBAN",
    "SWIFT",
})
MAX_ANCHORS = 3
MAX_ALIASES = 8
MAX_IDS = 5



# ------------------------------------------------------------------------------------------------- identity


def _plain(text: str) -> str:
    """Casefolded, accents removed (ß -> ss): the form names are compared in."""
    s = unicodedata.normalize("NFKD", str(text).replace("ß", "ss").replace("ẞ", "ss")).casefold()
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def normalise_vendor_name(name: str | None) -> str:
    """A vendor name as every control compares it (review/vendors.py): no case, accents, punctuation, "and" or
    legal form."""
    return normalize_name(str(name or ""))


def _value(f: Any) -> Any:
    """A field's value whether given as the contract's ``{"value": ...}`` or as the bare value."""
    return f.get("value") if isinstance(f, dict) and "value" in f else f


def _payment(fields: dict[str, Any]) -> list[dict[str, str]]:
    """PaymentDetails as ``[{"IBAN": ..., "SWIFT": ...}]`` of plain strings (edits may nest ``{"value"}``)."""
    details = _value(fields.get("PaymentDetails")) or []
    out = []
    for d in details if isinstance(details, list) else []:
        if isinstance(d, dict):
            out.append({k: str(_value(v)) for k, v in d.items() if _value(v)})
    return out


def _is_label_text(name: str) -> bool:
    """True for a "name" that is a document title or field label ("INVOICE", "Rechnung"): no identity."""
    hits = find_labels(name)
    covered = sum(h.end - h.start for h in hits)
    return covered >= len(re.sub(r"[\s:#.]", "", name)) * 0.6


def _tax_key(tax: Any) -> str:
    return (normalize_vat_id(str(tax)) or re.sub(r"[^0-9A-Z]", "", str(tax).upper())) if tax else ""


def identity_keys(fields: dict[str, Any], vendor_id: int | None = None) -> list[str]:
    """Keys under which a vendor's memory is filed and found, strongest first.

    ``vendor:<id>`` (matched to the vendor master), ``tax:<VAT id>``, ``iban:<IBAN>`` (each account printed),
    ``name:<normalised vendor name>``. A name or tax id equal to the customer's (the engine took the bill-to party
    for the sender) or a name that is only a title/label word is no identity and gives no key: it would file
    every vendor under the same key.
    """
    keys: list[str] = []
    if vendor_id is not None:
        keys.append(f"vendor:{vendor_id}")
    tax, customer_tax = _tax_key(_value(fields.get("VendorTaxId"))), _tax_key(_value(fields.get("CustomerTaxId")))
    if len(tax) >= 5 and tax != customer_tax:
        keys.append(f"tax:{tax}")
    for d in _payment(fields):
        iban = normalize_iban(d.get("IBAN", ""))
        if len(iban) >= 15 and f"iban:{iban}" not in keys:
            keys.append(f"iban:{iban}")
    name = _value(fields.get("VendorName"))
    if name and not _is_label_text(str(name)):
        norm = normalise_vendor_name(str(name))
        customer = normalise_vendor_name(str(_value(fields.get("CustomerName")) or ""))
        if len(norm) >= 2 and norm != customer:
            keys.append(f"name:{norm}")
    return keys


# ------------------------------------------------------------------------------------------------- the page


@dataclass
class _Doc:
    """An invoice's ``content`` as lines of segments (the engine joins column segments with two spaces)."""

    segs: list[list[str]]
    folded: list[list[str]]
    page: list[int]
    decimal: str | None
    order: str | None
    order_sure: bool  # the vendor's confirmed order, or a date on this page that proves it
    text: str

    @classmethod
    def of(cls, content: str, memory: dict[str, Any] | None = None) -> _Doc:
        segs: list[list[str]] = []
        pages: list[int] = []
        page = 1
        for line in (content or "").split("\n"):
            if "\f" in line:
                page += 1
                line = line.replace("\f", "")
            segs.append([s.strip() for s in re.split(r" {2,}|\t", line) if s.strip()])
            pages.append(page)
        folded = [[fold(s) for s in line] for line in segs]
        tokens = (content or "").split()
        decimal = guess_decimal_separator(tokens) or _top(memory.get("decimal") if memory else None)
        learned = _learned_order(memory or {})
        if learned is not None:
            order, sure = learned[0], learned[1] >= SURE
        else:  # as the engine does: a date that proves the order, else language, currency and country
            dates = [raw for line in segs for s in line for _, _, raw in find_dates(s)]
            language = detect_language(content or "")[0]
            country = country_from_text(content or "")
            currency = resolve_currency(detect_currencies(content or ""), country=country, language=language)[0]
            order, certainty = infer_date_order(dates, language=language, currency=currency, country=country)
            sure = certainty >= SURE
        return cls(segs, folded, pages, decimal, order, sure, content or "")


@dataclass
class _Read:
    """A value read through a learned rule."""

    value: Any
    text: str
    page: int
    exact: bool  # label found as learned (not only similar)
    shape_ok: bool  # value has the learned shape
    ambiguous: bool = False  # the label points at other values elsewhere on the page too


def _top(votes: dict[str, int] | None) -> str | None:
    if not votes:
        return None
    best = max(votes.items(), key=lambda kv: kv[1])
    return best[0] if best[1] > 0 else None


def _learned_order(memory: dict[str, Any]) -> tuple[str, float] | None:
    """The vendor's day/month order and how far to trust it: only one order ever confirmed -> HIGH; a clear
    majority -> USABLE; a split -> none."""
    votes = memory.get("date_order") or {}
    dmy, mdy = int(votes.get("DMY", 0)), int(votes.get("MDY", 0))
    if dmy == mdy:
        return None
    order, win, lose = ("DMY", dmy, mdy) if dmy > mdy else ("MDY", mdy, dmy)
    if lose == 0:
        return order, HIGH
    return (order, USABLE) if win >= 3 * lose else None


def _trust(entry: dict[str, Any]) -> float | None:
    """Never wrong -> HIGH; right more than twice as often as wrong -> USABLE; else not used."""
    hits, misses = int(entry.get("hits", 0)), int(entry.get("misses", 0))
    if hits <= 0:
        return None
    if misses == 0:
        return HIGH
    return USABLE if hits > 2 * misses else None


# ------------------------------------------------------------------------------------------------- shapes


def id_shape(text: str) -> tuple[str, str]:
    """(regex, display pattern) of an identifier: letter runs, digit runs (a little shorter or longer, since
    numbers grow) and separators kept literally, so "INV-2025-0042" gives the pattern "AAA-9999-9999" and the
    next invoice's "INV-2025-0107" has the same shape while a date or an amount does not."""
    regex: list[str] = []
    pattern: list[str] = []
    for m in re.finditer(r"[^\W\d_]+|\d+|\s+|.", text.strip()):
        run = m.group()
        if run.isdigit():
            regex.append(rf"\d{{{max(1, len(run) - 2)},{len(run) + 3}}}")
            pattern.append("9" * len(run))
        elif run.isalpha():
            regex.append(rf"[^\W\d_]{{{len(run)}}}")
            pattern.append("A" * len(run))
        elif run.isspace():
            regex.append(r"\s?")
            pattern.append(" ")
        else:
            regex.append(re.escape(run))
            pattern.append(run)
    return "".join(regex), "".join(pattern)


_SEP = r"[\s\-./:#'’()]"
#: A number inside a label ("VAT 19 %", "remit $1,204.50 no later than") may change from invoice to invoice.
_NUMBER_WORD = r"\S*\d\S*"


@lru_cache(maxsize=1024)
def _label_regex(label: str) -> re.Pattern[str]:
    """A learned label as a pattern over folded text: punctuation between its words may vary ("Our ref." /
    "OUR REF:"), and words with digits in them (a tax rate, an amount in a sentence) may differ."""
    words = fold(label).split()
    pats = []
    for word in words:
        if any(c.isdigit() for c in word):
            pats.append(_NUMBER_WORD)
        else:
            pats.extend(re.escape(p) for p in re.split(f"{_SEP}+", word) if p)
    return re.compile(r"(?<![a-z0-9])" + f"{_SEP}*".join(pats) + r"(?![a-z0-9])")


def _label_key(label: str) -> str:
    return " ".join(p for p in re.split(f"{_SEP}+", fold(label)) if p)


# ------------------------------------------------------------------------------------------------- values


def _kind(name: str) -> str:
    if name in AMOUNT_FIELDS:
        return "amount"
    if name in DATE_FIELDS:
        return "date"
    return "id"


def _same(name: str, a: Any, b: Any) -> bool:
    """Field-aware equality (amounts to the cent, ids without case or punctuation): the benchmark's scorer."""
    if a is None or b is None:
        return a is None and b is None
    return values_match(name, a, b)


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]):
        return value[:10]
    return None


def _id_regex(value: str) -> re.Pattern[str] | None:
    """A value as printed, case- and space-insensitive, not glued to other letters or digits."""
    chars = [c for c in str(value) if not c.isspace()]
    if not chars:
        return None
    body = r"\s?".join(re.escape(c) for c in chars)
    return re.compile(rf"(?<![\w.,/\-]){body}(?![\w]|[.,/\-]\w)", re.IGNORECASE)


def _occurrences(doc: _Doc, name: str, truth: Any) -> list[tuple[int, int, int, int, str]]:
    """Where ``truth`` is printed: (line, segment, start, end, printed text), in reading order."""
    kind = _kind(name)
    out: list[tuple[int, int, int, int, str]] = []
    pattern = _id_regex(str(truth)) if kind == "id" else None
    target = _iso(truth) if kind == "date" else None
    for i, line in enumerate(doc.segs):
        for j, seg in enumerate(line):
            if kind == "amount":
                whole = parse_amount(seg, doc.decimal)
                if whole is not None and abs(abs(float(whole)) - abs(float(truth))) < 0.005:
                    out.append((i, j, 0, len(seg), seg))
                    continue
                for s, e, v in find_amounts(seg, doc.decimal):
                    if abs(abs(float(v)) - abs(float(truth))) < 0.005:
                        out.append((i, j, s, e, seg[s:e]))
            elif kind == "date":
                for s, e, raw in find_dates(seg):
                    parsed = [parse_date(raw, o) for o in ("DMY", "MDY")]
                    if any(p is not None and p.value.isoformat() == target for p in parsed):
                        out.append((i, j, s, e, raw))
            elif pattern is not None:
                out.extend((i, j, m.start(), m.end(), m.group()) for m in pattern.finditer(seg))
    return out


def _has_letters(text: str) -> bool:
    return sum(c.isalpha() for c in text) >= 2


def _label_words(text: str) -> tuple[str, bool] | None:
    """The label inside the text before a value, and whether it is all of that text. In a sentence ("Please
    remit $1,204.50 no later than") only the words after the last number are kept when they make a label of
    their own; at most five words. Text that looks like a value (no word of letters only) is no label."""
    all_words = text.split()
    words = all_words
    digits = [k for k, w in enumerate(words) if any(c.isdigit() for c in w)]
    if digits and len(words) - digits[-1] - 1 >= 2 and _has_letters(" ".join(words[digits[-1] + 1:])):
        words = words[digits[-1] + 1:]
    kept = words[-5:]
    label = " ".join(kept).strip(" :#")
    if not any(sum(c.isalpha() for c in w) >= 2 and not any(c.isdigit() for c in w) for w in kept):
        return None
    return label, len(kept) == len(all_words)


def _anchor_candidates(doc: _Doc, name: str, i: int, j: int, start: int) -> list[tuple[int, dict[str, Any]]]:
    """Possible labels of the value at (line i, segment j, offset start), scored: the text before it in its
    segment, the segment before it on its line, a cell of the line or two above (a header over a value row).
    A label the engine knows for this field scores higher. ``start`` records that the label opens its
    segment, so that next time "VAT" is not found inside "Total (excl. VAT)"."""
    out: list[tuple[int, dict[str, Any]]] = []

    def add(text: str, base: int, where: str, lines: int, inline: bool = False) -> None:
        got = _label_words(text)
        if got is None:
            return
        known = any(h.field == name for h in find_labels(got[0]))
        score = base + got[1] + 2 * known + (text.rstrip().endswith(":"))
        out.append((score, {"where": where, "lines": lines, "column": j, "columns": len(doc.segs[i]),
                            "label": got[0], "start": got[1], "inline": inline}))

    prefix = doc.segs[i][j][:start]
    if _has_letters(prefix):
        add(prefix, 3, "right", 0, inline=True)
    elif j > 0:
        add(doc.segs[i][j - 1], 3, "right", 0)
    for off in (1, 2):
        k = i - off
        if k < 0 or doc.page[k] != doc.page[i]:
            break
        for col, cell in enumerate(doc.segs[k]):
            if sum(c.isdigit() for c in cell) <= len(cell) // 3:
                add(cell, 1 + (col == j or len(doc.segs[k]) == 1) - off, "below", off)
        if doc.segs[k]:
            break
    return out


def _parse_at(doc: _Doc, name: str, cand: str, anchor: dict[str, Any],
              order: str | None) -> tuple[Any, str, bool] | None:
    """(value, printed text, in learned shape) at the start of ``cand``, or None if nothing well-formed is there."""
    cand = cand.strip().lstrip(":#.)]»").strip()
    if not cand:
        return None
    kind = _kind(name)
    if kind == "amount":
        whole = parse_amount(cand, doc.decimal)  # "CHF 32 097.19": a cell is one amount, grouped by spaces
        if whole is not None:
            return round(abs(float(whole)) if name == "TotalDiscount" else float(whole), 2), cand, True
        for s, e, v in find_amounts(cand, doc.decimal):
            if s > 6 or cand[e:e + 2].strip().startswith("%"):
                return None
            return round(abs(float(v)) if name == "TotalDiscount" else float(v), 2), cand[s:e], True
        return None
    if kind == "date":
        for s, _e, raw in find_dates(cand):
            if s > 12:
                return None
            p = parse_date(raw, order)
            # "03/04/2025" read in an order neither learned nor proven on the page is no sure value
            return (p.value.isoformat(), raw, not p.ambiguous or doc.order_sure) if p is not None else None
        return None
    shape = anchor.get("shape")
    if shape:
        m = re.match(rf"(?:{shape})(?!\w|[/\-.]\w)", cand)
        if m:
            return m.group(0), m.group(0), True
    tok = cand.split()[0].rstrip(".,;:")
    if not any(c.isdigit() for c in tok) or len(tok) > 40:
        return None
    return tok, tok, False


def _value_texts(doc: _Doc, i: int, j: int, end: int, anchor: dict[str, Any]) -> list[str]:
    """Where the value should be for a label found at (line i, segment j) ending at ``end``: under it, after it
    in its segment, or in the next segment, as when it was learned."""
    rest = doc.segs[i][j][end:]
    nxt = [doc.segs[i][j + 1]] if j + 1 < len(doc.segs[i]) else []
    alone = not any(c.isalnum() for c in rest)
    if anchor.get("where") == "below":
        if not alone:
            return []  # a header cell holds the label alone
        k = i + int(anchor.get("lines", 1))
        if k >= len(doc.segs) or doc.page[k] != doc.page[i]:
            return []
        row = doc.segs[k]
        if len(row) == len(doc.segs[i]):
            return [row[j]]
        if len(row) == 1:
            return [row[0]]
        col = int(anchor.get("column", 0))
        return [row[col]] if len(row) == int(anchor.get("columns", -1)) and col < len(row) else []
    if alone:
        return nxt  # "Total:  1,190.00": the label fills its cell, the value is the next one
    # "Total 1,190.00" in one cell: the value must follow the label right there. A label learned as a cell of
    # its own that now has more in its cell ("VAT 20 %:" where "VAT:" was learned) is another line.
    return [rest] if anchor.get("inline") else []


def _read_at(doc: _Doc, name: str, anchor: dict[str, Any], order: str | None, i: int, j: int, start: int,
             end: int, exact: bool) -> _Read | None:
    if anchor.get("start") and doc.segs[i][j][:start].strip(" :#.*•-–"):
        return None  # the label opened its segment when learned; here it is inside another label
    for cand in _value_texts(doc, i, j, end, anchor):
        got = _parse_at(doc, name, cand, anchor, order)
        if got is not None:
            return _Read(got[0], got[1], doc.page[i], exact, got[2])
    return None


def read_anchor(doc: _Doc, name: str, anchor: dict[str, Any], order: str | None = None) -> _Read | None:
    """The value a learned label points at in ``doc``: the first well-formed one in reading order. Labels are
    matched exactly (punctuation aside) first; for a scan whose OCR bent the label, similar words (>= 85%)
    are accepted as an inexact find. When the label points at different values in several places ("VAT 20 %"
    and "VAT 5 %" for a label learned as "VAT 20 %") the read is marked ambiguous and must not be used."""
    order = order or doc.order
    pat = _label_regex(anchor["label"])
    reads = [got for i, line in enumerate(doc.folded) for j, fseg in enumerate(line) for m in pat.finditer(fseg)
             if (got := _read_at(doc, name, anchor, order, i, j, m.start(), m.end(), True)) is not None]
    key = _label_key(anchor["label"])
    n = len(key.split())
    if not reads and len(key) >= 5:
        for i, line in enumerate(doc.segs):
            for j, seg in enumerate(line):
                words = seg.split()
                if len(words) < n or fuzz.ratio(_label_key(" ".join(words[:n])), key) < 85:
                    continue
                got = _read_at(doc, name, anchor, order, i, j, 0, len(" ".join(words[:n])), False)
                if got is not None:
                    reads.append(got)
    if not reads:
        return None
    first = reads[0]
    first.ambiguous = any(not _same(name, first.value, r.value) for r in reads[1:])
    return first


def _new_anchor(doc: _Doc, name: str, truth: Any) -> dict[str, Any] | None:
    """The best label for a corrected value, kept only if reading through it gives the value back on this very
    invoice (a label that points elsewhere first would mislead on the next one)."""
    found = []
    for i, j, start, _e, printed in _occurrences(doc, name, truth):
        for score, anchor in _anchor_candidates(doc, name, i, j, start):
            if _kind(name) == "id":
                anchor["shape"], anchor["pattern"] = id_shape(printed)
            found.append((score, i, anchor))
    for _score, _line, anchor in sorted(found, key=lambda t: (-t[0], t[1])):
        got = read_anchor(doc, name, anchor)
        if got is not None and got.exact and not got.ambiguous and _same(name, truth, got.value):
            anchor.update(hits=1, misses=0)
            return anchor
    return None


def _printed(doc: _Doc, value: str) -> str | None:
    """``value`` as printed in the document (case/space/punctuation-insensitive), or None. Multi-line values
    (addresses, joined with ", ") count as printed when each of their lines is."""
    parts = [p for p in re.split(r",\s+|\n", str(value)) if p.strip()] or [str(value)]
    shown = []
    for part in parts:
        pat = _id_regex(part)
        m = pat.search(doc.text) if pat else None
        if m is None:
            compact = re.sub(r"[\W_]", "", _plain(part))
            if len(compact) < 4 or compact not in re.sub(r"[\W_]", "", _plain(doc.text)):
                return None
            shown.append(part)
        else:
            shown.append(m.group())
    return ", ".join(shown)


# ------------------------------------------------------------------------------------------------- learn


def blank_memory() -> dict[str, Any]:
    """An empty memory in the current shape (``learn`` fills missing keys of older memories from it)."""
    return {"version": VERSION, "invoices": 0, "fields": {}, "constants": {}, "vendor_name": None,
            "date_order": {}, "currency": {}, "decimal": {}, "identity": {"tax": [], "iban": []}}


def _flat(fields: dict[str, Any]) -> dict[str, Any]:
    """Field values by name, with the first account's IBAN/SWIFT lifted out of PaymentDetails (as the card
    edits them)."""
    out = {k: _value(v) for k, v in (fields or {}).items() if k not in ("PaymentDetails", "TaxDetails")}
    details = _payment(fields or {})
    if details:
        out.update({k: v for k, v in details[0].items() if k in ("IBAN", "SWIFT")})
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def _count(entry: dict[str, Any], right: bool) -> None:
    entry["hits" if right else "misses"] = int(entry.get("hits" if right else "misses", 0)) + 1


def _add_unique(items: list[str], value: str) -> list[str]:
    return ([value] + [v for v in items if v != value])[:MAX_IDS]


def learn(memory: dict[str, Any] | None, result: dict[str, Any], before: dict[str, Any],
          after: dict[str, Any]) -> dict[str, Any]:
    """A new memory (``memory`` is not changed) after a clerk reviewed one invoice.

    ``result`` is the extraction output of that invoice (its ``content`` is searched), ``before``/``after`` the
    fields before and after the clerk's edits. Edited fields teach: where the right value is printed (label,
    shape, offset), the date order, the currency, the canonical vendor name (the misread one becomes an alias),
    the vendor's own values. Every rule already held is checked against ``after`` whether or not it was edited:
    right counts as a confirmation, wrong as a miss, so ``before == after`` confirms.
    """
    mem = blank_memory()
    for k, v in copy.deepcopy(memory or {}).items():
        if v is not None or k not in mem:
            mem[k] = v
    mem["invoices"] = int(mem.get("invoices", 0)) + 1
    doc = _Doc.of(result.get("content") or "", None)
    old, new = _flat(before), _flat(after)
    edited = {n for n in set(old) | set(new) if not _same(n, old.get(n), new.get(n))}

    _learn_conventions(mem, doc, old, new, result)
    doc = _Doc.of(result.get("content") or "", mem)  # read with what was just learned (date order, decimal)
    engine = result.get("fields") or {}
    for name in sorted(set(mem["fields"]) | (edited & ANCHORED)):
        if name in ANCHORED:
            # a value the engine found in the right place but read wrong (day/month order) needs no label
            teach = name in edited and not _read_from(name, engine.get(name), new.get(name))
            _learn_anchor(mem, doc, name, new.get(name), teach, name in old or name in new)
    for name in sorted(set(mem["constants"]) | (edited & CONSTANTS)):
        _learn_constant(mem, name, new.get(name), name in edited)
    _learn_vendor_name(mem, old.get("VendorName"), new.get("VendorName"), "VendorName" in edited)
    ident = mem.setdefault("identity", {"tax": [], "iban": []})
    if new.get("VendorTaxId") and _tax_key(new["VendorTaxId"]) != _tax_key(new.get("CustomerTaxId")):
        ident["tax"] = _add_unique(ident.get("tax", []), _tax_key(new["VendorTaxId"]))
    for d in _payment(after):
        if d.get("IBAN"):
            ident["iban"] = _add_unique(ident.get("iban", []), normalize_iban(d["IBAN"]))
    return mem


def _read_from(name: str, field: Any, truth: Any) -> bool:
    """True when the engine read a date from the right place in the wrong day/month order: the date order
    memory covers that, a label would add nothing."""
    text = str(field.get("text") or "") if isinstance(field, dict) else ""
    if not text or name not in DATE_FIELDS or _iso(truth) is None:
        return False
    return any(p is not None and p.value.isoformat() == _iso(truth) for p in (parse_date(text, o) for o in
                                                                              ("DMY", "MDY")))


def _learn_conventions(mem: dict[str, Any], doc: _Doc, old: dict[str, Any], new: dict[str, Any],
                       result: dict[str, Any]) -> None:
    """Votes for the vendor's date order, currency and decimal mark from the values the clerk left or set."""
    fields = result.get("fields") or {}
    for name in DATE_FIELDS:
        truth = _iso(new.get(name))
        if truth is None:
            continue
        texts = [str(fields.get(name, {}).get("text") or "")] if isinstance(fields.get(name), dict) else []
        texts += [printed for *_, printed in _occurrences(doc, name, truth)]
        for text in texts:
            dmy, mdy = parse_date(text, "DMY"), parse_date(text, "MDY")
            if dmy is None or mdy is None or not dmy.ambiguous:
                continue
            right = [o for o, p in (("DMY", dmy), ("MDY", mdy)) if p.value.isoformat() == truth]
            if len(right) == 1:
                votes = mem.setdefault("date_order", {})
                votes[right[0]] = int(votes.get(right[0], 0)) + 1
                break
    code = str(new.get("CurrencyCode") or "").upper()
    if code in ISO_4217:
        votes = mem.setdefault("currency", {})
        votes[code] = int(votes.get(code, 0)) + 1
    if doc.decimal and any(n in AMOUNT_FIELDS for n in new):
        votes = mem.setdefault("decimal", {})
        votes[doc.decimal] = int(votes.get(doc.decimal, 0)) + 1


def _learn_anchor(mem: dict[str, Any], doc: _Doc, name: str, truth: Any, edited: bool, on_card: bool) -> None:
    """Check the field's known labels against the truth (hit or miss) and, when the clerk had to type the value
    and no known label gives it, learn the label it is printed under."""
    entry = mem["fields"].setdefault(name, {"anchors": []})
    anchors: list[dict[str, Any]] = entry.setdefault("anchors", [])
    right_somewhere = False
    for anchor in anchors:
        got = read_anchor(doc, name, anchor)
        if got is None or got.ambiguous:
            continue
        if truth is None:
            if on_card:  # the clerk cleared the field: what the rule read is not this field
                _count(anchor, False)
            continue
        ok = _same(name, truth, got.value)
        _count(anchor, ok)
        right_somewhere |= ok
        if ok and _kind(name) == "id" and not got.shape_ok:
            anchor["shape"], anchor["pattern"] = id_shape(str(got.text))
    if edited and truth is not None and not right_somewhere:
        fresh = _new_anchor(doc, name, truth)
        if fresh is not None:
            key = _label_key(fresh["label"])
            same = next((a for a in anchors if _label_key(a["label"]) == key and a.get("where") == fresh["where"]),
                        None)
            if same is not None:  # the same label, the value now elsewhere relative to it: keep the new place
                same.update({k: v for k, v in fresh.items() if k not in ("hits", "misses")})
                _count(same, True)
            else:
                anchors.append(fresh)
    anchors[:] = sorted((a for a in anchors if int(a.get("misses", 0)) < int(a.get("hits", 0)) + 2),
                        key=lambda a: (-(int(a.get("hits", 0)) - 2 * int(a.get("misses", 0))), a["label"]))
    del anchors[MAX_ANCHORS:]
    if not anchors:
        mem["fields"].pop(name, None)


def _learn_constant(mem: dict[str, Any], name: str, truth: Any, edited: bool) -> None:
    """A vendor's own value: kept from a correction, confirmed or missed on every later invoice, replaced when
    the clerk keeps correcting it to something new (a new address)."""
    entry = mem["constants"].get(name)
    if truth is None:
        return
    if entry is None:
        if edited:
            mem["constants"][name] = {"value": truth, "hits": 1, "misses": 0}
        return
    if _same(name, entry["value"], truth):
        _count(entry, True)
        return
    _count(entry, False)
    if edited and int(entry["misses"]) >= int(entry["hits"]):  # it changed for good: the new value is the rule
        mem["constants"][name] = {"value": truth, "hits": 1, "misses": 0}


def _learn_vendor_name(mem: dict[str, Any], old: Any, truth: Any, edited: bool) -> None:
    """The team's name for the vendor, and the names the engine read instead (aliases, normalised)."""
    if not truth:
        return
    vn = mem.get("vendor_name")
    truth_key = normalise_vendor_name(str(truth))
    if vn is None:
        if not edited:
            return
        vn = mem["vendor_name"] = {"value": truth, "aliases": {}, "hits": 1, "misses": 0}
    elif normalise_vendor_name(str(vn["value"])) == truth_key:
        _count(vn, True)
        if edited:
            vn["value"] = truth  # the clerk's spelling of the same name is the one the team wants
    else:
        _count(vn, False)
        if edited and int(vn["misses"]) >= int(vn["hits"]):
            vn.update(value=truth, hits=1, misses=0)
    if edited and old:
        alias = normalise_vendor_name(str(old))
        if alias and not _is_label_text(str(old)):
            aliases = vn.setdefault("aliases", {})
            aliases[alias] = int(aliases.get(alias, 0)) + 1
            vn["aliases"] = dict(sorted(aliases.items(), key=lambda kv: -kv[1])[:MAX_ALIASES])


# ------------------------------------------------------------------------------------------------- recall


def _field_conf(f: Any) -> float:
    return float(f.get("confidence", 0.0)) if isinstance(f, dict) else 0.0


def _apply(fields: dict[str, Any], name: str, value: Any, text: str, conf: float, info: dict[str, Any],
           warnings: list[str], page: int | None = None) -> None:
    """Put a remembered value into ``fields`` under the rules: fill a gap; raise an agreeing value to the
    memory's confidence (never lower it); replace a doubtful engine value with a more trusted one; and when the
    engine was sure (>= 0.9) of something else, keep its value but take it below 0.9 and say why. A weak find
    (``WEAK``: the label only similar) only fills a gap."""
    cur = fields.get(name)
    learned = {"value": value, "text": text, "confidence": round(conf, 3), "method": "learned", "learned": info}
    if page is not None:
        learned["page"] = page
    if not isinstance(cur, dict) or cur.get("value") in (None, "", []):
        fields[name] = learned
        return
    if _same(name, value, cur.get("value")):
        if conf > _field_conf(cur):
            fields[name] = {**cur, "confidence": round(conf, 3), "learned": {**info, "agrees": True}}
        return
    if _field_conf(cur) >= SURE:
        if conf >= SURE:
            fields[name] = {**cur, "confidence": DOUBTED, "learned": {**info, "suggests": value}}
            warnings.append(f"{name}: read {cur.get('value')!r}, but this vendor's earlier corrections point to "
                            f"{value!r} ({_describe(info)}); please check.")
        return
    if conf > _field_conf(cur) and conf > WEAK:  # a weak find (label only similar) only fills a gap
        fields[name] = {**learned, "learned": {**info, "replaced": cur.get("value")}}


def _describe(info: dict[str, Any]) -> str:
    src = info.get("from")
    if src == "label":
        return f"printed {'under' if info.get('where') == 'below' else 'after'} {info.get('label')!r}"
    if src == "date_order":
        return f"dates read {info.get('order')}"
    if src == "currency":
        return "the vendor's usual currency"
    if src == "vendor_name":
        return "the name the team uses for this vendor"
    return "the vendor's known value"


def _identity_conflict(memory: dict[str, Any], fields: dict[str, Any]) -> bool:
    """True when the invoice's own tax id and bank account are known to differ from the vendor's: the memory was
    found by a name another vendor shares, and must not be applied."""
    ident = memory.get("identity") or {}
    checks: list[bool] = []
    tax = _value(fields.get("VendorTaxId"))
    if tax and ident.get("tax"):
        checks.append(_tax_key(tax) in ident["tax"])
    ibans = {normalize_iban(d.get("IBAN", "")) for d in _payment(fields)} - {""}
    if ibans and ident.get("iban"):
        checks.append(bool(ibans & set(ident["iban"])))
    return bool(checks) and not any(checks)


def recall(memory: dict[str, Any] | None, result: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``(fields, warnings)``: the invoice's fields with the vendor's memory applied, and sentences for the card.

    Learned values carry ``method: "learned"`` and ``learned: {"from": "label"|"date_order"|"currency"|
    "vendor_name"|"vendor", ...}``; an engine value the memory agrees with keeps its method and gains
    ``learned: {..., "agrees": true}`` and at least the memory's confidence. ``result`` is not changed. An e-invoice
    (data, not a picture) is only given the vendor's canonical name.
    """
    fields: dict[str, Any] = copy.deepcopy(result.get("fields") or {})
    warnings: list[str] = []
    if not memory:
        return fields, warnings
    if _identity_conflict(memory, fields):
        return fields, ["This invoice's tax id and bank account differ from those of the vendor whose corrections "
                        "share its name, so those corrections were not applied."]
    doc = _Doc.of(result.get("content") or "", memory)
    if result.get("source") != "einvoice":
        _recall_anchors(memory, doc, fields, warnings)
        _recall_dates(memory, doc, fields, warnings)
        _recall_currency(memory, doc, fields, warnings)
        _recall_constants(memory, doc, fields, warnings)
    _recall_vendor_name(memory, doc, fields, warnings)
    return fields, warnings


def _recall_anchors(memory: dict[str, Any], doc: _Doc, fields: dict[str, Any], warnings: list[str]) -> None:
    for name, entry in sorted((memory.get("fields") or {}).items()):
        if name not in ANCHORED:
            continue
        for anchor in entry.get("anchors", []):
            trust = _trust(anchor)
            if trust is None:
                continue
            got = read_anchor(doc, name, anchor)
            if got is None or got.ambiguous:
                continue
            conf = min(trust, HIGH if got.shape_ok else ODD_SHAPE) if got.exact else min(trust, WEAK)
            info = {"from": "label", "label": anchor["label"], "where": anchor.get("where", "right")}
            _apply(fields, name, got.value, got.text, conf, info, warnings, got.page)
            break


def _recall_dates(memory: dict[str, Any], doc: _Doc, fields: dict[str, Any], warnings: list[str]) -> None:
    """Ambiguous dates ("03/04/2025") re-read in the vendor's confirmed day/month order."""
    learned = _learned_order(memory)
    if learned is None:
        return
    order, trust = learned
    for name in sorted(DATE_FIELDS):
        f = fields.get(name)
        if not isinstance(f, dict) or f.get("method") == "learned" or not f.get("text"):
            continue
        p = parse_date(str(f["text"]), order)
        if p is None or not p.ambiguous:
            continue
        _apply(fields, name, p.value.isoformat(), str(f["text"]), trust, {"from": "date_order", "order": order},
               warnings, f.get("page"))


def _recall_currency(memory: dict[str, Any], doc: _Doc, fields: dict[str, Any], warnings: list[str]) -> None:
    """The vendor's currency fills a missing or doubtful one, unless the page shows only other currencies."""
    votes = memory.get("currency") or {}
    code = _top(votes)
    if code is None:
        return
    total = sum(int(v) for v in votes.values())
    trust = HIGH if int(votes[code]) == total else USABLE if int(votes[code]) >= 0.8 * total else None
    if trust is None:
        return
    shown = {c for c, _s, _e, strength in detect_currencies(doc.text) if strength >= 0.9}
    cur = fields.get("CurrencyCode")
    if shown and code not in shown:
        # the page prints other currencies only: never fill; a sure engine value is still doubted and said
        if isinstance(cur, dict) and _field_conf(cur) >= SURE:
            _apply(fields, "CurrencyCode", code, code, trust, {"from": "currency"}, warnings)
        return
    _apply(fields, "CurrencyCode", code, code, trust, {"from": "currency"}, warnings)


def _recall_constants(memory: dict[str, Any], doc: _Doc, fields: dict[str, Any], warnings: list[str]) -> None:
    """The vendor's own values (tax id, our customer number, names, addresses, bank account), where this invoice
    prints them."""
    for name, entry in sorted((memory.get("constants") or {}).items()):
        trust = _trust(entry)
        value = entry.get("value")
        if trust is None or not value:
            continue
        printed = _printed(doc, str(value))
        if printed is None:
            continue
        info = {"from": "vendor"}
        if name in ("IBAN", "SWIFT"):
            _apply_payment(fields, name, str(value), trust, info)
        else:
            _apply(fields, name, value, printed, trust, info, warnings)


def _apply_payment(fields: dict[str, Any], name: str, value: str, trust: float, info: dict[str, Any]) -> None:
    """The vendor's known account, printed on this invoice, goes first in PaymentDetails (filled if missing)."""
    pd = fields.get("PaymentDetails")
    details = [dict(d) for d in _payment(fields)]
    norm = normalize_iban(value) if name == "IBAN" else value.replace(" ", "").upper()
    if name == "IBAN":
        rest = [d for d in details if normalize_iban(d.get("IBAN", "")) != norm]
        first = next((d for d in details if normalize_iban(d.get("IBAN", "")) == norm), {"IBAN": norm})
        details = [first, *rest]
    elif details and not details[0].get("SWIFT"):
        details[0]["SWIFT"] = norm
    elif not details or details[0].get("SWIFT", "").replace(" ", "").upper() != norm:
        return
    conf = max(_field_conf(pd), trust) if isinstance(pd, dict) else trust
    base = pd if isinstance(pd, dict) else {"text": value, "method": "learned"}
    fields["PaymentDetails"] = {**base, "value": details, "confidence": round(conf, 3), "learned": info}


def _recall_vendor_name(memory: dict[str, Any], doc: _Doc, fields: dict[str, Any], warnings: list[str]) -> None:
    """The team's name for the vendor replaces a name the engine is known to misread this way, or any name when
    the canonical one is printed on the page."""
    vn = memory.get("vendor_name")
    if not isinstance(vn, dict) or not vn.get("value"):
        return
    trust = _trust(vn)
    if trust is None:
        return
    canonical = str(vn["value"])
    cur = fields.get("VendorName")
    read = normalise_vendor_name(str(_value(cur) or ""))
    known = read and (read in (vn.get("aliases") or {}) or read == normalise_vendor_name(canonical))
    if not known and (doc.text == "" or _printed(doc, canonical) is None):
        return
    _apply(fields, "VendorName", canonical, canonical, trust, {"from": "vendor_name"}, warnings)
