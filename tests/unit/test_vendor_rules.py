"""Vendor rules from the tenant's config: extra fields found by label, key-value pair or page region."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from invoice_capture.extraction.chain import ChainExtractor, chain_config
from invoice_capture.extraction.model import Page, Word
from invoice_capture.extraction.vendor_rules import apply_rules, parse_rules, text_layer_pages
from tests.make_invoice import draw, header

CONTENT = """CONTOSO LTD.
Invoice INV-100
Loyalty program number: LP-778812
Customer reference
CR-4471-B
Delivery on 12.03.2024
Freight surcharge 1.234,50 EUR"""


def res(vendor: str = "Contoso Ltd.", **extra: object) -> dict:
    return {"fields": {"VendorName": {"value": vendor, "confidence": 0.9}}, "content": CONTENT, **extra}


def test_label_on_the_same_line_and_on_the_next_line() -> None:
    rules = parse_rules([
        {"vendor": "contoso", "field": "LoyaltyNumber", "type": "id", "label": r"loyalty\s+program\s+number"},
        {"vendor": "Contoso", "field": "CustomerReference", "type": "id", "label": "customer reference"}])
    out = apply_rules(res(), rules)
    assert out["LoyaltyNumber"]["value"] == "LP-778812" and out["LoyaltyNumber"]["method"] == "rule"
    assert out["CustomerReference"]["value"] == "CR-4471-B"


def test_types_amount_and_date() -> None:
    rules = parse_rules([
        {"vendor": "Contoso", "field": "Freight", "type": "amount", "label": "freight surcharge"},
        {"vendor": "Contoso", "field": "DeliveryDate", "type": "date", "label": "delivery on"},
        {"vendor": "Contoso", "field": "ShipDate", "type": "date", "label": "delivery on", "date_order": "DMY"}])
    out = apply_rules(res(), rules)
    assert out["Freight"]["value"] == 1234.5
    assert "DeliveryDate" not in out  # 12.03.2024 could be 3 December: without the vendor's order, left out
    assert out["ShipDate"]["value"] == dt.date(2024, 3, 12).isoformat()


def test_rules_of_another_vendor_do_not_apply() -> None:
    rules = parse_rules([{"vendor": "Adatum", "field": "LoyaltyNumber", "type": "id", "label": "loyalty"}])
    assert apply_rules(res(), rules) == {}
    everyone = parse_rules([{"vendor": "*", "field": "LoyaltyNumber", "type": "id", "label": "loyalty"}])
    assert "LoyaltyNumber" in apply_rules(res("Adatum"), everyone)


def test_key_value_pairs_from_azure_come_first_and_carry_geometry() -> None:
    rules = parse_rules([{"vendor": "Contoso", "field": "LoyaltyNumber", "type": "id", "label": "loyalty",
                          "pattern": r"LP-\d+"}])
    kv = [{"key": "Loyalty #", "value": "LP-0001", "confidence": 0.8, "page": 1, "bbox": [10.0, 20.0, 60.0, 30.0]}]
    out = apply_rules(res(key_values=kv), rules)
    assert out["LoyaltyNumber"]["value"] == "LP-0001" and out["LoyaltyNumber"]["bbox"] == [10.0, 20.0, 60.0, 30.0]


def test_page_region_reads_the_words_inside_it() -> None:
    page = Page(1, 600, 800, [Word("Cost", (400, 20, 430, 30), 1), Word("centre", (432, 20, 470, 30), 1),
                              Word("CC-17", (480, 20, 520, 30), 1), Word("CC-99", (50, 700, 90, 710), 1)])
    rules = parse_rules([{"vendor": "Contoso", "field": "CostCentre", "type": "id",
                          "region": {"page": 1, "box": [0.6, 0.0, 1.0, 0.1]}, "pattern": r"CC-\d+"}])
    out = apply_rules(res(), rules, [page])
    assert out["CostCentre"]["value"] == "CC-17" and out["CostCentre"]["page"] == 1
    assert apply_rules(res(), rules, []) == {}  # no words (a scan without Azure): nothing, never a guess


def test_region_rule_on_a_real_pdf_text_layer(tmp_path: Path) -> None:
    pdf = draw(tmp_path / "r.pdf", [header("Contoso Ltd.", [("Invoice", "INV-7"), ("Cost centre", "CC-2040")])])
    pages = text_layer_pages(pdf)
    rules = parse_rules([{"vendor": "Contoso", "field": "CostCentre", "type": "id", "label": "cost centre",
                          "region": {"page": 1, "box": [0.0, 0.0, 1.0, 0.5]}}])
    assert apply_rules(res(), rules, pages)["CostCentre"]["value"] == "CC-2040"


@pytest.mark.parametrize("bad", [{"page": 1, "box": [0.5, 0, 0.4, 1]}, {"page": 1, "box": [0, 0, 2, 1]}, {}])
def test_bad_regions_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="region"):
        parse_rules([{"vendor": "X", "field": "Y", "region": bad}])


async def test_rules_run_last_in_the_chain_and_are_provenanced() -> None:
    class Local:
        async def extract(self, path: Path, name: str) -> dict:
            return {"file": name, "engine": "local", "pages": 1, "fields": {
                "VendorName": {"value": "Contoso Ltd.", "text": "CONTOSO LTD.", "confidence": 0.88}},
                "items": [], "content": CONTENT, "warnings": [], "timings": {}}

    cfg = chain_config({"chain": ["local", "vendor_rules"], "vendor_rules": [
        {"vendor": "Contoso", "field": "LoyaltyNumber", "type": "id", "label": "loyalty program number"}]})
    out = await ChainExtractor(Local(), None, config_for=lambda _t: cfg).extract(Path("x.pdf"), "x.pdf")
    assert out["fields"]["LoyaltyNumber"]["value"] == "LP-778812"
    assert out["fields"]["LoyaltyNumber"]["engine"] == "vendor_rules"
    assert out["engines"] == ["local", "vendor_rules"]
    json.dumps(out)  # the contract stays JSON
