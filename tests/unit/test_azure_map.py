"""Azure analyze results (REST JSON, API 2024-11-30) -> the extraction contract, one field type at a time.

The replay of the recorded sample invoice covers strings, dates, currency amounts and addresses as Azure returned
them; the fragments below cover the types that recording lacks (arrays of items, PaymentDetails, TaxDetails,
currency codes, key-value pairs) in the documented 2024-11-30 shape.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from invoice_capture.extraction.azure_map import key_value_pairs, map_analyze_result
from tests.fakes import azure_di_replays

REPLAY = Path(__file__).resolve().parents[1] / "fixtures" / "azure_di" / "sample-invoice.json"


@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads(REPLAY.read_text(encoding="utf-8"))["operation"]["analyzeResult"]


def _doc(fields: dict, pages: list | None = None, **extra: object) -> dict:
    return {"apiVersion": "2024-11-30", "modelId": "prebuilt-invoice", "content": "",
            "pages": pages or [{"pageNumber": 1, "width": 8.5, "height": 11, "unit": "inch"}],
            "documents": [{"docType": "invoice", "fields": fields, "confidence": 1.0}], **extra}


def _cur(amount: float, content: str, conf: float = 0.9, code: str | None = None, symbol: str | None = None) -> dict:
    value: dict = {"amount": amount}
    if code:
        value["currencyCode"] = code
    if symbol:
        value["currencySymbol"] = symbol
    return {"type": "currency", "valueCurrency": value, "content": content, "confidence": conf}


def test_committed_replays_are_what_the_converter_makes(dev_set: Path) -> None:
    for doc, rec, name in azure_di_replays.SOURCES:
        fresh = azure_di_replays.dump(azure_di_replays.build_replay(dev_set / "azure_samples" / doc,
                                                                    dev_set / "azure_samples" / rec))
        assert (REPLAY.parent / f"{name}.json").read_text(encoding="utf-8") == fresh


def test_converter_keeps_every_recorded_value(dev_set: Path) -> None:
    v21 = json.loads((dev_set / "azure_samples" / "sample-invoice-output.json").read_text(encoding="utf-8"))
    v4 = azure_di_replays.convert(v21)["analyzeResult"]["documents"][0]["fields"]
    old = v21["analyzeResult"]["documentResults"][0]["fields"]
    assert set(v4) == set(old)
    for name, f in old.items():
        new = v4[name]
        assert new["content"] == f["text"] and new["confidence"] == f["confidence"]
        assert new["boundingRegions"] == [{"pageNumber": f["page"], "polygon": f["boundingBox"]}]
        if f["type"] == "number":
            assert new["valueCurrency"]["amount"] == f["valueNumber"]
            assert "currencyCode" not in new["valueCurrency"]  # the recording has none; none is invented
        elif f["type"] == "date":
            assert new["valueDate"] == f["valueDate"]


def test_recorded_sample_maps_to_the_labelled_values(sample: dict, dev_set: Path) -> None:
    labels = next(json.loads(ln) for ln in (dev_set / "labels.jsonl").read_text().splitlines()
                  if "sample-invoice.pdf" in ln)["fields"]
    out = map_analyze_result(sample, "sample-invoice.pdf")
    assert out.engine == "azure" and out.pages == 1
    for name, expected in labels.items():
        got = out.fields[name].value
        assert (float(got) if isinstance(got, Decimal) else str(got)) == (
            float(expected) if isinstance(expected, int | float) else expected), name


def test_currency_amounts_are_decimals_and_the_symbol_resolves_to_a_code(sample: dict) -> None:
    out = map_analyze_result(sample, "s.pdf")
    total = out.fields["InvoiceTotal"]
    assert total.value == Decimal("110") and total.text == "$110.00" and total.method == "azure"
    assert out.fields["CurrencyCode"].value == "USD"
    assert out.fields["CurrencyCode"].confidence < 0.9  # "$" alone is not proof of US dollars


def test_dates_are_dates_from_value_date_only() -> None:
    out = map_analyze_result(_doc({
        "InvoiceDate": {"type": "date", "valueDate": "2024-03-05", "content": "5 Mar 2024", "confidence": 0.95},
        "DueDate": {"type": "date", "content": "soon", "confidence": 0.4}}), "d.pdf")
    assert out.fields["InvoiceDate"].value == dt.date(2024, 3, 5)
    assert "DueDate" not in out.fields  # Azure could not normalise it: absent, never guessed


def test_addresses_are_one_line_strings(sample: dict) -> None:
    out = map_analyze_result(sample, "s.pdf")
    assert out.fields["VendorAddress"].value == "123 456th St New York, NY, 10001"
    multi = map_analyze_result(_doc({"CustomerAddress": {
        "type": "address", "content": "1 Main St\nSpringfield, IL 62701",
        "valueAddress": {"houseNumber": "1", "road": "Main St", "city": "Springfield"}, "confidence": 0.9}}), "a")
    assert multi.fields["CustomerAddress"].value == "1 Main St, Springfield, IL 62701"
    parts = map_analyze_result(_doc({"ShippingAddress": {
        "type": "address", "confidence": 0.9,
        "valueAddress": {"houseNumber": "1", "road": "Main St", "city": "Springfield", "state": "IL",
                         "postalCode": "62701"}}}), "a")
    assert parts.fields["ShippingAddress"].value == "1 Main St, Springfield, IL 62701"


def test_bounding_regions_become_page_and_bbox_in_points(sample: dict) -> None:
    out = map_analyze_result(sample, "s.pdf")
    f = out.fields["InvoiceId"]  # polygon 7.4926,1.4203 .. 7.9938,1.5198 inches
    assert f.page == 1
    assert f.bbox == pytest.approx((7.4926 * 72, 1.4203 * 72, 7.9938 * 72, 1.5198 * 72))
    img = map_analyze_result(_doc({"InvoiceId": {
        "type": "string", "valueString": "A1", "content": "A1", "confidence": 0.9,
        "boundingRegions": [{"pageNumber": 2, "polygon": [10, 20, 50, 21, 50, 40, 10, 39]}]}},
        pages=[{"pageNumber": 1, "unit": "pixel"}, {"pageNumber": 2, "unit": "pixel"}]), "i.png")
    assert img.fields["InvoiceId"].page == 2 and img.fields["InvoiceId"].bbox == (10, 20, 50, 40)


def test_items_become_rows_of_item_fields() -> None:
    item = {"type": "object", "valueObject": {
        "Description": {"type": "string", "valueString": "Consulting", "content": "Consulting", "confidence": 0.9},
        "Quantity": {"type": "number", "valueNumber": 2, "content": "2", "confidence": 0.9},
        "Unit": {"type": "string", "valueString": "h", "content": "h", "confidence": 0.8},
        "UnitPrice": _cur(30, "30.00", code="EUR"),
        "ProductCode": {"type": "string", "valueString": "C-1", "content": "C-1", "confidence": 0.8},
        "Date": {"type": "date", "valueDate": "2024-03-01", "content": "01.03.2024", "confidence": 0.8},
        "Tax": _cur(11.4, "11.40", code="EUR"),
        "TaxRate": {"type": "string", "valueString": "19%", "content": "19%", "confidence": 0.8},
        "Amount": _cur(60, "60.00", code="EUR")}}
    out = map_analyze_result(_doc({"Items": {"type": "array", "valueArray": [item, item]},
                                   "InvoiceTotal": _cur(120, "120,00 €", code="EUR", conf=0.95)}), "i.pdf")
    assert len(out.items) == 2
    row = out.items[0]
    assert set(row) == {"Description", "Quantity", "Unit", "UnitPrice", "ProductCode", "Date", "Tax", "TaxRate",
                        "Amount"}
    assert row["Quantity"].value == Decimal("2") and row["Amount"].value == Decimal("60")
    assert row["TaxRate"].value == Decimal("19") and row["Date"].value == dt.date(2024, 3, 1)
    assert out.fields["CurrencyCode"].value == "EUR" and out.fields["CurrencyCode"].confidence >= 0.9


def test_payment_and_tax_details_are_lists_of_plain_dicts() -> None:
    bank = {"type": "object", "valueObject": {
        "IBAN": {"type": "string", "valueString": "DE89370400440532013000", "content": "DE89 3704 0044 0532 0130 00",
                 "confidence": 0.9},
        "SWIFT": {"type": "string", "valueString": "COBADEFFXXX", "content": "COBADEFFXXX", "confidence": 0.8}}}
    tax = {"type": "object", "valueObject": {"Rate": {"type": "string", "valueString": "19%", "content": "19%",
                                                      "confidence": 0.9},
                                             "Amount": _cur(19, "19,00", code="EUR"),
                                             "NetAmount": _cur(100, "100,00", code="EUR")}}
    out = map_analyze_result(_doc({"PaymentDetails": {"type": "array", "valueArray": [bank]},
                                   "TaxDetails": {"type": "array", "valueArray": [tax]}}), "p.pdf")
    assert out.fields["PaymentDetails"].value == [{"IBAN": "DE89370400440532013000", "SWIFT": "COBADEFFXXX"}]
    assert out.fields["PaymentDetails"].confidence == 0.8  # the weakest part
    assert out.fields["TaxDetails"].value == [{"Rate": Decimal("19"), "Amount": Decimal("19"),
                                               "NetAmount": Decimal("100")}]
    assert out.to_json()["fields"]["TaxDetails"]["value"] == [{"Rate": 19.0, "Amount": 19.0, "NetAmount": 100.0}]


def test_discount_is_positive_and_confidence_is_capped() -> None:
    out = map_analyze_result(_doc({"TotalDiscount": _cur(-5, "-5.00", conf=1.0, code="USD")}), "d.pdf")
    assert out.fields["TotalDiscount"].value == Decimal("5")
    assert out.fields["TotalDiscount"].confidence == 0.99


def test_query_fields_and_key_value_pairs_come_through() -> None:
    result = _doc({"LoyaltyNumber": {"type": "string", "valueString": "LN-778", "content": "LN-778",
                                     "confidence": 0.7}},
                  keyValuePairs=[{"key": {"content": "Loyalty no."},
                                  "value": {"content": "LN-778", "boundingRegions": [
                                      {"pageNumber": 1, "polygon": [1, 1, 2, 1, 2, 1.2, 1, 1.2]}]},
                                  "confidence": 0.8},
                                 {"key": {"content": "Empty"}, "confidence": 0.5}])
    out = map_analyze_result(result, "q.pdf")
    assert out.fields["LoyaltyNumber"].value == "LN-778"
    kvs = key_value_pairs(result)
    assert kvs == [{"key": "Loyalty no.", "value": "LN-778", "confidence": 0.8, "page": 1,
                    "bbox": pytest.approx([72.0, 72.0, 144.0, 86.4])}]


def test_no_document_is_a_warning_not_a_guess() -> None:
    out = map_analyze_result({"pages": [{"pageNumber": 1}], "content": "hello", "documents": []}, "n.pdf")
    assert out.fields == {} and out.warnings
