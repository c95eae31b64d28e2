"""An Azure Document Intelligence analyze result (API 2024-11-30, prebuilt-invoice or a custom model) as the
extraction contract.

The input is the REST JSON of ``analyzeResult`` (camelCase keys, as the service sends it and as the SDK's
``AnalyzeResult`` gives back with ``as_dict()``), so the mapping can be tested on recorded responses without a
client. Field names already are the contract's (the contract took them from this model); what changes is the
value types and the geometry:

- ``currency`` -> an amount (``Decimal``); the currency codes of the amounts become ``CurrencyCode``, and where
  Azure gives only a symbol ("$") the code is resolved as the local engine does (symbol + country in the text);
- ``address`` -> the printed address on one line (the contract's addresses are strings);
- ``date`` -> ``date`` from ``valueDate`` only: a date Azure could not normalise is left out, never guessed;
- ``Items`` -> rows of item fields; ``PaymentDetails`` -> ``[{IBAN, SWIFT}]``; ``TaxDetails`` -> ``[{Rate,
  Amount, NetAmount}]`` like the e-invoice reader's;
- ``boundingRegions[0]`` -> ``page`` and ``bbox``: the polygon's bounding rectangle, in PDF points for pages
  measured in inches (Azure's unit for PDFs) and in pixels for images, the units the local engine reports, so
  the two engines' boxes can be compared.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from invoice_capture.extraction.model import AMOUNT_FIELDS, BBox, ExtractedInvoice, Field
from invoice_capture.extraction.normalize import country_from_text, detect_currencies, resolve_currency
from invoice_capture.extraction.parties import join_address

#: Azure's confidences are its own; ours promise ">= 0.9 means 97% right". Until a tenant's review outcomes say
#: otherwise, Azure is never more sure than the local engine can ever be.
MAX_CONFIDENCE = 0.99
#: Item columns whose values are amounts or counts (``Decimal``), whatever type Azure gave them.
ITEM_NUMBERS = frozenset({"Quantity", "UnitPrice", "Tax", "Amount", "TaxRate"})
#: Points per unit of page measure: PDFs are measured in inches by Azure, images in pixels.
_UNIT_SCALE = {"inch": 72.0, "pixel": 1.0}
_RATE = re.compile(r"(-?\d+(?:[.,]\d+)?)")


def _scale(pages: list[dict[str, Any]]) -> dict[int, float]:
    return {p.get("pageNumber", i + 1): _UNIT_SCALE.get(str(p.get("unit", "pixel")), 1.0)
            for i, p in enumerate(pages)}


def _geometry(f: dict[str, Any], scale: dict[int, float]) -> tuple[int | None, BBox | None]:
    regions = f.get("boundingRegions") or []
    if not regions:
        return None, None
    page = int(regions[0].get("pageNumber", 1))
    poly = regions[0].get("polygon") or []
    if len(poly) < 4:
        return page, None
    k = scale.get(page, 1.0)
    xs, ys = poly[0::2], poly[1::2]
    return page, (min(xs) * k, min(ys) * k, max(xs) * k, max(ys) * k)


def _confidence(f: dict[str, Any]) -> float:
    """Azure omits the confidence only on values it did not score; such a value is not one to trust."""
    c = f.get("confidence")
    return round(min(float(c), MAX_CONFIDENCE), 3) if isinstance(c, int | float) else 0.5


def _decimal(x: Any) -> Decimal | None:
    try:
        return Decimal(str(x))
    except (InvalidOperation, ValueError):
        return None


def _percent(text: str) -> Decimal | None:
    m = _RATE.search(text or "")
    return _decimal(m.group(1).replace(",", ".")) if m else None


def _address(f: dict[str, Any]) -> str | None:
    content = f.get("content")
    if content:
        return join_address([ln.strip() for ln in str(content).splitlines() if ln.strip()])
    a = f.get("valueAddress") or {}
    street = a.get("streetAddress") or " ".join(x for x in (a.get("houseNumber"), a.get("road")) if x)
    tail = " ".join(x for x in (a.get("state"), a.get("postalCode")) if x)
    parts = [x for x in (street, a.get("city"), tail, a.get("countryRegion")) if x]
    return ", ".join(parts) or None


def plain_value(name: str, f: dict[str, Any]) -> Any:
    """The normalised value of one Azure field (None when Azure gave none): Decimal, date, str, bool."""
    kind = f.get("type")
    if kind == "currency":
        amount = _decimal((f.get("valueCurrency") or {}).get("amount"))
        return abs(amount) if amount is not None and name == "TotalDiscount" else amount
    if kind == "date":
        raw = f.get("valueDate")
        try:
            return dt.date.fromisoformat(str(raw)[:10]) if raw else None
        except ValueError:
            return None
    if kind == "address":
        return _address(f)
    if kind in ("number", "integer"):
        raw = f.get("valueNumber", f.get("valueInteger"))
        if raw is None:
            return None
        return _decimal(raw) if name in AMOUNT_FIELDS or name in ITEM_NUMBERS else raw
    if kind == "string" and name == "TaxRate":
        return _percent(f.get("valueString") or f.get("content") or "")
    for key in ("valueString", "valuePhoneNumber", "valueCountryRegion", "valueBoolean", "valueSelectionMark",
                "valueTime"):
        if f.get(key) is not None:
            return f[key]
    return f.get("content") or None


def to_field(name: str, f: dict[str, Any], scale: dict[int, float]) -> Field | None:
    value = plain_value(name, f)
    if value is None or value == "":
        return None
    page, bbox = _geometry(f, scale)
    text = str(f.get("content") or value)
    return Field(value=value, text=text, confidence=_confidence(f), page=page, bbox=bbox, method="azure")


def _objects(f: dict[str, Any]) -> list[dict[str, Any]]:
    return [x.get("valueObject") or {} for x in f.get("valueArray") or [] if x.get("type") == "object"]


def _items(f: dict[str, Any], scale: dict[int, float]) -> list[dict[str, Field]]:
    rows = []
    for obj in _objects(f):
        row = {k: fld for k, v in obj.items() if (fld := to_field(k, v, scale)) is not None}
        if row:
            rows.append(row)
    return rows


def _list_field(f: dict[str, Any], scale: dict[int, float], keys: tuple[str, ...],
                rename: dict[str, str] | None = None) -> Field | None:
    """An array of objects (PaymentDetails, TaxDetails) as one field whose value is a list of plain dicts."""
    values: list[dict[str, Any]] = []
    parts: list[Field] = []
    for obj in _objects(f):
        entry: dict[str, Any] = {}
        for k in keys:
            sub = obj.get(k)
            if sub is None:
                continue
            fld = to_field(k, sub, scale)
            if fld is None:
                continue
            key = (rename or {}).get(k, k)
            entry[key] = _percent(fld.text) if key == "Rate" else fld.value
            parts.append(fld)
        if entry:
            values.append(entry)
    if not values:
        return None
    first = parts[0]
    text = "; ".join(p.text for p in parts)
    return Field(values, text, round(min(p.confidence for p in parts), 3), first.page, first.bbox, "azure")


def _currency_code(doc_fields: dict[str, Any], fields: dict[str, Field], content: str) -> Field | None:
    """One code for the document: what Azure said of its amounts, else what their symbol means here."""
    named = [(n, f) for n, f in doc_fields.items() if f.get("type") == "currency" and n in fields]
    named.sort(key=lambda nf: nf[0] != "InvoiceTotal")
    codes = [(n, (f.get("valueCurrency") or {}).get("currencyCode")) for n, f in named]
    for n, code in codes:
        if code:
            src = fields[n]
            agree = sum(1 for _, c in codes if c == code) / len([c for _, c in codes if c])
            return Field(code, code, round(min(src.confidence, 0.97) * agree, 3), src.page, src.bbox, "azure")
    symbols = " ".join(str((f.get("valueCurrency") or {}).get("currencySymbol") or "") for _, f in named).strip()
    if not symbols:
        return None
    address_text = " ".join(str(f.value) for n, f in fields.items() if "Address" in n)
    country = country_from_text(f"{content}\n{address_text}")
    code, conf = resolve_currency(detect_currencies(f"{symbols} 1"), country=country, language=None)
    if not code:
        return None
    src = fields[named[0][0]]
    return Field(code, symbols.split()[0], round(min(conf, src.confidence), 3), src.page, src.bbox, "azure")


def map_analyze_result(result: dict[str, Any], name: str) -> ExtractedInvoice:
    """The contract's ``ExtractedInvoice`` for one analyzed document (the first of ``documents``)."""
    pages = result.get("pages") or []
    scale = _scale(pages)
    docs = result.get("documents") or []
    doc = docs[0] if docs else {}
    doc_fields: dict[str, Any] = doc.get("fields") or {}
    fields: dict[str, Field] = {}
    items: list[dict[str, Field]] = []
    for fname, f in doc_fields.items():
        if fname == "Items":
            items = _items(f, scale)
        elif fname == "PaymentDetails":
            if (pd := _list_field(f, scale, ("IBAN", "SWIFT"))) is not None:
                fields[fname] = pd
        elif fname == "TaxDetails":
            if (td := _list_field(f, scale, ("Rate", "Amount", "NetAmount"))) is not None:
                fields[fname] = td
        elif f.get("type") not in ("array", "object") and (fld := to_field(fname, f, scale)) is not None:
            fields[fname] = fld
    content = str(result.get("content") or "")
    if "CurrencyCode" not in fields and (cur := _currency_code(doc_fields, fields, content)) is not None:
        fields["CurrencyCode"] = cur
    doc_type = str(doc.get("docType") or "invoice").split(":")[-1]
    languages = result.get("languages") or []
    warnings = [str(w.get("message") or w.get("code")) for w in result.get("warnings") or []]
    if not docs:
        warnings.append("Azure Document Intelligence found no document in this file.")
    return ExtractedInvoice(file=name, engine="azure", pages=len(pages), doc_type=doc_type, fields=fields,
                            items=items, content=content, warnings=warnings, source="visual",
                            language=str(languages[0].get("locale")) if languages else None)


def key_value_pairs(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``keyValuePairs`` feature's output, flattened: what a vendor rule can look a label up in."""
    scale = _scale(result.get("pages") or [])
    out = []
    for kv in result.get("keyValuePairs") or []:
        key, value = kv.get("key") or {}, kv.get("value") or {}
        if not key.get("content") or not value.get("content"):
            continue
        page, bbox = _geometry(value, scale)
        out.append({"key": key["content"], "value": value["content"], "confidence": _confidence(kv),
                    "page": page, "bbox": list(bbox) if bbox else None})
    return out
