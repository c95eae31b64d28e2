"""IBAN, BIC and VAT id validation and detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_capture.extraction.normalize import (
    IBAN_LENGTHS,
    bic_valid,
    find_ibans,
    find_vat_ids,
    iban_valid,
    normalize_iban,
    normalize_vat_id,
    vat_id_checksum_ok,
    vat_id_valid,
)

# Published example/real IBANs (check digits verified by the banks' own examples).
VALID_IBANS = [
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
    "BE68 5390 0754 7034",
    "CH93 0076 2011 6238 5295 7",
    "AT61 1904 3002 3457 3201",
    "ES91 2100 0418 4502 0005 1332",
    "IT60 X054 2811 1010 0000 0123 456",
    "NO93 8601 1117 947",
    "DE88200800000970375700",
    "FR2012421242124212421242124",
]


def test_normalize_iban() -> None:
    assert normalize_iban(" de89 3704 0044 0532 0130 00 ") == "DE89370400440532013000"
    assert normalize_iban("DE89\u00a03704-0044") == "DE8937040044"


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans(iban: str) -> None:
    assert iban_valid(iban)
    assert iban_valid(iban.lower())


@pytest.mark.parametrize(
    "iban",
    [
        "",
        "DE89 3704 0044 0532 0130 01",  # check digits wrong
        "DE89 3704 0044 0532 0130",  # too short for DE
        "DE89 3704 0044 0532 0130 000",  # too long for DE
        "XX89 3704 0044 0532 0130 00",  # unknown country
        "DE12 1234 5678 9012 3456 78",  # placeholder printed on sample invoices
        "GB82 WEST 1234 5698 7654 3",
        "1234567890",
        "DE8937040044053201300O",  # letter O instead of zero
    ],
)
def test_invalid_ibans(iban: str) -> None:
    assert not iban_valid(iban)


def test_iban_length_table() -> None:
    assert IBAN_LENGTHS["DE"] == 22
    assert IBAN_LENGTHS["NO"] == 15
    assert IBAN_LENGTHS["MT"] == 31
    assert IBAN_LENGTHS["CH"] == 21


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("IBAN: DE89 3704 0044 0532 0130 00 BIC: COBADEFFXXX", ["DE89370400440532013000"]),
        ("IBAN DE89370400440532013000", ["DE89370400440532013000"]),
        ("Konto CH93 0076 2011 6238 5295 7, NL91ABNA0417164300.", ["CH9300762011623852957", "NL91ABNA0417164300"]),
        ("IBAN GB82 WEST 1234 5698 7654 32 Sort code 12-34-56", ["GB82WEST12345698765432"]),
        ("IBAN DE89 3704 0044 0532 0130 01", []),
        ("IBAN DE89 3704 0044 0532 0130 0012", []),
        ("No bank details here", []),
    ],
)
def test_find_ibans(line: str, expected: list[str]) -> None:
    found = find_ibans(line)
    assert [iban for *_, iban in found] == expected
    for start, end, iban in found:
        assert normalize_iban(line[start:end]) == iban


@pytest.mark.parametrize(
    ("bic", "valid"),
    [
        ("COBADEFFXXX", True),
        ("COBADEFF", True),
        ("DEUTDEFF500", True),
        ("BNPAFRPP", True),
        ("UBSWCHZH80A", True),
        ("deutdeff", True),
        ("INVOICES", False),  # "IC" is not a country
        ("COBADEFFXX", False),
        ("COBADEF", False),
        ("C0BADEFF", False),
        ("COBA1EFF", False),
        ("", False),
    ],
)
def test_bic_valid(bic: str, valid: bool) -> None:
    assert bic_valid(bic) is valid


# Real VAT ids whose check digits verify.
VALID_VAT_IDS = [
    ("DE136695976", "DE136695976"),
    ("DE 136 695 976", "DE136695976"),
    ("ATU13585627", "ATU13585627"),
    ("BE0403019261", "BE0403019261"),
    ("BE 0403.019.261", "BE0403019261"),
    ("IT00743110157", "IT00743110157"),
    ("NL004495445B01", "NL004495445B01"),
    ("NL 0044.95.445.B.01", "NL004495445B01"),
    ("FR40303265045", "FR40303265045"),
    ("FR 40 303 265 045", "FR40303265045"),
    ("GB980780684", "GB980780684"),
    ("XI 980 7806 84", "XI980780684"),
    ("CHE-107.787.577 IVA", "CHE107787577"),
    ("CHE-107.787.577 MWST", "CHE107787577"),
    ("CHE107787577", "CHE107787577"),
    ("PL8567346215", "PL8567346215"),
    ("DK13585628", "DK13585628"),
    ("LU15027442", "LU15027442"),
    ("FI20774740", "FI20774740"),
    ("SE556188840401", "SE556188840401"),
    ("PT501964843", "PT501964843"),
    ("NO 974 760 673 MVA", "NO974760673"),
]


@pytest.mark.parametrize(("raw", "normalised"), VALID_VAT_IDS)
def test_valid_vat_ids(raw: str, normalised: str) -> None:
    assert vat_id_valid(raw)
    assert vat_id_checksum_ok(raw) is True
    assert normalize_vat_id(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ESB58378431", "ESB58378431"),
        ("ES12345678Z", "ES12345678Z"),
        ("EL094259216", "EL094259216"),
        ("GR094259216", "EL094259216"),
        ("IE6388047V", "IE6388047V"),
        ("IE1234567WA", "IE1234567WA"),
        ("CZ12345678", "CZ12345678"),
        ("HU12345678", "HU12345678"),
        ("SK1234567890", "SK1234567890"),
        ("RO1234567", "RO1234567"),
        ("BG123456789", "BG123456789"),
        ("CY12345678L", "CY12345678L"),
        ("GBGD001", "GBGD001"),
        ("XIGD001", "XIGD001"),
        ("FRXX123456789", "FRXX123456789"),
    ],
)
def test_format_only_countries(raw: str, normalised: str) -> None:
    """Countries whose check digit we do not verify: shape alone decides."""
    assert normalize_vat_id(raw) == normalised
    assert vat_id_valid(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "DE123456789",  # printed on sample invoices; shape ok, check digit wrong
        "DE136695977",
        "ATU13585628",
        "BE0403019262",
        "IT00743110158",
        "NL004495446B01",
        "XI980780685",
        "FR41303265045",
        "GB980780685",
        "CHE-107.787.578",
        "PL8567346216",
    ],
)
def test_checksum_failures_keep_their_shape(raw: str) -> None:
    assert not vat_id_valid(raw)
    assert vat_id_checksum_ok(raw) is False
    assert vat_id_valid(raw, checksum=False)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "DE12345678",  # 8 digits
        "DE1234567890",  # 10 digits
        "ATU1234567",
        "AT12345678",  # missing U
        "BE2403019261",  # must start with 0 or 1
        "NL004495445C01",
        "NL00449544501",
        "IT0074311015",
        "ES123456789",  # needs a letter
        "CHE-107.787.57",
        "CHE-107.787.577 XYZ",
        "US123456789",  # no such scheme
        "123456789",
        "FRIO123456789",  # I and O are not used in the key
    ],
)
def test_vat_id_bad_shapes(raw: str) -> None:
    assert normalize_vat_id(raw) is None
    assert not vat_id_valid(raw, checksum=False)
    assert vat_id_checksum_ok(raw) is False


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("USt-IdNr.: DE 136 695 976", ["DE136695976"]),
        ("USt-IdNr.: DE136695976, Steuernr. 201/113/40209", ["DE136695976"]),
        ("UID: CHE-107.787.577 MWST Zürich", ["CHE107787577"]),
        ("N° TVA FR 40 303 265 045 - SIRET 303 265 045 00011", ["FR40303265045"]),
        ("BTW NL004495445B01 KvK 12345678", ["NL004495445B01"]),
        ("Partita IVA IT00743110157", ["IT00743110157"]),
        ("VAT Reg No: GB 980 7806 84", ["GB980780684"]),
        ("Seller DE123456789 Buyer FR11999999998", ["DE123456789", "FR11999999998"]),
        ("DEUTSCHLAND GmbH", []),
        ("Invoice INV-100 dated 2025-04-03", []),
        ("IBAN DE89 3704 0044 0532 0130 00", []),
    ],
)
def test_find_vat_ids(line: str, expected: list[str]) -> None:
    found = find_vat_ids(line)
    assert [v for *_, v in found] == expected
    for start, end, v in found:
        assert normalize_vat_id(line[start:end]) == v


def test_find_vat_ids_with_checksum_filter() -> None:
    line = "Seller DE123456789 Buyer DE136695976"
    assert [v for *_, v in find_vat_ids(line, checksum=True)] == ["DE136695976"]


def _with_check_digits(country: str, bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@settings(max_examples=200, deadline=None)
@given(
    bban=st.text(alphabet="0123456789", min_size=18, max_size=18),
    position=st.integers(min_value=4, max_value=21),
    replacement=st.sampled_from("0123456789"),
)
def test_iban_detects_every_single_digit_error(bban: str, position: int, replacement: str) -> None:
    iban = _with_check_digits("DE", bban)
    assert iban_valid(iban)
    assert find_ibans(f"IBAN {' '.join(iban[i:i + 4] for i in range(0, len(iban), 4))} BIC")[0][2] == iban
    if iban[position] != replacement:
        assert not iban_valid(iban[:position] + replacement + iban[position + 1:])


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_id_functions_never_crash(text: str) -> None:
    for start, end, iban in find_ibans(text):
        assert iban_valid(iban) and start < end
    for start, end, vat in find_vat_ids(text):
        assert normalize_vat_id(vat) == vat and start < end
    assert isinstance(bic_valid(text), bool)
    assert isinstance(vat_id_valid(text), bool)
