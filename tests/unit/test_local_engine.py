"""The local engine's rules, each on a document made to isolate it (labels, layout, arithmetic, locale, OCR)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from invoice_capture.extraction.engine import extract_path
from invoice_capture.extraction.model import ExtractedInvoice
from tests.make_invoice import draw, header, to_image, totals


def value(res: ExtractedInvoice, name: str):
    f = res.fields.get(name)
    return None if f is None else f.value


def conf(res: ExtractedInvoice, name: str) -> float:
    return res.fields[name].confidence


ITEMS_DE = [(20, 100, "Beschreibung"), (110, 100, "Menge"), (135, 100, "Einzelpreis"), (170, 100, "Betrag"),
            (20, 108, "Beratung"), (115, 108, "8"), (140, 108, "100,00"), (172, 108, "800,00"),
            (20, 115, "Reisekosten"), (115, 115, "1"), (140, 115, "200,00"), (172, 115, "200,00")]


def test_german_invoice_with_closing_arithmetic_is_confident(tmp_path: Path) -> None:
    page = header("Muster Software GmbH", [("Rechnungsnummer:", "R-2025-0417"), ("Rechnungsdatum:", "03.04.2025"),
                                           ("Fällig am:", "03.05.2025")])
    page += ITEMS_DE + totals([("Nettobetrag", "1.000,00 €"), ("MwSt. 19 %", "190,00 €"),
                               ("Gesamtbetrag", "1.190,00 €")])
    res = extract_path(draw(tmp_path / "de.pdf", [page]))
    assert value(res, "InvoiceId") == "R-2025-0417"
    assert value(res, "InvoiceDate") == dt.date(2025, 4, 3)  # German: day first
    assert value(res, "DueDate") == dt.date(2025, 5, 3)
    assert value(res, "SubTotal") == Decimal("1000.00")
    assert value(res, "TotalTax") == Decimal("190.00")
    assert value(res, "InvoiceTotal") == Decimal("1190.00")
    assert value(res, "CurrencyCode") == "EUR"
    assert value(res, "VendorName") == "Muster Software GmbH"
    for name in ("SubTotal", "TotalTax", "InvoiceTotal"):
        assert conf(res, name) >= 0.95  # the arithmetic closes
    assert [it["Amount"].value for it in res.items] == [Decimal("800.00"), Decimal("200.00")]
    assert res.items[0]["Quantity"].value == 8


def test_amounts_that_do_not_add_up_lose_confidence_and_say_so(tmp_path: Path) -> None:
    page = header("Muster Software GmbH", [("Rechnungsnummer:", "R-1"), ("Rechnungsdatum:", "03.04.2025")])
    page += totals([("Nettobetrag", "1.000,00 €"), ("MwSt. 19 %", "190,00 €"), ("Gesamtbetrag", "1.290,00 €")])
    res = extract_path(draw(tmp_path / "bad.pdf", [page]))
    assert value(res, "InvoiceTotal") == Decimal("1290.00")
    assert conf(res, "InvoiceTotal") < 0.6
    assert conf(res, "SubTotal") < 0.6
    assert any("do not add up" in w for w in res.warnings)


@pytest.mark.parametrize(
    ("lang", "vendor", "rows", "tot", "expect_id", "expect_date", "expect_total"),
    [
        ("fr", "Boulangerie Dupont SARL", [("Facture n°", "FA-2025-12"), ("Date de facture :", "15/03/2025")],
         [("Total HT", "1 000,00 €"), ("TVA 20 %", "200,00 €"), ("Total TTC", "1 200,00 €")],
         "FA-2025-12", dt.date(2025, 3, 15), Decimal("1200.00")),
        ("nl", "De Vries Handel B.V.", [("Factuurnummer:", "2025-0042"), ("Factuurdatum:", "7 maart 2025")],
         [("Subtotaal", "€ 500,00"), ("BTW 21%", "€ 105,00"), ("Totaal incl. btw", "€ 605,00")],
         "2025-0042", dt.date(2025, 3, 7), Decimal("605.00")),
        ("es", "Servicios Garcia S.L.", [("Factura nº:", "F/2025/118"), ("Fecha:", "02/01/2025")],
         [("Base imponible", "250,00 €"), ("IVA 21%", "52,50 €"), ("Total factura", "302,50 €")],
         "F/2025/118", dt.date(2025, 1, 2), Decimal("302.50")),
        ("it", "Rossi Forniture S.r.l.", [("Fattura n.", "118/A"), ("Data:", "5 maggio 2025")],
         [("Imponibile", "1.500,00 €"), ("IVA 22%", "330,00 €"), ("Totale documento", "1.830,00 €")],
         "118/A", dt.date(2025, 5, 5), Decimal("1830.00")),
        ("en", "Contoso Ltd.", [("Invoice No:", "INV-100"), ("Invoice Date:", "March 3, 2025")],
         [("Subtotal", "£1,234.50"), ("VAT 20%", "£246.90"), ("Total", "£1,481.40")],
         "INV-100", dt.date(2025, 3, 3), Decimal("1481.40")),
    ],
)
def test_labels_and_formats_in_six_languages(tmp_path: Path, lang, vendor, rows, tot, expect_id, expect_date,
                                             expect_total) -> None:
    page = header(vendor, rows) + totals(tot)
    res = extract_path(draw(tmp_path / f"{lang}.pdf", [page]))
    assert value(res, "InvoiceId") == expect_id
    assert value(res, "InvoiceDate") == expect_date
    assert value(res, "InvoiceTotal") == expect_total
    assert conf(res, "InvoiceTotal") >= 0.95
    assert value(res, "VendorName") == vendor
    assert res.language == lang


def test_values_stacked_under_their_labels(tmp_path: Path) -> None:
    page = [(20, 15, "Acme Supplies Inc."),
            (20, 40, "Invoice No."), (70, 40, "Invoice Date"), (120, 40, "Due Date"), (160, 40, "PO Number"),
            (20, 46, "A-7731"), (70, 46, "01/31/2025"), (120, 46, "03/02/2025"), (160, 46, "PO-555")]
    page += totals([("Subtotal", "$100.00"), ("Sales Tax", "$8.25"), ("Total", "$108.25")])
    res = extract_path(draw(tmp_path / "stacked.pdf", [page]))
    assert value(res, "InvoiceId") == "A-7731"
    assert value(res, "InvoiceDate") == dt.date(2025, 1, 31)  # 31 proves month-first
    assert value(res, "DueDate") == dt.date(2025, 3, 2)
    assert value(res, "PurchaseOrder") == "PO-555"
    assert value(res, "CurrencyCode") == "USD"


def test_an_ambiguous_date_is_not_given_with_high_confidence(tmp_path: Path) -> None:
    page = header("Acme Supplies", [("Invoice No:", "77"), ("Date:", "03/04/2025")])
    page += totals([("Total", "100.00")])
    res = extract_path(draw(tmp_path / "amb.pdf", [page]))
    assert value(res, "InvoiceDate") in (dt.date(2025, 3, 4), dt.date(2025, 4, 3))
    assert conf(res, "InvoiceDate") < 0.9


def test_currency_is_never_guessed(tmp_path: Path) -> None:
    page = header("Acme Supplies", [("Invoice No:", "77"), ("Date:", "2025-03-04")])
    page += totals([("Subtotal", "100.00"), ("Tax", "10.00"), ("Total", "110.00")])
    res = extract_path(draw(tmp_path / "nocur.pdf", [page]))
    assert value(res, "InvoiceTotal") == Decimal("110.00")
    assert "CurrencyCode" not in res.fields


def test_negative_amounts_in_accounting_notation(tmp_path: Path) -> None:
    page = header("Acme Supplies", [("Credit Note No:", "CN-9"), ("Date:", "2025-03-04")])
    page += totals([("Subtotal", "(100.00)"), ("Tax", "10.00-"), ("Total", "(110.00) EUR")])
    res = extract_path(draw(tmp_path / "credit.pdf", [page]))
    assert value(res, "SubTotal") == Decimal("-100.00")
    assert value(res, "TotalTax") == Decimal("-10.00")
    assert value(res, "InvoiceTotal") == Decimal("-110.00")
    assert conf(res, "InvoiceTotal") >= 0.95


def test_items_continue_across_pages_and_totals_come_last(tmp_path: Path) -> None:
    head = [(20, 60, "Description"), (120, 60, "Qty"), (140, 60, "Unit Price"), (175, 60, "Amount")]
    p1 = header("Fabrikam Ltd.", [("Invoice No:", "F-1"), ("Invoice Date:", "2025-02-01")]) + head
    p2 = list(head)
    total = Decimal(0)
    for i in range(30):
        page, y = (p1, 70 + 6 * i) if i < 20 else (p2, 70 + 6 * (i - 20))
        amount = Decimal(10 + i)
        total += amount
        page += [(20, y, f"Widget model {i}"), (122, y, "1"), (142, y, f"{amount:.2f}"), (177, y, f"{amount:.2f}")]
    p2 += totals([("Subtotal", f"{total:.2f} USD"), ("Total", f"{total:.2f} USD")], y0=150)
    res = extract_path(draw(tmp_path / "two.pdf", [p1, p2]))
    assert res.pages == 2
    assert len(res.items) == 30
    assert sum(it["Amount"].value for it in res.items) == total
    assert value(res, "InvoiceTotal") == total
    assert {it["Amount"].page for it in res.items} == {1, 2}


def _scan_source(tmp_path: Path) -> Path:
    page = header("Northwind Traders Ltd.", [("Invoice No:", "NW-4417"), ("Invoice Date:", "12 March 2025")])
    page += totals([("Subtotal", "€ 400.00"), ("VAT 21%", "€ 84.00"), ("Total", "€ 484.00")])
    return draw(tmp_path / "scan.pdf", [page], size=12)


@pytest.mark.parametrize("angle", [0, 90, 180, 270, 2])
def test_scans_are_read_whatever_their_orientation(tmp_path: Path, angle: int) -> None:
    img = to_image(_scan_source(tmp_path), dpi=200)
    if angle:
        img = img.rotate(angle, expand=True, fillcolor=(255, 255, 255), resample=Image.Resampling.BICUBIC)
    path = tmp_path / f"scan_{angle}.png"
    img.save(path)
    res = extract_path(path)
    assert value(res, "InvoiceId") == "NW-4417"
    assert value(res, "InvoiceTotal") == Decimal("484.00")
    assert value(res, "InvoiceDate") == dt.date(2025, 3, 12)


def test_image_only_pdf_goes_through_ocr(tmp_path: Path) -> None:
    img = to_image(_scan_source(tmp_path), dpi=200)
    path = tmp_path / "scanned.pdf"
    img.save(path, "PDF", resolution=200)
    res = extract_path(path)
    assert value(res, "InvoiceTotal") == Decimal("484.00")
    assert res.fields["InvoiceTotal"].page == 1
    assert res.fields["InvoiceTotal"].bbox is not None


def test_multi_page_tiff(tmp_path: Path) -> None:
    img = to_image(_scan_source(tmp_path), dpi=200)
    blank = Image.new("RGB", img.size, "white")
    path = tmp_path / "two.tif"
    img.save(path, save_all=True, append_images=[blank], compression="tiff_deflate")
    res = extract_path(path)
    assert res.pages == 2
    assert value(res, "InvoiceTotal") == Decimal("484.00")
