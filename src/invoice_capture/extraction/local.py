"""The local visual engine: a laid-out document in, fields and line items with calibrated confidences out.

Order matters and is the point of this module:
1. read the document as a whole (language, country, decimal separator, date order) so that every value is
   parsed the way this document writes it;
2. find the item table first, so its header words ("Total", "VAT") are not mistaken for totals labels;
3. collect every labelled value as a candidate, then choose per field, with the amounts chosen together by
   arithmetic (crosscheck.py);
4. turn evidence into confidence: a value with a clean label and a clean read is good, one that is also
   confirmed by arithmetic or a checksum is very good, one that is ambiguous or contradicted says so.
"""

from __future__ import annotations

import re
from collections import defaultdict

from invoice_capture.extraction.crosscheck import amount_confidence, choose_amounts
from invoice_capture.extraction.fields import (
    Candidate,
    DocContext,
    first_date_candidate,
    hash_id_candidate,
    label_candidates,
    pattern_candidates,
    vendor_candidates,
)
from invoice_capture.extraction.items import check_items, find_tables, headerless_items, items_sum
from invoice_capture.extraction.layout import Layout
from invoice_capture.extraction.model import AMOUNT_FIELDS, DATE_FIELDS, Field
from invoice_capture.extraction.normalize import (
    country_from_text,
    currency_for_country,
    detect_currencies,
    detect_language,
    find_dates,
    guess_decimal_separator,
    infer_date_order,
    resolve_currency,
)
from invoice_capture.extraction.parties import address_block, section_parties, sender_line_parties

_CUSTOMER_HINT = re.compile(r"\b(your|uw|ihre?|votre|vostr[ao]|su|customer|client|kunde|klant|cliente|buyer)\b")


def document_context(layout: Layout) -> tuple[DocContext, str]:
    text = layout.text()
    language, _ = detect_language(text)
    country = country_from_text(text)
    tokens = [w.text for p in layout.pages for w in p.words]
    decimal_hint = guess_decimal_separator(tokens)
    currencies = detect_currencies(text)
    currency, _ = resolve_currency(currencies, country=country, language=language)
    raw_dates = [raw for ln in layout.lines for _, _, raw in find_dates(ln.text)]
    order, certainty = infer_date_order(raw_dates, language=language, currency=currency, country=country)
    return DocContext(decimal_hint, order, certainty, language, country), text


def _field(c: Candidate, confidence: float) -> Field:
    return Field(value=c.value, text=c.text, confidence=round(max(0.0, min(confidence, 0.99)), 3), page=c.page,
                 bbox=c.bbox, method=c.method)


def _rank(c: Candidate) -> tuple[float, bool, int]:
    """Best score first; on a tie the specific label ("Invoice Date") beats the generic one ("Date"), then the
    earlier line."""
    return (-round(c.score, 3), bool(c.extra.get("weak")), c.line)


def _reader(c: Candidate) -> float:
    """How much the reader's (OCR) confidence discounts a value: clean text layers cost nothing."""
    return 0.55 + 0.45 * c.conf


def extract_visual(layout: Layout) -> tuple[dict[str, Field], list[dict[str, Field]], list[str], str | None]:
    """Fields, items, warnings and language of a document read from its layout."""
    ctx, text = document_context(layout)
    warnings: list[str] = []

    tables = find_tables(layout, ctx.decimal_hint)
    items = [it for t in tables for it in t.items]
    skip = {i for t in tables for i in t.header_lines + t.row_lines}
    check_items(items)

    cands = label_candidates(layout, ctx, skip)
    by_field: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_field[c.field].append(c)
    patterns = pattern_candidates(layout)
    fields: dict[str, Field] = {}

    # --- amounts, chosen together
    total_items = items_sum(items)
    choice = choose_amounts(by_field, total_items)
    for name, c in choice.chosen.items():
        fields[name] = _field(c, amount_confidence(c, name in choice.closed, name in choice.contradicted))
    if "TotalDiscount" in fields:  # reported as a positive amount (Azure's convention), however it is printed
        fields["TotalDiscount"].value = abs(fields["TotalDiscount"].value)
    warnings.extend(choice.notes)
    if not items:
        anchor = choice.chosen.get("SubTotal") or choice.chosen.get("InvoiceTotal")
        if anchor is not None and anchor.value:
            items = headerless_items(layout, anchor.value, ctx.decimal_hint, anchor.line)
    if total_items is not None and "SubTotal" in fields and "SubTotal" in choice.closed:
        for it in items:
            if "Amount" in it:
                it["Amount"].confidence = max(it["Amount"].confidence, 0.95)

    # --- ids: one printed value serves one field; the best-scored claim wins
    taken: set[tuple[int, tuple]] = set()
    for name in ("InvoiceId", "PurchaseOrder", "CustomerId"):
        best = None
        for c in sorted(by_field.get(name, []), key=_rank):
            if (c.page, c.bbox) in taken:
                continue
            best = c
            break
        if best is not None:
            taken.add((best.page, best.bbox))
            conf = best.score * _reader(best)
            # a customer or account number competes with many other numbers near it; never "sure" from a label
            fields[name] = _field(best, min(conf, 0.85 if name == "CustomerId" else 0.93))

    # --- dates
    for name in sorted(DATE_FIELDS):
        cs = sorted(by_field.get(name, []), key=_rank)
        if cs:
            fields[name] = _field(cs[0], min(0.95, cs[0].score * _reader(cs[0])))
    if "InvoiceDate" not in fields:
        first = first_date_candidate(layout, ctx, skip)
        if first is not None:
            fields["InvoiceDate"] = _field(first, min(0.6, first.score * _reader(first)))
    if "InvoiceId" not in fields:
        hashed = hash_id_candidate(layout)
        if hashed is not None:
            fields["InvoiceId"] = _field(hashed, min(0.6, hashed.score * _reader(hashed)))
    if "InvoiceDate" in fields and "DueDate" in fields:
        inv, due = fields["InvoiceDate"], fields["DueDate"]
        if due.value < inv.value:
            due.confidence = min(due.confidence, 0.5)
            warnings.append("The due date is before the invoice date.")
        elif (due.value - inv.value).days > 370:
            due.confidence = min(due.confidence, 0.6)

    # --- text fields
    for name in ("PaymentTerm", "ShippingAddress"):
        cs = sorted(by_field.get(name, []), key=_rank)
        if cs:
            fields[name] = _field(cs[0], min(0.85, cs[0].score * _reader(cs[0])))

    # --- parties: section blocks, sender lines, labels, letterheads
    parties = section_parties(layout) + sender_line_parties(layout)
    customer_lines: set[int] = set()
    cust = [p for p in parties if p.role == "customer"]
    ccands = sorted(by_field.get("CustomerName", []), key=_rank)
    best_party = max(cust, key=lambda p: p.name.score) if cust else None
    if best_party is not None and (not ccands or best_party.name.score >= ccands[0].score):
        c = best_party.name
        fields["CustomerName"] = _field(c, min(0.85, c.score * _reader(c)))
        if best_party.address:
            fields["CustomerAddress"] = Field(best_party.address, best_party.address, round(0.75 * _reader(c), 3),
                                              c.page, best_party.address_bbox, "position")
        customer_lines |= best_party.lines
    elif ccands:
        c = ccands[0]
        fields["CustomerName"] = _field(c, min(0.85, c.score * _reader(c)))
        customer_lines.add(c.line)
        x0 = layout.lines[c.line].bbox[0] if c.bbox[1] <= layout.lines[c.line].bbox[3] else c.bbox[0]
        block = address_block(layout, c.line, x0) or address_block(layout, c.line, c.bbox[0])
        if block:
            address, _recipient, box, used = block
            fields["CustomerAddress"] = Field(address, address, round(0.7 * _reader(c), 3), c.page, box, "position")
            customer_lines |= set(used)
    for name in ("ShippingAddress", "ServiceAddress", "RemittanceAddress"):
        for c in by_field.get(name, []):
            customer_lines.add(c.line)

    # --- vendor: explicit labels and sections first, then sender lines, then the letterhead
    vend = [p for p in parties if p.role == "vendor"]
    vcands = [c for c in by_field.get("VendorName", []) if c.line not in customer_lines]
    for c in vcands:  # an explicit "Seller:" / "Service provider:" beats any guess from position
        c.score = min(0.92, c.score + 0.2)
    vcands += [p.name for p in vend if p.name is not None]
    vcands += vendor_candidates(layout, customer_lines, skip)
    if vcands:
        v = max(vcands, key=lambda c: (c.score, -c.line))
        fields["VendorName"] = _field(v, min(0.88, v.score * _reader(v)))
        party = next((p for p in vend if p.name is v), None)
        if party is not None and party.address:
            fields["VendorAddress"] = Field(party.address, party.address, round(0.75 * _reader(v), 3), v.page,
                                            party.address_bbox, "position")
        else:
            block = address_block(layout, v.line, v.bbox[0])
            if block:
                address, recipient, box, _used = block
                fields["VendorAddress"] = Field(address, address, round(0.7 * _reader(v), 3), v.page, box,
                                                "position")
                if recipient:
                    fields["VendorAddressRecipient"] = Field(recipient, recipient, round(0.6 * _reader(v), 3),
                                                             v.page, None, "position")

    # --- tax ids and bank details
    vat_labelled = [c for c in by_field.get("VendorTaxId", []) if c.line not in customer_lines]
    vat_pattern = [c for c in patterns if c.field == "VatId"]
    vendor_vats = [c for c in vat_pattern if c.line not in customer_lines
                   and not _CUSTOMER_HINT.search(c.extra.get("before", ""))]
    customer_vats = [c for c in vat_pattern if c not in vendor_vats]
    if vendor_vats:
        c = vendor_vats[0]
        fields["VendorTaxId"] = _field(c, 0.9 * _reader(c))
    elif vat_labelled:
        c = max(vat_labelled, key=lambda c: c.score)
        fields["VendorTaxId"] = _field(c, min(0.8, c.score * _reader(c)))
    if customer_vats:
        fields["CustomerTaxId"] = _field(customer_vats[0], 0.8 * _reader(customer_vats[0]))
    ibans = [c for c in patterns if c.field == "IBAN"]
    swifts = [c for c in patterns if c.field == "SWIFT"]
    if ibans:
        details = []
        for i, c in enumerate(ibans):
            if any(d["IBAN"] == c.value for d in details):
                continue
            d = {"IBAN": c.value}
            if i < len(swifts):
                d["SWIFT"] = swifts[i].value
            details.append(d)
        first = ibans[0]
        fields["PaymentDetails"] = Field(details, first.text, round(0.95 * _reader(first), 3), first.page,
                                         first.bbox, "pattern")

    # --- currency: what the amounts are written in, else what the text and the country say
    cur_text = " ".join(f.text for n, f in fields.items() if n in AMOUNT_FIELDS)
    near = detect_currencies(cur_text)
    near_code, near_conf = resolve_currency(near, country=ctx.country, language=ctx.language)
    doc_currencies = detect_currencies(text)
    all_code, all_conf = resolve_currency(doc_currencies, country=ctx.country, language=ctx.language)
    code, conf = (near_code, near_conf) if near_code and near_conf >= all_conf * 0.8 else (all_code, all_conf)
    country_code = currency_for_country(ctx.country) if ctx.country else None
    ocr = any(p.source == "ocr" for p in layout.pages)
    if code and country_code and code != country_code:
        if ocr and any(c[0] == country_code for c in doc_currencies):
            code, conf = country_code, 0.6
        else:
            conf = min(conf, 0.75)
    if code and ocr:
        conf = min(conf, 0.88 if any(c[3] >= 1.0 for c in doc_currencies) else 0.8)
    if code:
        anchor = next((f for n, f in fields.items() if n in AMOUNT_FIELDS), None)
        fields["CurrencyCode"] = Field(code, code, round(min(0.97, conf), 3), anchor.page if anchor else None,
                                       anchor.bbox if anchor else None, "pattern")

    # ambiguous date order is said once, plainly
    if ctx.date_order is not None and ctx.date_certainty < 0.9 and any(
        f.confidence < 0.7 for n, f in fields.items() if n in DATE_FIELDS
    ):
        warnings.append(f"Day/month order is ambiguous; read as {ctx.date_order}.")
    return fields, items, warnings, ctx.language
