"""E-invoice XML (Factur-X / ZUGFeRD / XRechnung / Peppol) as the source of truth.

The labelled ZUGFeRD PDFs of the shared dev set pin the mapping to Azure's field names against real documents;
the hand-written fixtures cover the syntaxes the dev set lacks (UBL, ZUGFeRD 1.0, XRechnung) and the hostile
inputs (XML bombs, external entities) that must never be expanded.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from invoice_capture.extraction import einvoice
from invoice_capture.extraction.einvoice import embedded_xml_from_pdf, parse_einvoice, sniff_einvoice_xml
from invoice_capture.extraction.model import (
    AMOUNT_FIELDS,
    DATE_FIELDS,
    ExtractedInvoice,
    ExtractionError,
    Field,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "einvoice"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "invoices"


def _zugferd_labels() -> list[dict[str, Any]]:
    labels = SHARED / "labels.jsonl"
    if not labels.exists():
        return []
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["file"].startswith("zugferd/") and row["file"].endswith(".pdf")]


ZUGFERD = _zugferd_labels()


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _parse(name: str) -> ExtractedInvoice:
    return parse_einvoice(_fixture(name), name)


def _values(fields: dict[str, Field]) -> dict[str, Any]:
    return {name: f.value for name, f in fields.items()}


def _assert_einvoice_provenance(inv: ExtractedInvoice) -> None:
    """Every value is exact: confidence 1.0, method einvoice, and no page position (the XML has none)."""
    assert inv.engine == "einvoice"
    assert inv.source == "einvoice"
    assert inv.doc_type in {"invoice", "credit_note"}
    every = list(inv.fields.values()) + [f for item in inv.items for f in item.values()]
    assert every
    for f in every:
        assert f.confidence == 1.0
        assert f.method == "einvoice"
        assert f.page is None
        assert f.bbox is None
        assert f.text
    for name in AMOUNT_FIELDS & inv.fields.keys():
        assert isinstance(inv.fields[name].value, Decimal), name
    for name in DATE_FIELDS & inv.fields.keys():
        assert isinstance(inv.fields[name].value, dt.date), name
    json.dumps(inv.to_json())  # the CLI contract must serialise


def _same(expected: Any, got: Any) -> bool:
    """Labels: amounts compared as numbers, dates as ISO strings, strings exactly."""
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return isinstance(got, Decimal) and got == Decimal(str(expected))
    if isinstance(got, dt.date):
        return got.isoformat() == expected
    return got == expected


# ----------------------------------------------------------------------------------------- labelled dev set


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared dev set not found at {SHARED}")
def test_dev_set_has_zugferd_entries() -> None:
    assert len(ZUGFERD) >= 8


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared dev set not found at {SHARED}")
@pytest.mark.parametrize("label", ZUGFERD, ids=[row["file"] for row in ZUGFERD])
def test_embedded_xml_matches_labels(label: dict[str, Any]) -> None:
    pdf = pypdfium2.PdfDocument(SHARED / label["file"])
    try:
        found = embedded_xml_from_pdf(pdf)
    finally:
        pdf.close()
    assert found is not None, "the Factur-X/ZUGFeRD attachment was not found"
    name, data = found
    # The dev set keeps the attachment beside the PDF as <stem>.embedded.<attachment name>.
    assert label["label_file"].endswith(".embedded." + name)
    assert data == (SHARED / label["label_file"]).read_bytes()

    inv = parse_einvoice(data, label["file"])
    _assert_einvoice_provenance(inv)
    assert inv.file == label["file"]
    assert inv.doc_type == ("credit_note" if label["doc_type"] == "credit_note" else "invoice")
    got = _values(inv.fields)
    wrong = {k: (v, got.get(k)) for k, v in label["fields"].items() if not _same(v, got.get(k))}
    assert not wrong, f"labelled fields differ (expected, got): {wrong}"

    if label["items"] is None:  # e.g. BASIC-WL: the XML carries no lines
        assert inv.items == []
    else:
        assert len(inv.items) == len(label["items"])
        for number, (expected, item) in enumerate(zip(label["items"], inv.items, strict=True), 1):
            got_item = _values(item)
            wrong = {k: (v, got_item.get(k)) for k, v in expected.items() if not _same(v, got_item.get(k))}
            assert not wrong, f"line {number} differs (expected, got): {wrong}"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared dev set not found at {SHARED}")
def test_rabatte_semantics_of_subtotal_discount_prepaid_and_amount_due() -> None:
    """FX_EN16931_Rabatte has allowances, a charge and a 50.00 prepayment: pin what each amount means."""
    data = (SHARED / "zugferd" / "FX_EN16931_Rabatte.embedded.factur-x.xml").read_bytes()
    inv = parse_einvoice(data, "rabatte.xml")
    f = _values(inv.fields)
    assert f["SubTotal"] == Decimal("193.77")  # TaxBasisTotalAmount, not LineTotalAmount 202.70
    assert f["TotalDiscount"] == Decimal("14.73")  # AllowanceTotalAmount
    assert f["SubTotal"] + f["TotalTax"] == f["InvoiceTotal"] == Decimal("215.07")
    assert f["AmountDue"] == Decimal("165.07")  # DuePayableAmount = grand total - 50.00 prepaid
    assert "PreviousUnpaidBalance" not in f  # a prepayment is not a previous balance
    assert "Prepaid: 50.00" in inv.content
    assert f["VendorTaxId"] == "DE123456789"  # the VAT id wins over the tax number 201/113/40209
    assert f["PurchaseOrder"] == "2013-471331"
    assert f["PaymentTerm"].startswith("Zahlbar innerhalb 30 Tagen netto bis 04.07.2018")
    assert "DueDate" not in f  # the terms are text only; no DueDateDateTime, so no guessed date
    assert f["TaxDetails"] == [
        {"Rate": Decimal("7.00"), "Amount": Decimal("9.06"), "NetAmount": Decimal("129.37")},
        {"Rate": Decimal("19.00"), "Amount": Decimal("12.24"), "NetAmount": Decimal("64.40")},
    ]
    first = _values(inv.items[0])
    assert first["ProductCode"] == "KR3M"
    assert first["TaxRate"] == Decimal("19.00")
    for text in ("Lieferant GmbH", "Kunden AG Mitte", "Kunstrasen grün 3m breit", "215.07", "165.07"):
        assert text in inv.content


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared dev set not found at {SHARED}")
def test_mustang_unit_price_uses_basis_quantity_and_payment_details() -> None:
    data = (SHARED / "zugferd" / "v2_Mustangproject_MustangGnuaccountingBeispielRE-20201121_508"
            ".embedded.factur-x.xml").read_bytes()
    inv = parse_einvoice(data, "mustang.xml")
    assert [_values(i)["UnitPrice"] for i in inv.items] == [Decimal("160"), Decimal("0.79"), Decimal("0.025")]
    assert inv.fields["PaymentDetails"].value[0]["IBAN"] == "DE88200800000970375700"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared dev set not found at {SHARED}")
def test_oepnv_iban_written_in_groups_and_empty_bic() -> None:
    """An IBAN printed in groups is normalised; an empty <BICID/> means no SWIFT, not an empty one."""
    data = (SHARED / "zugferd" / "FX_EN16931_OEPNV.embedded.factur-x.xml").read_bytes()
    inv = parse_einvoice(data, "oepnv.xml")
    assert inv.fields["PaymentDetails"].value == [{"IBAN": "DE12123456789012345678"}]
    assert inv.fields["PaymentDetails"].text == "DE12 1234 5678 9012 3456 78"


# ------------------------------------------------------------------------------------ hand-written fixtures


def test_peppol_bis3_ubl_invoice() -> None:
    inv = _parse("peppol_bis3_invoice.xml")
    _assert_einvoice_provenance(inv)
    assert inv.doc_type == "invoice"
    assert _values(inv.fields) == {
        "VendorName": "Nordic Consulting AB",  # legal name (BT-27) before the trading name
        "VendorAddress": "Storgatan 12, Building B, 111 23 Stockholm, SE",
        "VendorTaxId": "SE556677889901",
        "CustomerName": "Buyer Trading A/S",
        "CustomerId": "CUST-0815",
        "CustomerAddress": "Vestergade 5, 8000 Aarhus, Midtjylland, DK",
        "CustomerTaxId": "DK12345678",
        "ShippingAddress": "Havnevej 9, 8000 Aarhus C, DK",
        "ShippingAddressRecipient": "Buyer Trading Warehouse",
        "InvoiceId": "INV-2024-0042",
        "InvoiceDate": dt.date(2024, 3, 15),
        "DueDate": dt.date(2024, 4, 14),
        "PurchaseOrder": "PO-7781",
        "PaymentTerm": "30 days net; 1000.00 EUR received as advance payment",
        "ServiceStartDate": dt.date(2024, 2, 1),
        "ServiceEndDate": dt.date(2024, 2, 29),
        "SubTotal": Decimal("3500.00"),  # TaxExclusiveAmount: lines 3590.00 minus the 90.00 allowance
        "TotalDiscount": Decimal("90.00"),
        "TotalTax": Decimal("875.00"),  # the EUR total, not the 9800.00 SEK VAT-accounting total
        "InvoiceTotal": Decimal("4375.00"),
        "AmountDue": Decimal("3375.00"),  # 1000.00 prepaid
        "CurrencyCode": "EUR",
        "PaymentDetails": [{"IBAN": "SE4550000000058398257466", "SWIFT": "ESSESESS"}],
        "TaxDetails": [{"Rate": Decimal("25"), "Amount": Decimal("875.00"), "NetAmount": Decimal("3500.00")}],
    }
    assert [_values(i) for i in inv.items] == [
        {"Description": "Consulting day", "Quantity": Decimal(7), "Unit": "DAY",
         "UnitPrice": Decimal("500.00"), "ProductCode": "CONS-SR", "TaxRate": Decimal(25),
         "Amount": Decimal("3500.00")},
        {"Description": "Network cable 2 m", "Quantity": Decimal(200), "Unit": "C62",
         "UnitPrice": Decimal("0.45"),  # 45.00 per 100 pieces
         "ProductCode": "CAB-2M", "TaxRate": Decimal(25), "Amount": Decimal("90.00")},
    ]
    assert inv.items[1]["UnitPrice"].text == "45.00 per 100 C62"
    assert "Prepaid: 1000.00" in inv.content
    assert "Please quote the invoice number" in inv.content


def test_ubl_credit_note() -> None:
    inv = _parse("ubl_creditnote.xml")
    _assert_einvoice_provenance(inv)
    assert inv.doc_type == "credit_note"
    f = _values(inv.fields)
    assert f["InvoiceId"] == "CN-5001"
    assert f["InvoiceDate"] == dt.date(2024, 5, 2)
    assert f["DueDate"] == dt.date(2024, 5, 16)  # from PaymentMeans/PaymentDueDate
    assert f["VendorName"] == "Bürobedarf Nord GmbH"
    assert f["VendorTaxId"] == "DE811111111"
    assert f["CustomerName"] == "Kanzlei Weber Partnerschaft mbB"
    assert f["PurchaseOrder"] == "4500012345"
    assert (f["SubTotal"], f["TotalTax"], f["InvoiceTotal"], f["AmountDue"]) == (
        Decimal("120.00"), Decimal("22.80"), Decimal("142.80"), Decimal("142.80"),
    )
    assert f["PaymentDetails"] == [{"IBAN": "DE75512108001245126199"}]
    for absent in ("TotalDiscount", "CustomerId", "CustomerTaxId", "ShippingAddress", "PaymentTerm"):
        assert absent not in f
    assert [_values(i) for i in inv.items] == [
        {"Description": "Toner cartridge black XL", "Quantity": Decimal(2), "Unit": "H87",
         "UnitPrice": Decimal("60.00"), "ProductCode": "TN-3480", "TaxRate": Decimal(19),
         "Amount": Decimal("120.00")},
    ]
    assert inv.content.startswith("Credit note")


def test_xrechnung_ubl() -> None:
    inv = _parse("xrechnung_ubl.xml")
    _assert_einvoice_provenance(inv)
    f = _values(inv.fields)
    assert f["InvoiceId"] == "2024-HZ-117"
    assert f["VendorName"] == "Heizung Schulz e.K."
    assert f["VendorTaxId"] == "046/123/45678"  # no VAT id: the tax number (BT-32)
    assert f["VendorAddress"] == "Am Kanal 3, 14467 Potsdam, DE"
    assert f["CustomerName"] == "Landeshauptstadt Potsdam, Gebäudemanagement"
    assert f["CustomerAddress"] == "Friedrich-Ebert-Straße 79, 14469 Potsdam, DE"
    assert f["DueDate"] == dt.date(2024, 7, 12)
    assert (f["ServiceStartDate"], f["ServiceEndDate"]) == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert f["PaymentTerm"] == "Zahlbar innerhalb von 14 Tagen ohne Abzug."
    assert inv.fields["PaymentTerm"].text == "Zahlbar innerhalb von 14 Tagen\n      ohne Abzug."
    assert f["PaymentDetails"] == [{"IBAN": "DE02120300000000202051"}]
    assert (f["SubTotal"], f["TotalTax"], f["InvoiceTotal"], f["AmountDue"]) == (
        Decimal("280.00"), Decimal("53.20"), Decimal("333.20"), Decimal("333.20"),
    )
    # Not in the XML, so not in the result: no allowance total, no buyer id/VAT id, no order reference.
    for absent in ("TotalDiscount", "CustomerId", "CustomerTaxId", "PurchaseOrder", "PreviousUnpaidBalance"):
        assert absent not in f
    assert [_values(i) for i in inv.items] == [
        {"Description": "Wartung Heizungsanlage", "Quantity": Decimal(3), "Unit": "HUR",
         "UnitPrice": Decimal("85.00"), "ProductCode": "W-100", "TaxRate": Decimal("19.00"),
         "Amount": Decimal("255.00")},
        {"Description": "Dichtungssatz", "Quantity": Decimal(2), "Unit": "H87", "UnitPrice": Decimal("12.50"),
         "TaxRate": Decimal("19.00"), "Amount": Decimal("25.00")},
    ]


def test_xrechnung_cii() -> None:
    inv = _parse("xrechnung_cii.xml")
    _assert_einvoice_provenance(inv)
    assert inv.doc_type == "invoice"
    assert _values(inv.fields) == {
        "VendorName": "Bürohandel Krause GmbH",
        "VendorAddress": "Lindenstraße 40, Aufgang C, 10969 Berlin, DE",
        "VendorTaxId": "DE298765432",
        "CustomerName": "Bezirksamt Mitte von Berlin",
        "CustomerId": "K-2291",
        "CustomerAddress": "Müllerstraße 146, 13347 Berlin, DE",
        "CustomerTaxId": "DE987654321",
        "ShippingAddress": "Parkweg 4, 10115 Berlin, DE",
        "ShippingAddressRecipient": "Schule am Park, Hausmeister",
        "InvoiceId": "RB-2024-3307",
        "InvoiceDate": dt.date(2024, 8, 1),
        "DueDate": dt.date(2024, 8, 15),
        "PurchaseOrder": "BE-4711",
        "PaymentTerm": "Zahlbar bis 15.08.2024 ohne Abzug.",
        "ServiceStartDate": dt.date(2024, 7, 1),
        "ServiceEndDate": dt.date(2024, 7, 31),
        "SubTotal": Decimal("121.50"),  # lines 115.60 + 5.90 shipping charge
        "TotalDiscount": Decimal("0.00"),
        "TotalTax": Decimal("16.89"),
        "InvoiceTotal": Decimal("138.39"),
        "AmountDue": Decimal("138.39"),
        "CurrencyCode": "EUR",
        "PaymentDetails": [{"IBAN": "DE89370400440532013000", "SWIFT": "COBADEFFXXX"}],
        "TaxDetails": [
            {"Rate": Decimal(19), "Amount": Decimal("13.28"), "NetAmount": Decimal("69.90")},
            {"Rate": Decimal(7), "Amount": Decimal("3.61"), "NetAmount": Decimal("51.60")},
        ],
    }
    assert inv.fields["InvoiceDate"].text == "20240801"
    items = [_values(i) for i in inv.items]
    assert [i["Description"] for i in items] == ["Kopierpapier A4, 500 Blatt", "Kaffee gemahlen 1 kg",
                                                 "Schrauben 4 x 40 mm"]
    assert [i["UnitPrice"] for i in items] == [Decimal("4.90"), Decimal("12.90"), Decimal("0.03")]
    assert [i["Unit"] for i in items] == ["XPK", "H87", "H87"]
    assert [i["ProductCode"] for i in items] == ["KP-A4-500", "KF-1000", "SR-440"]
    assert sum(i["Amount"] for i in items) == Decimal("115.60")
    assert "Charges: 5.90" in inv.content


def test_zugferd_1_0_extended() -> None:
    inv = _parse("zugferd1_extended.xml")
    _assert_einvoice_provenance(inv)
    assert inv.doc_type == "invoice"
    f = _values(inv.fields)
    assert f["InvoiceId"] == "471102"
    assert f["InvoiceDate"] == dt.date(2013, 3, 5)
    assert f["DueDate"] == dt.date(2013, 4, 4)
    assert (f["ServiceStartDate"], f["ServiceEndDate"]) == (dt.date(2013, 3, 1), dt.date(2013, 3, 31))
    assert f["VendorName"] == "Lieferant GmbH"
    assert f["VendorAddress"] == "Lieferantenstraße 20, 80333 München, DE"
    assert f["VendorTaxId"] == "DE123456789"
    assert f["CustomerName"] == "Kunden AG Mitte"
    assert f["CustomerId"] == "GE2020211"
    assert f["CustomerAddress"] == "Hans Muster, Kundenstraße 15, 69876 Frankfurt, DE"
    assert f["PurchaseOrder"] == "2013-471331"  # 1.0 uses BuyerOrderReferencedDocument/ID
    assert f["PaymentTerm"] == ("Zahlbar innerhalb 30 Tagen netto bis 04.04.2013, "
                                "3% Skonto innerhalb 10 Tagen bis 15.03.2013")
    assert f["CurrencyCode"] == "EUR"
    assert (f["SubTotal"], f["TotalTax"], f["InvoiceTotal"], f["AmountDue"]) == (
        Decimal("473.00"), Decimal("56.87"), Decimal("529.87"), Decimal("429.87"),
    )
    assert f["TotalDiscount"] == Decimal("0.00")
    assert "PreviousUnpaidBalance" not in f
    assert f["PaymentDetails"] == [{"IBAN": "DE08700901001234567890", "SWIFT": "GENODEF1M04"}]
    assert f["TaxDetails"] == [  # 1.0 has ApplicablePercent instead of RateApplicablePercent
        {"Rate": Decimal("7.00"), "Amount": Decimal("19.25"), "NetAmount": Decimal("275.00")},
        {"Rate": Decimal("19.00"), "Amount": Decimal("37.62"), "NetAmount": Decimal("198.00")},
    ]
    assert [_values(i) for i in inv.items] == [
        {"Description": "Trennblätter A4", "Quantity": Decimal(20), "Unit": "H87",
         "UnitPrice": Decimal("9.9"), "ProductCode": "TB100A4", "Date": dt.date(2013, 3, 2),
         "TaxRate": Decimal(19), "Amount": Decimal("198.00")},
        {"Description": "Joghurt Banane", "Quantity": Decimal(50), "Unit": "H87", "UnitPrice": Decimal("5.5"),
         "ProductCode": "ARNR2", "TaxRate": Decimal(7), "Amount": Decimal("275.00")},
    ]
    assert "Prepaid: 100.00" in inv.content


def test_cii_type_code_381_is_a_credit_note() -> None:
    data = _fixture("xrechnung_cii.xml").replace(b"<ram:TypeCode>380</ram:TypeCode>",
                                                 b"<ram:TypeCode>381</ram:TypeCode>")
    assert parse_einvoice(data, "cn.xml").doc_type == "credit_note"


def test_absent_or_empty_elements_give_absent_fields() -> None:
    data = (_fixture("xrechnung_cii.xml")
            .replace(b"<ram:IssuerAssignedID>BE-4711</ram:IssuerAssignedID>", b"<ram:IssuerAssignedID/>")
            .replace(b"<ram:ID>K-2291</ram:ID>", b""))
    f = parse_einvoice(data, "x.xml").fields
    assert "PurchaseOrder" not in f
    assert "CustomerId" not in f


def test_sub_total_falls_back_to_line_total_only_without_allowances_or_charges() -> None:
    no_basis = _fixture("xrechnung_ubl.xml").replace(
        b'<cbc:TaxExclusiveAmount currencyID="EUR">280.00</cbc:TaxExclusiveAmount>', b"")
    assert parse_einvoice(no_basis, "x.xml").fields["SubTotal"].value == Decimal("280.00")
    with_allowance = _fixture("peppol_bis3_invoice.xml").replace(
        b'<cbc:TaxExclusiveAmount currencyID="EUR">3500.00</cbc:TaxExclusiveAmount>', b"")
    assert "SubTotal" not in parse_einvoice(with_allowance, "x.xml").fields


def test_unreadable_values_are_dropped_with_a_warning() -> None:
    data = (_fixture("xrechnung_ubl.xml")
            .replace(b">333.20</cbc:PayableAmount>", b">n/a</cbc:PayableAmount>")
            .replace(b"<cbc:DueDate>2024-07-12</cbc:DueDate>", b"<cbc:DueDate>2024-13-45</cbc:DueDate>"))
    inv = parse_einvoice(data, "x.xml")
    assert "AmountDue" not in inv.fields
    assert "DueDate" not in inv.fields
    assert any(w.startswith("AmountDue") for w in inv.warnings)
    assert any(w.startswith("DueDate") for w in inv.warnings)


# ---------------------------------------------------------------------------------- hostile and foreign XML


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entity_attacks_are_refused_quickly_without_expansion(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExtractionError) as caught:
        parse_einvoice(_fixture(name), name)
    assert time.perf_counter() - started < 1.0
    assert caught.value.code == "bad_xml"
    assert "lollol" not in caught.value.message
    assert "root:" not in caught.value.message  # nothing of /etc/passwd leaks
    assert caught.value.to_json(name)["error"]["code"] == "bad_xml"


def test_dtd_without_entities_is_refused_too() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">' + _fixture(
        "xrechnung_ubl.xml").split(b"?>", 1)[1]
    with pytest.raises(ExtractionError) as caught:
        parse_einvoice(data, "dtd.xml")
    assert caught.value.code == "bad_xml"


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"<Invoice><ID>1</Invoice>", b"\xff\xfe\x00<"])
def test_malformed_xml_is_bad_xml(data: bytes) -> None:
    with pytest.raises(ExtractionError) as caught:
        parse_einvoice(data, "broken.xml")
    assert caught.value.code == "bad_xml"


def test_oversized_xml_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(einvoice, "MAX_XML_BYTES", 1000)
    with pytest.raises(ExtractionError) as caught:
        parse_einvoice(_fixture("xrechnung_cii.xml"), "big.xml")
    assert caught.value.code == "bad_xml"


@pytest.mark.parametrize(
    "data",
    [
        _fixture("not_an_invoice.xml"),
        b'<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>',  # right name, wrong namespace
        b"<CrossIndustryInvoice><ID>1</ID></CrossIndustryInvoice>",  # no namespace at all
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
    ],
)
def test_other_xml_is_not_an_einvoice(data: bytes) -> None:
    with pytest.raises(ExtractionError) as caught:
        parse_einvoice(data, "other.xml")
    assert caught.value.code == "not_einvoice"


# ------------------------------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("peppol_bis3_invoice.xml", "ubl-invoice"),
        ("xrechnung_ubl.xml", "ubl-invoice"),
        ("ubl_creditnote.xml", "ubl-creditnote"),
        ("xrechnung_cii.xml", "cii"),
        ("zugferd1_extended.xml", "cii-zugferd1"),
        ("not_an_invoice.xml", None),
    ],
)
def test_sniff_einvoice_xml(name: str, expected: str | None) -> None:
    assert sniff_einvoice_xml(_fixture(name)) == expected


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7", b"<a", b"\x00\x01\x02"])
def test_sniff_never_raises(data: bytes) -> None:
    assert sniff_einvoice_xml(data) is None


def test_sniff_reads_only_the_root_element() -> None:
    """A valid root followed by garbage still sniffs: only the first start tag is parsed."""
    data = _fixture("xrechnung_cii.xml")
    assert sniff_einvoice_xml(data[: data.index(b"<rsm:ExchangedDocumentContext>")] + b"<<<garbage") == "cii"


# ------------------------------------------------------------------------------------------ PDF attachments


def _pdf_with(tmp_path: Path, attachments: list[tuple[str, bytes]]) -> Path:
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(595, 842)
    for name, data in attachments:
        pdf.new_attachment(name).set_data(data)
    path = tmp_path / "doc.pdf"
    pdf.save(path)
    pdf.close()
    return path


def _embedded(path: Path) -> tuple[str, bytes] | None:
    pdf = pypdfium2.PdfDocument(path)
    try:
        return embedded_xml_from_pdf(pdf)
    finally:
        pdf.close()


def test_pdf_without_attachment_gives_none(tmp_path: Path) -> None:
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(595, 842)
    pdf.save(tmp_path / "plain.pdf")
    pdf.close()
    assert _embedded(tmp_path / "plain.pdf") is None


def test_known_attachment_name_is_preferred(tmp_path: Path) -> None:
    cii, ubl = _fixture("xrechnung_cii.xml"), _fixture("xrechnung_ubl.xml")
    path = _pdf_with(tmp_path, [("other-invoice.xml", ubl), ("xrechnung.xml", cii)])
    assert _embedded(path) == ("xrechnung.xml", cii)


def test_any_xml_attachment_with_an_invoice_root_is_found(tmp_path: Path) -> None:
    ubl = _fixture("peppol_bis3_invoice.xml")
    path = _pdf_with(tmp_path, [("readme.txt", b"hello"), ("camt.xml", _fixture("not_an_invoice.xml")),
                                ("INV-2024-0042.XML", ubl)])
    assert _embedded(path) == ("INV-2024-0042.XML", ubl)


def test_zugferd_1_attachment_name_is_case_insensitive(tmp_path: Path) -> None:
    zf1 = _fixture("zugferd1_extended.xml")
    found = _embedded(_pdf_with(tmp_path, [("ZUGFeRD-invoice.xml", zf1)]))
    assert found == ("ZUGFeRD-invoice.xml", zf1)
    assert parse_einvoice(found[1], "doc.pdf").fields["InvoiceId"].value == "471102"


def test_unrelated_or_corrupt_xml_attachments_give_none(tmp_path: Path) -> None:
    path = _pdf_with(tmp_path, [("camt.xml", _fixture("not_an_invoice.xml")), ("factur-x.xml", b"<broken")])
    assert _embedded(path) is None


def test_oversized_attachment_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cii = _fixture("xrechnung_cii.xml")
    path = _pdf_with(tmp_path, [("factur-x.xml", cii)])
    monkeypatch.setattr(einvoice, "MAX_ATTACHMENT_BYTES", len(cii) - 1)
    assert _embedded(path) is None
    monkeypatch.setattr(einvoice, "MAX_ATTACHMENT_BYTES", len(cii))
    assert _embedded(path) == ("factur-x.xml", cii)
