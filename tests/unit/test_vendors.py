"""The vendor master without a database: reading the CSV, matching invoices to vendors, bank and id checks.

The vendors are the example file a customer would start from (docs/examples/vendors.csv), so the example itself
is kept valid by these tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from invoice_capture.extraction.normalize.ids import iban_valid, vat_id_valid
from invoice_capture.review.vendors import (
    VendorRecord,
    bank_mismatch,
    mask_iban,
    match_vendor,
    name_score,
    normalize_name,
    read_csv,
    same_tax_id,
    tax_key,
    validate_invoice_ids,
)
from invoice_capture.store.models import Vendor
from tests.conftest import REPO

EXAMPLE = REPO / "docs" / "examples" / "vendors.csv"

CONTOSO_IBAN = "DE80500700100923456781"
NORTHWIND_IBAN = "GB29NWBK60161331926819"
OTHER_DE_IBAN = "DE89370400440532013000"  # valid, but nobody's on file


def f(value: Any, confidence: float = 0.95) -> dict[str, Any]:
    return {"value": value, "confidence": confidence}


def invoice(name: str | None = None, tax: str | None = None, ibans: list[Any] | None = None,
            **more: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {k: f(v) for k, v in more.items()}
    if name is not None:
        fields["VendorName"] = f(name)
    if tax is not None:
        fields["VendorTaxId"] = f(tax)
    if ibans is not None:
        fields["PaymentDetails"] = f([{"IBAN": i} if isinstance(i, str) else i for i in ibans])
    return fields


@pytest.fixture(scope="module")
def vendors() -> list[VendorRecord]:
    records, errors = read_csv(EXAMPLE.read_text(encoding="utf-8"))
    assert errors == []
    # ids as the store would give them
    return [VendorRecord(id=i, name=r.name, aliases=r.aliases, tax_id=r.tax_id, iban=r.iban, currency=r.currency,
                         default_approver=r.default_approver) for i, r in enumerate(records, start=1)]


def by_name(vendors: list[VendorRecord], name: str) -> VendorRecord:
    return next(v for v in vendors if v.name == name)


# ---------------------------------------------------------------------------------------------------------------
# the example file


def test_example_file_has_valid_ids_in_several_countries(vendors: list[VendorRecord]) -> None:
    assert len(vendors) == 6
    assert {v.iban[:2] for v in vendors if v.iban} == {"DE", "FR", "GB", "NL", "AT"}
    for v in vendors:
        assert not v.iban or iban_valid(v.iban), v
        assert v.tax_id
    assert all(vat_id_valid(v.tax_id) for v in vendors if v.currency != "USD")
    contoso = by_name(vendors, "Contoso Büromaterial GmbH")
    assert contoso.aliases == ("Contoso Buero", "Contoso Office Supplies")
    assert contoso.iban == CONTOSO_IBAN  # stored compact
    assert by_name(vendors, "Adventure Works, Inc.").tax_id == "12-3456789"  # a US EIN, not a VAT id: as written


# ---------------------------------------------------------------------------------------------------------------
# reading CSV


def test_bom_semicolons_and_loose_header_names() -> None:
    text = ("\ufeffName ; Aliases ; Tax ID ; IBAN ; Currency ; Default Approver\r\n"
            "Tailspin Toys B.V.;Tailspin|TT Toys;NL 8534.17660.B01;nl44 rabo 0123 4567 89;eur;Bo Approver\r\n"
            "\"Müller; Söhne GmbH\";\"Mueller;Muller\";;;CHF;\r\n")
    records, errors = read_csv(text)
    assert errors == []
    assert [r.name for r in records] == ["Tailspin Toys B.V.", "Müller; Söhne GmbH"]
    tt = records[0]
    assert tt.aliases == ("Tailspin", "TT Toys")
    assert tt.tax_id == "NL853417660B01"
    assert tt.iban == "NL44RABO0123456789"
    assert tt.currency == "EUR"
    assert tt.default_approver == "Bo Approver"
    assert records[1].aliases == ("Mueller", "Muller")
    assert records[1].currency == "CHF"


def test_comma_file_with_quoted_semicolon_aliases_and_column_order() -> None:
    text = 'currency,name,aliases\nGBP,Northwind Traders Ltd,"Northwind; NW Traders | Northwind UK"\n'
    records, errors = read_csv(text)
    assert errors == []
    assert records == [VendorRecord(id=None, name="Northwind Traders Ltd",
                                    aliases=("Northwind", "NW Traders", "Northwind UK"), currency="GBP")]


def test_bad_lines_are_reported_with_their_line_numbers_and_good_lines_still_import() -> None:
    text = "\n".join([
        "name,aliases,tax_id,iban,currency,default_approver",  # 1
        "Good One GmbH,,DE281097313,DE80 5007 0010 0923 4567 81,EUR,",  # 2
        ",Nameless,,,EUR,",  # 3: no name
        "Bad Iban GmbH,,,DE80 5007 0010 0923 4567 82,EUR,",  # 4: checksum
        "Bad Vat SARL,,FR4473282932,,EUR,",  # 5: FR VAT has 11 characters after FR
        "Bad Check GmbH,,DE281097314,,EUR,",  # 6: check digit
        "Bad Currency Ltd,,,,EUX,",  # 7
        "",  # 8: blank lines are ignored
        "Good Two Inc,,12-3456789,,USD,",  # 9: US EIN is not checked as a VAT id
        "Short Iban AG,,,DE80 5007 0010 0923 4567 8,EUR,",  # 10
    ])
    records, errors = read_csv(text)
    assert [r.name for r in records] == ["Good One GmbH", "Good Two Inc"]
    assert len(errors) == 6
    assert errors[0].startswith("Line 3: ") and "name is missing" in errors[0]
    assert errors[1].startswith("Line 4: ") and "DE80 5007 0010 0923 4567 82" in errors[1] and "checksum" in errors[1]
    assert errors[2].startswith("Line 5: ") and "format of a FR VAT id" in errors[2]
    assert errors[3].startswith("Line 6: ") and "check digit" in errors[3]
    assert errors[4].startswith("Line 7: ") and "EUX" in errors[4] and "ISO 4217" in errors[4]
    assert errors[5].startswith("Line 10: ") and "21 characters" in errors[5] and "22" in errors[5]
    assert all(e.endswith(".") for e in errors)


def test_line_numbers_count_physical_lines_across_quoted_newlines() -> None:
    text = 'name,aliases,currency\n"Multi Line Ltd","first\nsecond",GBP\nBroken Ltd,,XYZ\n'
    records, errors = read_csv(text)
    assert [r.name for r in records] == ["Multi Line Ltd"]
    assert errors == [errors[0]] and errors[0].startswith("Line 4: ")


def test_several_problems_on_one_line_make_one_sentence() -> None:
    records, errors = read_csv("name,iban,currency\n,DE00 1234,ZZZ\n")
    assert records == []
    assert len(errors) == 1
    assert errors[0].startswith("Line 2: ") and "name is missing" in errors[0] and "ZZZ" in errors[0]


def test_the_same_vendor_twice_in_a_file_is_an_error_on_the_later_line() -> None:
    text = "name,tax_id\nContoso GmbH,DE281097313\nCONTOSO GMBH,\nContoso Holding,DE 281 097 313\n"
    records, errors = read_csv(text)
    assert [r.name for r in records] == ["Contoso GmbH"]
    assert errors[0].startswith("Line 3: ") and "already on line 2" in errors[0]
    assert errors[1].startswith("Line 4: ") and "already on line 2" in errors[1]


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", "vendor_id,iban\n1,DE80500700100923456781\n"])
def test_a_file_without_a_name_column_gives_one_error_and_no_records(text: str) -> None:
    records, errors = read_csv(text)
    assert records == []
    assert len(errors) == 1
    assert "header" in errors[0]


def test_header_synonyms_and_extra_columns() -> None:
    records, errors = read_csv("Vendor Name;VAT ID;Approver;Notes\nAlpenblick GmbH;ATU 6543 2105;Bo;call first\n")
    assert errors == []
    assert records == [VendorRecord(id=None, name="Alpenblick GmbH", tax_id="ATU65432105", default_approver="Bo")]


def test_from_row_reads_a_store_row() -> None:
    row = Vendor(id=7, tenant_id="t", name="Contoso GmbH", aliases=["Contoso"], tax_id="DE281097313",
                 iban=CONTOSO_IBAN, currency="EUR", default_approver="")
    rec = VendorRecord.from_row(row)
    assert rec == VendorRecord(id=7, name="Contoso GmbH", aliases=("Contoso",), tax_id="DE281097313",
                               iban=CONTOSO_IBAN, currency="EUR", default_approver="")


# ---------------------------------------------------------------------------------------------------------------
# names and ids


@pytest.mark.parametrize(("raw", "norm"), [
    ("Müller & Söhne GmbH & Co. KG", "muller & sohne"),
    ("Holzbau Meier GmbH&Co.KG", "holzbau meier"),
    ("ACME, Inc.", "acme"),
    ("Tailspin Toys B.V.", "tailspin toys"),
    ("Tailspin Toys BV", "tailspin toys"),
    ("Ferrari S.p.A.", "ferrari"),
    ("Fabrikam, S.A.", "fabrikam"),
    ("Polska Sp. z o.o.", "polska"),
    ("Nordisk Oy", "nordisk"),
    ("Wide World Importers plc", "wide world importers"),
    ("Adventure Works LLC", "adventure works"),
    ("Søren Ærø A/S", "soren aero"),
    ("AG", "ag"),  # a name that is only a legal form keeps it
])
def test_normalize_name(raw: str, norm: str) -> None:
    assert normalize_name(raw) == norm


def test_a_name_inside_a_longer_name_does_not_score_as_the_same() -> None:
    assert name_score("Contoso Ltd", "Contoso Logistics Ltd") < 70
    assert name_score("Contoso Ltd", "CONTOSO LIMITED") == 100


@pytest.mark.parametrize("raw", ["DE281097313", "de 281 097 313", "DE-281.097.313", "281097313", "281 097 313"])
def test_tax_key_ignores_format_and_country_prefix(raw: str) -> None:
    assert tax_key(raw) == "281097313"


def test_same_tax_id_needs_the_same_country_when_both_name_one() -> None:
    assert same_tax_id("DE281097313", "281097313")
    assert same_tax_id("GR094259216", "EL 094 259 216")
    assert not same_tax_id("DE281097313", "PT281097313")
    assert not same_tax_id("1234", "1234")  # too short to identify anyone
    assert not same_tax_id("", "")


def test_mask_iban_keeps_country_check_digits_and_last_four() -> None:
    assert mask_iban("de80 5007 0010 0923 4567 81") == "DE80 … 6781"


# ---------------------------------------------------------------------------------------------------------------
# matching


@pytest.mark.parametrize("tax", ["DE281097313", "DE 281 097 313", "de281097313", "281097313", "DE-281.097.313"])
def test_match_by_tax_id_in_any_format(vendors: list[VendorRecord], tax: str) -> None:
    m = match_vendor(vendors, invoice(name="Contoso Büromaterial GmbH", tax=tax))
    assert m is not None
    assert (m.name, m.by, m.score, m.vendor_id) == ("Contoso Büromaterial GmbH", "tax_id", 100, 1)
    assert m.vendor == vendors[0]
    assert not m.conflict and not m.ambiguous and m.note == ""


def test_same_digits_under_another_country_prefix_is_no_tax_id_match(vendors: list[VendorRecord]) -> None:
    assert match_vendor(vendors, invoice(tax="PT281097313")) is None


def test_match_by_tax_id_without_any_name(vendors: list[VendorRecord]) -> None:
    m = match_vendor(vendors, invoice(tax="ATU 6543 2105"))
    assert m is not None and m.name == "Alpenblick Software GmbH" and m.by == "tax_id"


@pytest.mark.parametrize("entry", [
    "gb29 nwbk 6016 1331 9268 19",
    {"IBAN": "GB29 NWBK 6016 1331 9268 19", "SWIFT": "NWBKGB2L"},
    {"IBAN": {"value": "GB29NWBK60161331926819", "confidence": 0.9}, "SWIFT": {"value": "NWBKGB2L"}},
    {"value": {"IBAN": "GB29-NWBK-6016-1331-9268-19"}},
])
def test_match_by_iban_in_every_payment_details_shape(vendors: list[VendorRecord], entry: Any) -> None:
    fields = {"VendorName": f("Some Letterhead Text"), "PaymentDetails": f([entry])}
    m = match_vendor(vendors, fields)
    assert m is not None
    assert (m.name, m.by, m.score) == ("Northwind Traders Ltd", "iban", 100)


def test_second_iban_on_the_invoice_can_match(vendors: list[VendorRecord]) -> None:
    m = match_vendor(vendors, invoice(ibans=[OTHER_DE_IBAN, "NL44 RABO 0123 4567 89"]))
    assert m is not None and m.name == "Tailspin Toys B.V." and m.by == "iban"


def test_tax_id_wins_over_iban(vendors: list[VendorRecord]) -> None:
    m = match_vendor(vendors, invoice(tax="FR44732829320", ibans=[NORTHWIND_IBAN]))
    assert m is not None and m.name == "Fabrikam Logistique SAS" and m.by == "tax_id"


@pytest.mark.parametrize(("printed", "expected"), [
    ("Contoso Büromaterial GmbH", "Contoso Büromaterial GmbH"),  # exact
    ("CONTOSO BUROMATERIAL GMBH", "Contoso Büromaterial GmbH"),  # case and accents
    ("Contoso Büromaterial AG", "Contoso Büromaterial GmbH"),  # another legal form
    ("Contoso Office Supplies", "Contoso Büromaterial GmbH"),  # an alias
    ("Fabrikam Logistique S.A.S.", "Fabrikam Logistique SAS"),  # dotted legal form
    ("Nortwind Traders Limited", "Northwind Traders Ltd"),  # a typo, and Limited for Ltd
    ("Tailspin Toys BV", "Tailspin Toys B.V."),
    ("Adventure Works Inc", "Adventure Works, Inc."),
    ("Alpenblik Software GmbH", "Alpenblick Software GmbH"),  # OCR dropped a letter
])
def test_match_by_name(vendors: list[VendorRecord], printed: str, expected: str) -> None:
    m = match_vendor(vendors, invoice(name=printed))
    assert m is not None, printed
    assert m.name == expected and m.by == "name"
    assert 88 <= m.score <= 100
    assert not m.ambiguous


def test_exact_name_scores_100_and_typos_less(vendors: list[VendorRecord]) -> None:
    exact = match_vendor(vendors, invoice(name="Tailspin Toys B.V."))
    typo = match_vendor(vendors, invoice(name="Tailspn Toys B.V."))
    assert exact is not None and typo is not None
    assert exact.score == 100
    assert 88 <= typo.score < 100


def test_threshold_is_respected(vendors: list[VendorRecord]) -> None:
    fields = invoice(name="Nortwind Traders Ltd")
    m = match_vendor(vendors, fields)
    assert m is not None and m.score < 99
    assert match_vendor(vendors, fields, threshold=99) is None


@pytest.mark.parametrize("printed", ["Globex Corporation", "Initech GmbH", "Contoso Logistics Ltd", "Northwind Bank",
                                     "Adventure", "Fabrikam Pharma SAS"])
def test_unknown_or_merely_similar_vendor_is_no_match(vendors: list[VendorRecord], printed: str) -> None:
    assert match_vendor(vendors, invoice(name=printed, tax="DE136695976", ibans=[OTHER_DE_IBAN])) is None


def test_short_name_does_not_match_a_longer_one_containing_it() -> None:
    logistics = [VendorRecord(id=1, name="Contoso Logistics Ltd")]
    assert match_vendor(logistics, invoice(name="Contoso Ltd")) is None
    both = [*logistics, VendorRecord(id=2, name="Contoso Ltd")]
    m = match_vendor(both, invoice(name="Contoso Limited"))
    assert m is not None and m.vendor_id == 2 and m.score == 100 and not m.ambiguous


def test_two_vendors_close_to_each_other_are_ambiguous() -> None:
    vs = [VendorRecord(id=1, name="Northwind Traders GmbH"), VendorRecord(id=2, name="Northwind Traders AG"),
          VendorRecord(id=3, name="Tailspin Toys")]
    m = match_vendor(vs, invoice(name="Northwind Traders"))
    assert m is not None and m.by == "name"
    assert m.ambiguous
    assert {m.vendor_id, *(a.id for a in m.alternatives)} == {1, 2}
    assert "Northwind Traders GmbH" in m.note and "Northwind Traders AG" in m.note


def test_a_clear_winner_is_not_ambiguous_even_with_a_similar_vendor() -> None:
    vs = [VendorRecord(id=1, name="Northwind Traders"), VendorRecord(id=2, name="Northwind Trading Company")]
    m = match_vendor(vs, invoice(name="Northwind Traders Ltd"))
    assert m is not None and m.vendor_id == 1 and not m.ambiguous and m.alternatives == ()


def test_tax_id_of_one_vendor_with_the_name_of_another_is_a_conflict(vendors: list[VendorRecord]) -> None:
    m = match_vendor(vendors, invoice(name="Northwind Traders Ltd", tax="DE281097313"))
    assert m is not None and m.by == "tax_id" and m.name == "Contoso Büromaterial GmbH"
    assert m.conflict
    assert "Contoso Büromaterial GmbH" in m.note and "Northwind Traders Ltd" in m.note


def test_iban_of_one_vendor_with_the_name_of_another_is_a_conflict(vendors: list[VendorRecord]) -> None:
    m = match_vendor(vendors, invoice(name="Tailspin Toys B.V.", ibans=[CONTOSO_IBAN]))
    assert m is not None and m.by == "iban" and m.conflict and "Tailspin Toys B.V." in m.note


def test_name_match_with_another_tax_id_is_a_conflict(vendors: list[VendorRecord]) -> None:
    m = match_vendor(vendors, invoice(name="Contoso Büromaterial GmbH", tax="DE136695976"))
    assert m is not None and m.by == "name" and m.conflict
    assert "DE136695976" in m.note and "DE281097313" in m.note


def test_vendors_sharing_a_tax_id_are_told_apart_by_iban() -> None:
    vs = [VendorRecord(id=1, name="Contoso Nord GmbH", tax_id="DE281097313", iban=OTHER_DE_IBAN),
          VendorRecord(id=2, name="Contoso Süd GmbH", tax_id="DE281097313", iban=CONTOSO_IBAN)]
    m = match_vendor(vs, invoice(tax="DE281097313", ibans=[CONTOSO_IBAN]))
    assert m is not None and m.vendor_id == 2 and not m.ambiguous
    unsure = match_vendor(vs, invoice(tax="DE281097313"))
    assert unsure is not None and unsure.ambiguous and len(unsure.alternatives) == 1


def test_nothing_to_match_on(vendors: list[VendorRecord]) -> None:
    assert match_vendor(vendors, {}) is None
    assert match_vendor([], invoice(name="Contoso Büromaterial GmbH", tax="DE281097313")) is None
    assert match_vendor(vendors, invoice(tax="123")) is None  # too short to identify anyone


# ---------------------------------------------------------------------------------------------------------------
# bank details


@pytest.mark.parametrize("printed", ["DE80 5007 0010 0923 4567 81", "de80500700100923456781",
                                     "DE80-5007-0010-0923-4567-81", {"value": " DE80 5007 0010 0923 4567 81 "}])
def test_same_iban_in_another_format_is_no_mismatch(vendors: list[VendorRecord], printed: Any) -> None:
    assert bank_mismatch(vendors[0], invoice(ibans=[{"IBAN": printed}])) is None


def test_master_iban_stored_with_spaces_and_lower_case_still_compares_equal() -> None:
    spaced = VendorRecord(id=9, name="Old Row GmbH", iban="de80 5007 0010 0923 4567 81")
    assert bank_mismatch(spaced, invoice(ibans=[CONTOSO_IBAN])) is None
    m = match_vendor([spaced], invoice(ibans=["DE80 5007 0010 0923 4567 81"]))
    assert m is not None and m.vendor_id == 9 and m.by == "iban"


def test_different_iban_gives_a_masked_warning(vendors: list[VendorRecord]) -> None:
    contoso = vendors[0]
    msg = bank_mismatch(contoso, invoice(ibans=[OTHER_DE_IBAN]))
    assert msg is not None
    assert "DE89 … 3000" in msg and "DE80 … 6781" in msg
    assert "Contoso Büromaterial GmbH" in msg and "Call the vendor" in msg
    assert OTHER_DE_IBAN not in msg and CONTOSO_IBAN not in msg  # the middle digits stay out of the chat
    assert "checksum" not in msg


def test_one_of_several_invoice_ibans_on_file_is_no_mismatch(vendors: list[VendorRecord]) -> None:
    assert bank_mismatch(vendors[0], invoice(ibans=[OTHER_DE_IBAN, CONTOSO_IBAN])) is None
    msg = bank_mismatch(vendors[0], invoice(ibans=[OTHER_DE_IBAN, NORTHWIND_IBAN]))
    assert msg is not None and "IBANs on this invoice" in msg and "GB29 … 6819" in msg


def test_nothing_to_compare_is_no_mismatch(vendors: list[VendorRecord]) -> None:
    no_iban = by_name(vendors, "Adventure Works, Inc.")
    assert bank_mismatch(no_iban, invoice(ibans=[OTHER_DE_IBAN])) is None
    assert bank_mismatch(vendors[0], invoice(name="Contoso")) is None


def test_a_misread_iban_is_still_a_mismatch_but_says_it_may_be_a_misread(vendors: list[VendorRecord]) -> None:
    msg = bank_mismatch(vendors[0], invoice(ibans=["DE80 5007 0010 0923 4567 18"]))
    assert msg is not None and "misread" in msg


def test_ibans_differing_only_in_the_middle_say_so() -> None:
    v = VendorRecord(id=1, name="Acme GmbH", iban="DE89370400440532013000")
    msg = bank_mismatch(v, invoice(ibans=["DE89 3704 0044 0532 0130 00".replace("0532", "0523")]))
    assert msg is not None and "middle digits" in msg


# ---------------------------------------------------------------------------------------------------------------
# ids on the invoice


def test_valid_ids_give_no_sentences() -> None:
    fields = invoice(tax="DE 281 097 313", ibans=[CONTOSO_IBAN, NORTHWIND_IBAN], CustomerTaxId="GR 094259216")
    assert validate_invoice_ids(fields) == []


def test_iban_failing_its_checksum() -> None:
    out = validate_invoice_ids(invoice(ibans=["DE80 5007 0010 0923 4567 18"]))
    assert len(out) == 1
    assert "DE80 5007 0010 0923 4567 18" in out[0] and "checksum" in out[0]


@pytest.mark.parametrize(("field", "value", "words"), [
    ("VendorTaxId", "DE12345", "format of a DE VAT id"),
    ("VendorTaxId", "DE281097314", "check digit"),
    ("VendorTaxId", "ATU1234567", "format of a AT VAT id"),
    ("CustomerTaxId", "NL853417660B0", "format of a NL VAT id"),
    ("CustomerTaxId", "GB482917319", "check digit"),
])
def test_bad_vat_ids(field: str, value: str, words: str) -> None:
    out = validate_invoice_ids({field: f(value)})
    assert len(out) == 1
    assert words in out[0] and value in out[0]
    assert ("customer" in out[0]) == (field == "CustomerTaxId")


@pytest.mark.parametrize("value", ["12-3456789", "123/456/78901", "US 12-3456789", "ABN 51 824 753 556", ""])
def test_non_vat_tax_ids_are_not_flagged(value: str) -> None:
    assert validate_invoice_ids({"VendorTaxId": f(value), "CustomerTaxId": f(value)}) == []
