"""Learning from corrections (review/learning.py), on invoices drawn here and read by the real engine.

The proof the issue asks for: a vendor's invoice the engine misreads, the clerk's correction, and the vendor's
next invoice (other numbers, dates and amounts) read right, with a confidence the card may treat as sure. Each
document is first checked to really trip the engine, so a test cannot pass because the engine got better.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from invoice_capture.extraction.engine import extract_path
from invoice_capture.review.learning import (
    SURE,
    identity_keys,
    learn,
    normalise_vendor_name,
    recall,
)
from tests.make_invoice import Item, draw, header, totals

VENDOR = "Nordlicht Handel GmbH"


def read(tmp_path: Path, name: str, page: list[Item]) -> dict[str, Any]:
    """The extraction contract's JSON for a one-page PDF, as the service stores it."""
    return extract_path(draw(tmp_path / f"{name}.pdf", [page])).to_json()


def value(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else None


def corrected(fields: dict[str, Any], **edits: Any) -> dict[str, Any]:
    """The fields after a clerk's edits, as review/edits.py writes them."""
    out = copy.deepcopy(fields)
    for name, v in edits.items():
        out[name] = {**out.get(name, {}), "value": v, "text": str(v), "confidence": 1.0, "method": "manual",
                     "edited_by": "clerk"}
    return out


class Service:
    """What the service does around the pure functions: memories filed under identity keys, found by them."""

    def __init__(self) -> None:
        self.memories: list[dict[str, Any]] = []
        self.keys: dict[str, int] = {}

    def find(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        mid = next((self.keys[k] for k in identity_keys(fields) if k in self.keys), None)
        return None if mid is None else self.memories[mid]

    def review(self, result: dict[str, Any], **edits: Any) -> dict[str, Any]:
        """Recall, the clerk's edits (none = confirmed as shown), learn; returns the fields the card showed."""
        memory = self.find(result["fields"])
        shown, _warnings = recall(memory, result)
        mid = self.memories.index(memory) if memory is not None else len(self.memories)
        new = learn(memory, result, shown, corrected(shown, **edits))
        if mid == len(self.memories):
            self.memories.append(new)
        else:
            self.memories[mid] = new
        for k in identity_keys(corrected(shown, **edits)) + identity_keys(result["fields"]):
            self.keys.setdefault(k, mid)
        return shown


def our_ref_invoice(ref: str, date: str, net: str, tax: str, total: str, extra: list[tuple[str, str]] = (),
                    footer: list[str] = ()) -> list[Item]:
    """A vendor that prints its invoice number as "Our ref." (a label the engine does not know)."""
    rows = [("Our ref.", ref), *extra, ("Date:", date), ("Customer no.", "K-2231")]
    return header(VENDOR, rows) + totals([("Net", f"{net} EUR"), ("VAT 19 %", f"{tax} EUR"),
                                          ("Total", f"{total} EUR")]) + [(20, 250 + 7 * i, t)
                                                                         for i, t in enumerate(footer)]


def test_a_corrected_invoice_number_is_read_on_the_vendors_next_invoice(tmp_path: Path) -> None:
    first = read(tmp_path, "n1", our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00"))
    assert value(first["fields"], "InvoiceId") != "NL-77-0412"  # the engine really misses it
    service = Service()
    service.review(first, InvoiceId="NL-77-0412")

    second = read(tmp_path, "n2", our_ref_invoice("NL-78-1033", "07.05.2025", "2.000,00", "380,00", "2.380,00"))
    assert value(second["fields"], "InvoiceId") != "NL-78-1033"
    memory = service.find(second["fields"])
    assert memory is not None
    fields, warnings = recall(memory, second)
    f = fields["InvoiceId"]
    assert f["value"] == "NL-78-1033"
    assert f["confidence"] >= SURE
    assert f["method"] == "learned"
    assert f["learned"]["from"] == "label" and f["learned"]["label"] == "Our ref."
    assert warnings == []
    assert value(fields, "InvoiceTotal") == 2380.0  # what the engine read itself is left alone

    # the clerk leaves it as shown: a confirmation, counted
    confirmed = learn(memory, second, fields, fields)
    anchor = confirmed["fields"]["InvoiceId"]["anchors"][0]
    assert (anchor["hits"], anchor["misses"]) == (2, 0)
    assert confirmed["invoices"] == memory["invoices"] + 1


def test_a_value_under_its_label_is_learned_by_position(tmp_path: Path) -> None:
    def page(ref: str, date: str) -> list[Item]:
        return [(20, 15, "Kranich Logistik GmbH"), (120, 30, "Vorgang"), (150, 30, "Datum"), (120, 36, ref),
                (150, 36, date)] + totals([("Netto", "1.000,00 EUR"), ("MwSt. 19 %", "190,00 EUR"),
                                           ("Gesamt", "1.190,00 EUR")])

    first = read(tmp_path, "k1", page("KR-5521/B", "12.03.2025"))
    assert value(first["fields"], "InvoiceId") is None
    memory = learn(None, first, first["fields"], corrected(first["fields"], InvoiceId="KR-5521/B"))
    assert memory["fields"]["InvoiceId"]["anchors"][0]["where"] == "below"

    second = read(tmp_path, "k2", page("KR-6107/A", "14.04.2025"))
    fields, _ = recall(memory, second)
    assert value(fields, "InvoiceId") == "KR-6107/A"
    assert fields["InvoiceId"]["confidence"] >= SURE


def us_dollar_invoice(number: str, date: str) -> list[Item]:
    """An English USD invoice whose dates are day-first: the engine assumes month-first (US) for them."""
    return header("Harbour Supplies Ltd", [("Invoice No:", number), ("Invoice Date:", date)]) + totals(
        [("Subtotal", "$1,000.00"), ("Tax", "$100.00"), ("Total", "$1,100.00")])


def test_a_corrected_day_month_order_reads_the_next_ambiguous_date_right(tmp_path: Path) -> None:
    first = read(tmp_path, "d1", us_dollar_invoice("HS-2041", "03/04/2025"))
    assert value(first["fields"], "InvoiceDate") == "2025-03-04"  # read month-first
    memory = learn(None, first, first["fields"], corrected(first["fields"], InvoiceDate="2025-04-03"))
    assert memory["date_order"] == {"DMY": 1}

    second = read(tmp_path, "d2", us_dollar_invoice("HS-2077", "05/06/2025"))
    assert value(second["fields"], "InvoiceDate") == "2025-05-06"
    fields, _ = recall(memory, second)
    f = fields["InvoiceDate"]
    assert f["value"] == "2025-06-05"
    assert f["confidence"] >= SURE and f["method"] == "learned"
    assert f["learned"] == {"from": "date_order", "order": "DMY", "replaced": "2025-05-06"}


def chf_invoice(number: str, amounts: tuple[str, str, str]) -> list[Item]:
    return header("Alpenblick Treuhand", [("Invoice No:", number), ("Invoice Date:", "2025-03-14")]) + totals(
        [("Subtotal", amounts[0]), ("Tax", amounts[1]), ("Total", amounts[2])])


def test_the_vendors_currency_fills_a_page_that_shows_none_but_not_one_that_shows_another(tmp_path: Path) -> None:
    first = read(tmp_path, "c1", chf_invoice("AT-7781", ("1,000.00", "77.00", "1,077.00")))
    assert "CurrencyCode" not in first["fields"]  # no currency printed, no country to go by
    memory = learn(None, first, first["fields"], corrected(first["fields"], CurrencyCode="CHF"))

    second = read(tmp_path, "c2", chf_invoice("AT-7790", ("2,000.00", "154.00", "2,154.00")))
    fields, warnings = recall(memory, second)
    assert fields["CurrencyCode"]["value"] == "CHF"
    assert fields["CurrencyCode"]["confidence"] >= SURE and fields["CurrencyCode"]["method"] == "learned"
    assert warnings == []

    # this time the vendor bills in dollars and says so: the page wins, but the card asks
    third = read(tmp_path, "c3", chf_invoice("AT-7799", ("USD 1,000.00", "USD 77.00", "USD 1,077.00")))
    assert third["fields"]["CurrencyCode"]["value"] == "USD" and third["fields"]["CurrencyCode"]["confidence"] >= SURE
    fields, warnings = recall(memory, third)
    assert fields["CurrencyCode"]["value"] == "USD"
    assert fields["CurrencyCode"]["confidence"] < SURE
    assert len(warnings) == 1 and "CHF" in warnings[0]


def brand_invoice(number: str) -> list[Item]:
    """A letterhead with the brand only: the engine takes it for the vendor's name."""
    return header("NORDLICHT", [("Invoice No:", number), ("Invoice Date:", "2025-03-14")]) + [
        (20, 22, "Licht und Technik fuer Profis")] + totals(
        [("Subtotal", "1,000.00 EUR"), ("VAT 19%", "190.00 EUR"), ("Total", "1,190.00 EUR")])


def test_the_canonical_vendor_name_replaces_the_name_the_engine_misreads(tmp_path: Path) -> None:
    first = read(tmp_path, "v1", brand_invoice("INV-3301"))
    assert value(first["fields"], "VendorName") == "NORDLICHT"
    service = Service()
    service.review(first, VendorName=VENDOR)
    assert service.memories[0]["vendor_name"]["aliases"] == {"nordlicht": 1}

    second = read(tmp_path, "v2", brand_invoice("INV-3388"))
    memory = service.find(second["fields"])  # found under the misread name the memory was filed with
    assert memory is not None
    fields, _ = recall(memory, second)
    assert fields["VendorName"]["value"] == VENDOR
    assert fields["VendorName"]["confidence"] >= SURE and fields["VendorName"]["method"] == "learned"


def test_memory_does_not_fire_for_another_vendor(tmp_path: Path) -> None:
    first = read(tmp_path, "a1", our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00",
                                                 footer=["IBAN: DE89 3704 0044 0532 0130 00"]))
    service = Service()
    service.review(first, InvoiceId="NL-77-0412")

    other = read(tmp_path, "b1", header("Sonnenhof Bau AG", [("Our ref.", "SB-11-0001"), ("Date:", "07.05.2025")])
                 + totals([("Net", "500,00 EUR"), ("VAT 19 %", "95,00 EUR"), ("Total", "595,00 EUR")])
                 + [(20, 250, "IBAN: DE02 1203 0000 0000 2020 51")])
    assert service.find(other["fields"]) is None

    # a vendor that shares the name but pays into another account is another vendor: nothing is applied
    same_name = read(tmp_path, "c1", our_ref_invoice("NL-80-0002", "07.05.2025", "500,00", "95,00", "595,00",
                                                     footer=["IBAN: DE02 1203 0000 0000 2020 51"]))
    memory = service.find(same_name["fields"])
    assert memory is not None  # found by the name...
    fields, warnings = recall(memory, same_name)
    assert fields == same_name["fields"]  # ...but not applied
    assert len(warnings) == 1 and "differ" in warnings[0]


def test_memory_raises_an_agreeing_read_and_doubts_a_confident_contradicting_one(tmp_path: Path) -> None:
    first = read(tmp_path, "n1", our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00"))
    memory = learn(None, first, first["fields"], corrected(first["fields"], InvoiceId="NL-77-0412"))

    # the vendor now prints an invoice number the engine reads confidently, and the "Our ref." too
    both = read(tmp_path, "both", our_ref_invoice("NL-79-0001", "07.05.2025", "2.000,00", "380,00", "2.380,00",
                                                  [("Invoice No.:", "INV-555")]))
    engine = both["fields"]["InvoiceId"]
    assert engine["value"] == "INV-555" and engine["confidence"] >= SURE
    fields, warnings = recall(memory, both)
    assert fields["InvoiceId"]["value"] == "INV-555"  # the engine's confident value is kept...
    assert fields["InvoiceId"]["confidence"] < SURE  # ...but not as sure any more
    assert fields["InvoiceId"]["learned"]["suggests"] == "NL-79-0001"
    assert len(warnings) == 1 and "Our ref." in warnings[0]

    # an engine value the memory agrees with is never lowered
    agreeing = {**both, "fields": {**both["fields"], "InvoiceId": {**engine, "value": "NL-79-0001",
                                                                    "confidence": 0.97}}}
    fields, warnings = recall(memory, agreeing)
    assert fields["InvoiceId"]["value"] == "NL-79-0001"
    assert fields["InvoiceId"]["confidence"] == 0.97 and fields["InvoiceId"]["method"] == engine["method"]
    assert warnings == []


def test_a_memory_that_proves_wrong_loses_weight_and_the_new_place_is_learned(tmp_path: Path) -> None:
    first = read(tmp_path, "n1", our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00"))
    memory = learn(None, first, first["fields"], corrected(first["fields"], InvoiceId="NL-77-0412"))

    # the vendor moves its invoice number to "Belegcode:" and "Our ref." becomes something else
    moved = read(tmp_path, "m1", our_ref_invoice("NL-78-1033", "07.05.2025", "2.000,00", "380,00", "2.380,00",
                                                 [("Belegcode:", "ZX-2025-99")]))
    shown, _ = recall(memory, moved)
    assert shown["InvoiceId"]["value"] == "NL-78-1033"  # what the memory said
    memory = learn(memory, moved, shown, corrected(shown, InvoiceId="ZX-2025-99"))
    by_label = {a["label"]: a for a in memory["fields"]["InvoiceId"]["anchors"]}
    assert (by_label["Our ref."]["hits"], by_label["Our ref."]["misses"]) == (1, 1)
    assert (by_label["Belegcode"]["hits"], by_label["Belegcode"]["misses"]) == (1, 0)

    later = read(tmp_path, "m2", our_ref_invoice("NL-81-2000", "07.06.2025", "500,00", "95,00", "595,00",
                                                 [("Belegcode:", "ZX-2025-131")]))
    fields, _ = recall(memory, later)
    assert fields["InvoiceId"]["value"] == "ZX-2025-131"
    assert fields["InvoiceId"]["learned"]["label"] == "Belegcode"
    assert fields["InvoiceId"]["confidence"] >= SURE


def test_identity_keys_strongest_first_and_normalised() -> None:
    fields = {
        "VendorName": {"value": "Müller & Söhne GmbH & Co. KG"},
        "VendorTaxId": {"value": "DE 136 695 976"},
        "PaymentDetails": {"value": [{"IBAN": "de89 3704 0044 0532 0130 00", "SWIFT": "COBADEFFXXX"},
                                     {"IBAN": {"value": "GB82WEST12345698765432"}}]},
        "CustomerName": {"value": "Contoso Ltd"},
    }
    assert identity_keys(fields, 12) == ["vendor:12", "tax:DE136695976", "iban:DE89370400440532013000",
                                         "iban:GB82WEST12345698765432", "name:muller & sohne"]
    assert normalise_vendor_name("MULLER & SOHNE") == normalise_vendor_name("Müller und Söhne GmbH")
    assert normalise_vendor_name("Rossi Forniture S.r.l.") == "rossi forniture"
    assert normalise_vendor_name("Servicios García S. L.") == "servicios garcia"
    # the bill-to party or a document title taken for the vendor is no identity
    assert identity_keys({"VendorName": {"value": "Contoso Ltd."}, "CustomerName": {"value": "CONTOSO LTD"}}) == []
    assert identity_keys({"VendorName": {"value": "INVOICE"}}) == []


def test_learn_and_recall_do_not_change_their_inputs(tmp_path: Path) -> None:
    first = read(tmp_path, "n1", our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00"))
    memory = learn(None, first, first["fields"], corrected(first["fields"], InvoiceId="NL-77-0412"))
    snapshot_memory, snapshot_result = copy.deepcopy(memory), copy.deepcopy(first)
    after = corrected(first["fields"], InvoiceId="NL-77-0412")
    learned = learn(memory, first, first["fields"], after)
    fields, _ = recall(memory, first)
    assert memory == snapshot_memory and first == snapshot_result
    assert learned is not memory and fields is not first["fields"]


@pytest.mark.parametrize("empty", [None, {}])
def test_no_memory_gives_the_engines_fields(tmp_path: Path, empty: dict[str, Any] | None) -> None:
    first = read(tmp_path, "n1", our_ref_invoice("NL-77-0412", "03.04.2025", "1.000,00", "190,00", "1.190,00"))
    assert recall(empty, first) == (first["fields"], [])


def test_a_label_that_points_at_several_values_is_not_used(tmp_path: Path) -> None:
    def page(rows: list[tuple[str, str]]) -> list[Item]:
        return header("Kestrel Tools Ltd", [("Invoice No:", "KT-1001"), ("Invoice Date:", "14 March 2025")]) + \
            totals(rows)

    first = read(tmp_path, "t1", page([("Net", "£1,000.00"), ("VAT 20 %", "£200.00"), ("Total", "£1,200.00")]))
    missed = {k: v for k, v in first["fields"].items() if k != "TotalTax"}  # as if the engine had missed it
    memory = learn(None, first, missed, corrected(missed, TotalTax=200.0))
    assert memory["fields"]["TotalTax"]["anchors"][0]["label"] == "VAT 20 %"

    single = read(tmp_path, "t2", page([("Net", "£500.00"), ("VAT 20 %", "£100.00"), ("Total", "£600.00")]))
    fields, _ = recall(memory, {**single, "fields": {k: v for k, v in single["fields"].items() if k != "TotalTax"}})
    assert fields["TotalTax"]["value"] == 100.0 and fields["TotalTax"]["method"] == "learned"

    # two rates: "VAT 20 %" and "VAT 5 %" both match the learned label (numbers in labels may change), with
    # different values; the tax total is neither, so the memory stays out
    two = read(tmp_path, "t3", page([("Net", "£500.00"), ("VAT 20 %", "£60.00"), ("VAT 5 %", "£10.00"),
                                     ("Total", "£570.00")]))
    gap = {**two, "fields": {k: v for k, v in two["fields"].items() if k != "TotalTax"}}
    fields, warnings = recall(memory, gap)
    assert "TotalTax" not in fields and warnings == []
