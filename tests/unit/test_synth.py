"""The synthetic invoice generator (bench/synth.py): files exist, labels are true, output is reproducible.

These guard the benchmark itself: a generator whose labels drift from what it prints (or whose arithmetic does
not close) would make every accuracy number measured on it meaningless.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_synth() -> ModuleType:
    """bench/ is not a package: put it on sys.path (synth.py imports its sibling synth_locales)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module("synth")


synth = _load_synth()

SEED = 20240629  # 12 documents covering all 8 layouts, a photo and a 2-page scan
N = 12


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("synth")
    records = synth.generate(out, N, SEED, scans_fraction=0.4)
    return out, records


def _dec(x: float | int) -> Decimal:
    return Decimal(str(x))


def test_files_exist_and_labels_match_records(generated: tuple[Path, list[dict[str, Any]]]) -> None:
    out, records = generated
    lines = (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(records) == N
    assert [json.loads(ln) for ln in lines] == records
    for rec in records:
        path = out / rec["file"]
        assert path.is_file() and path.stat().st_size > 1000, rec["file"]
        assert rec["doc_type"] == "invoice" and rec["label_kind"] == "synthetic"
        assert rec["modality"] in ("digital_pdf", "scan", "photo")
        assert rec["language"] in ("en", "de", "fr", "nl", "es", "it")
        assert rec["locale"] in synth.l10n.LOCALES and rec["layout"] in synth.LAYOUTS
        if rec["modality"] == "digital_pdf":
            assert path.suffix == ".pdf"
        else:
            assert path.suffix in (".pdf", ".png", ".jpg", ".tif")
        if path.suffix in (".png", ".jpg", ".tif"):
            with Image.open(path) as im:
                assert im.width > 800 and im.height > 800
                assert getattr(im, "n_frames", 1) == rec["pages"]


def test_label_shapes(generated: tuple[Path, list[dict[str, Any]]]) -> None:
    _, records = generated
    for rec in records:
        f = rec["fields"]
        for key in ("VendorName", "InvoiceId", "InvoiceDate", "InvoiceTotal", "CurrencyCode"):
            assert key in f, (rec["file"], key)
        assert set(f) <= set(synth.FIELD_ORDER)
        for key in ("InvoiceDate", "DueDate", "ServiceStartDate", "ServiceEndDate"):
            if key in f:
                dt.date.fromisoformat(f[key])
        assert f["CurrencyCode"] in ("USD", "GBP", "EUR", "CHF")
        assert rec["items"], rec["file"]
        for it in rec["items"]:
            assert set(it) <= set(synth.ITEM_ORDER) and "Description" in it and "Amount" in it


def test_arithmetic_closes(generated: tuple[Path, list[dict[str, Any]]]) -> None:
    _, records = generated
    for rec in records:
        f = rec["fields"]
        total = _dec(f["InvoiceTotal"])
        sub = _dec(f.get("SubTotal", 0))
        disc = _dec(f.get("TotalDiscount", 0))
        tax = _dec(f.get("TotalTax", 0))
        items_sum = sum((_dec(it["Amount"]) for it in rec["items"]), Decimal(0))
        if "SubTotal" in f:
            assert abs(sub - disc + tax - total) <= Decimal("0.005"), rec["file"]
            assert items_sum == sub, rec["file"]
        else:  # small-business invoices may print only the total
            assert items_sum - disc + tax == total, rec["file"]
        if "AmountDue" in f:
            assert _dec(f["AmountDue"]) == total + _dec(f.get("PreviousUnpaidBalance", 0)), rec["file"]
        for it in rec["items"]:
            if "Quantity" in it and "UnitPrice" in it:
                assert synth.cents(_dec(it["Quantity"]) * _dec(it["UnitPrice"])) == _dec(it["Amount"])


def test_ibans_valid(generated: tuple[Path, list[dict[str, Any]]]) -> None:
    _, records = generated
    seen = 0
    for rec in records:
        for pd in rec["fields"].get("PaymentDetails", []):
            if "IBAN" in pd:
                seen += 1
                assert synth.iban_is_valid(pd["IBAN"]), pd["IBAN"]
                assert pd["IBAN"][:2] == rec["locale"][-2:], (rec["locale"], pd["IBAN"])
    assert seen > 0
    for bad in ("DE89370400440532013001", "DE8937040044053201300", "XX00"):
        assert not synth.iban_is_valid(bad)


def test_labels_are_printed_on_digital_pdfs(generated: tuple[Path, list[dict[str, Any]]]) -> None:
    """Every labelled id/name is in the text layer: labels come from what is drawn, not from the truth."""
    out, records = generated
    checked = 0
    for rec in records:
        if rec["modality"] != "digital_pdf":
            continue
        pdf = pdfium.PdfDocument(out / rec["file"])
        try:
            raw = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
        text = re.sub(r"\s+", " ", raw.replace("\u00a0", " ").replace("\u202f", " "))
        f = rec["fields"]
        for key in ("VendorName", "CustomerName", "InvoiceId", "PurchaseOrder", "CustomerId", "VendorTaxId",
                    "PaymentTerm"):
            if key in f:
                assert re.sub(r"\s+", " ", f[key]) in text, (rec["file"], key, f[key])
        for pd in f.get("PaymentDetails", []):
            if "IBAN" in pd:
                assert pd["IBAN"] in text.replace(" ", ""), rec["file"]
        checked += 1
    assert checked > 0


def test_same_seed_same_bytes(generated: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    out, records = generated
    again = synth.generate(tmp_path, N, SEED, scans_fraction=0.4)
    assert again == records
    assert (tmp_path / "labels.jsonl").read_text(encoding="utf-8") == \
        (out / "labels.jsonl").read_text(encoding="utf-8")
    for rec in records:
        assert (tmp_path / rec["file"]).read_bytes() == (out / rec["file"]).read_bytes(), rec["file"]


def test_other_seed_differs_and_prefix_is_stable(generated: tuple[Path, list[dict[str, Any]]],
                                                 tmp_path: Path) -> None:
    _, records = generated
    other = synth.generate(tmp_path / "other", 3, SEED + 1, scans_fraction=0.0)
    assert [r["fields"] for r in other] != [r["fields"] for r in records[:3]]
    prefix = synth.generate(tmp_path / "prefix", 3, SEED, scans_fraction=0.4)
    assert prefix == records[:3]  # document i depends only on (seed, i)


def test_locale_filter_and_errors(tmp_path: Path) -> None:
    recs = synth.generate(tmp_path, 4, 3, scans_fraction=0.0, locales=["de_CH", "fr_FR"])
    assert {r["locale"] for r in recs} <= {"de_CH", "fr_FR"}
    with pytest.raises(ValueError):
        synth.generate(tmp_path, 1, 3, locales=["xx_XX"])
    assert synth.main(["--out", str(tmp_path / "cli"), "--n", "1", "--seed", "1", "--locales", "xx_XX"]) == 2


def test_layouts_render_without_overlaps() -> None:
    """Every layout x locale renders without overlapping or off-page text (cheap: no files, no rasters)."""
    for k, layout in enumerate(synth.LAYOUTS):
        for j, locale in enumerate(synth.l10n.LOCALES):
            rng = synth.random.Random(f"layout-test:{k}:{j}")
            inv = synth.make_invoice(rng, locale, layout)
            ctx = synth.render_invoice(rng, inv, layout, 6.5)
            assert not synth.layout_problems(ctx.doc), (layout, locale)
            if layout == "two_page":
                assert len(ctx.doc.pages) >= 2


@pytest.mark.parametrize(
    ("cc", "expected"),
    [("DE", "DE136695976"), ("AT", "ATU13585627"), ("FR", "FR40303265045"), ("NL", "NL004495445B01"),
     ("GB", "GB980780684"), ("BE", "BE0477472701"), ("IT", "IT00743110157"), ("CH", "CHE-116.281.710")],
)
def test_vat_check_digit_algorithms_accept_published_ids(cc: str, expected: str) -> None:
    """Regenerate the check digit of a published valid id with the generator's algorithm for its country."""
    digits = re.sub(r"\D", "", expected)
    if cc == "DE":
        product = 10
        for c in digits[:8]:
            s = (int(c) + product) % 10 or 10
            product = (2 * s) % 11
        assert (11 - product) % 10 == int(digits[8])
    elif cc == "AT":
        assert (6 - synth.luhn_checksum(digits[:7])) % 10 == int(digits[7])
    elif cc == "FR":
        assert (12 + 3 * (int(digits[2:]) % 97)) % 97 == int(digits[:2])
    elif cc == "NL":
        weighted = sum(int(n) * w for n, w in zip(digits[:8], range(9, 1, -1), strict=True))
        assert weighted % 11 == int(digits[8])
    elif cc == "GB":
        assert (sum(int(n) * w for n, w in zip(digits[:7], range(8, 1, -1), strict=True))
                + int(digits[7:9])) % 97 == 0
    elif cc == "BE":
        assert 97 - int(digits[:8]) % 97 == int(digits[8:])
    elif cc == "IT":
        assert synth.luhn_check_digit(digits[:10]) == digits[10]
    elif cc == "CH":
        s = sum(int(n) * w for n, w in zip(digits[:8], (5, 4, 3, 2, 7, 6, 5, 4), strict=True))
        assert (11 - s) % 11 == int(digits[8])


def test_generated_vat_ids_have_valid_check_digits() -> None:
    rng = synth.random.Random(5)
    for cc in ("DE", "AT", "CH", "FR", "NL", "BE", "IT", "GB"):
        for _ in range(20):
            vat = synth.make_tax_ids(rng, cc).vat
            digits = re.sub(r"\D", "", vat)
            if cc == "FR":
                assert (12 + 3 * (int(digits[2:]) % 97)) % 97 == int(digits[:2])
            elif cc == "IT":
                assert synth.luhn_check_digit(digits[:10]) == digits[10]
            elif cc == "BE":
                assert 97 - int(digits[:8]) % 97 == int(digits[8:])
            elif cc == "AT":
                assert (6 - synth.luhn_checksum(digits[:7])) % 10 == int(digits[7])
