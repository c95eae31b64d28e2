"""Currency evidence, the currency vote, and country detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_capture.extraction.normalize import (
    ISO_4217,
    country_from_text,
    currency_for_country,
    detect_currencies,
    resolve_currency,
)


def test_iso_4217_contents() -> None:
    for code in ("EUR", "USD", "GBP", "CHF", "INR", "JPY", "CNY", "SEK", "PLN", "CZK", "XCG", "ZWG"):
        assert code in ISO_4217
    for not_active in ("HRK", "XXX", "XTS", "XAU", "DEM", "FRF"):
        assert not_active not in ISO_4217
    assert all(len(c) == 3 and c.isupper() for c in ISO_4217)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Total EUR 1.234,56", [("EUR", 1.0)]),
        ("Amount due: 12.00 USD", [("USD", 1.0)]),
        ("USD4.11", [("USD", 1.0)]),
        ("4.11USD", [("USD", 1.0)]),
        ("Summe 12,00 €", [("EUR", 0.9)]),
        ("£12.99", [("GBP", 0.9)]),
        ("₹319", [("INR", 0.9)]),
        ("¥1,000", [("JPY", 0.9)]),
        ("¥1,000 (RMB)", [("CNY", 0.9), ("CNY", 0.9)]),
        ("合计 ¥100 元", [("CNY", 0.9), ("CNY", 0.9)]),
        ("CN¥100", [("CNY", 0.9)]),
        ("₩5000", [("KRW", 0.9)]),
        ("₺50", [("TRY", 0.9)]),
        ("100 zł", [("PLN", 0.9)]),
        ("1 500 Kč", [("CZK", 0.9)]),
        ("Rs 1939", [("INR", 0.8)]),
        ("Rs. 1,939.00", [("INR", 0.8)]),
        ("CHF 1'234.50", [("CHF", 1.0)]),
        ("Fr. 12.50", [("CHF", 0.8)]),
        ("SFr. 12.50", [("CHF", 0.9)]),
        ("Total 250 kr", [("kr", 0.5)]),
        ("payable in euros", [("EUR", 0.6)]),
        ("12 Euro", [("EUR", 0.6)]),
        ("in US dollars", [("USD", 0.9)]),
        ("ten dollars", [("$", 0.6)]),
        ("$110.00", [("$", 0.5)]),
        ("US$ 110.00", [("USD", 0.9)]),
        ("C$ 110.00", [("CAD", 0.9)]),
        ("A$110", [("AUD", 0.9)]),
        ("R$ 10,00", [("BRL", 0.9)]),
        ("HRK 100,00", [("HRK", 1.0)]),
    ],
)
def test_detect_currencies(text: str, expected: list[tuple[str, float]]) -> None:
    found = detect_currencies(text)
    assert [(c, s) for c, _, _, s in found] == expected
    for _, start, end, _ in found:
        assert 0 <= start < end <= len(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "USDA organic certified",
        "EUROPE",
        "Musterstraße 1, Freiburg",
        "CHE-123.456.789 MWST",
        "ALL PRICES INCLUDE VAT",
        "TOP QUALITY",
        "Fr. Müller",
        "Kr. Stuttgart",
        "XXX placeholder",
        "Pumps and EURx",
    ],
)
def test_detect_currencies_ignores_lookalikes(text: str) -> None:
    assert detect_currencies(text) == []


def test_detect_currency_spans() -> None:
    text = "Total EUR 12,00 or $13.00"
    found = detect_currencies(text)
    assert [(c, text[s:e]) for c, s, e, _ in found] == [("EUR", "EUR"), ("$", "$")]


def test_wordlike_code_needs_a_number() -> None:
    assert [c for c, *_ in detect_currencies("ALL 1.200,00")] == ["ALL"]
    assert detect_currencies("ALL items") == []


@pytest.mark.parametrize(
    ("text", "country", "language", "expected", "min_conf", "max_conf"),
    [
        ("Total $110.00", None, None, "USD", 0.6, 0.7),
        ("Total $110.00", None, "en", "USD", 0.6, 0.7),
        ("Total $110.00", None, "fr", "USD", 0.5, 0.6),
        ("Total $110.00", "US", "en", "USD", 0.8, 1.0),
        ("Total $110.00", "CA", None, "CAD", 0.8, 1.0),
        ("Total $110.00", "AU", None, "AUD", 0.8, 1.0),
        ("Total $110.00", "NZ", None, "NZD", 0.8, 1.0),
        ("Total $110.00", "MX", None, "MXN", 0.8, 1.0),
        ("Total $110.00", "SG", None, "SGD", 0.8, 1.0),
        ("Total $110.00", "HK", None, "HKD", 0.8, 1.0),
        ("Total $110.00", "DE", None, "USD", 0.6, 0.7),
        # An explicit dollar code absorbs the bare "$".
        ("Total $110.00, amounts in CAD", "US", None, "CAD", 0.9, 1.0),
        ("$4.11 USD", None, None, "USD", 0.95, 1.0),
        ("Betrag 1.234,56 EUR, Summe 1.234,56 €", None, None, "EUR", 0.95, 1.0),
        ("EUR 10,00 EUR 20,00 EUR 30,00 footer $", None, None, "EUR", 0.8, 1.0),
        ("Rs. 1,939.00", "IN", None, "INR", 0.8, 1.0),
        ("250 kr", "SE", None, "SEK", 0.8, 1.0),
        ("250 kr", "NO", None, "NOK", 0.8, 1.0),
        ("250 kr", "DK", None, "DKK", 0.8, 1.0),
        ("250 kr", None, None, None, 0.0, 0.0),
        ("250 kr total 250 SEK", None, None, "SEK", 0.95, 1.0),
        ("no currency here", "US", "en", None, 0.0, 0.0),
        ("", None, None, None, 0.0, 0.0),
    ],
)
def test_resolve_currency(
    text: str,
    country: str | None,
    language: str | None,
    expected: str | None,
    min_conf: float,
    max_conf: float,
) -> None:
    code, confidence = resolve_currency(detect_currencies(text), country=country, language=language)
    assert code == expected
    assert min_conf <= confidence <= max_conf


def test_resolve_currency_majority_and_margin() -> None:
    clear, clear_conf = resolve_currency([("EUR", 0, 3, 1.0), ("EUR", 10, 13, 1.0)])
    mixed, mixed_conf = resolve_currency([("EUR", 0, 3, 1.0), ("EUR", 10, 13, 1.0), ("GBP", 20, 23, 1.0)])
    assert clear == mixed == "EUR"
    assert mixed_conf < clear_conf
    assert resolve_currency([("GBP", 0, 1, 0.9), ("EUR", 5, 8, 1.0), ("EUR", 9, 12, 1.0)])[0] == "EUR"


def test_resolve_never_defaults_without_evidence() -> None:
    assert resolve_currency([], country="US", language="en") == (None, 0.0)
    assert resolve_currency([("kr", 0, 2, 0.5)], country="DE") == (None, 0.0)


_EURO_AREA = ("DE", "AT", "FR", "NL", "BE", "IT", "ES", "IE", "FI", "HR", "BG", "PT", "GR", "LU", "SK", "SI",
              "EE", "LV", "LT", "MT", "CY")
_OTHERS = {
    "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON", "SE": "SEK", "DK": "DKK", "NO": "NOK", "IS": "ISK",
    "LI": "CHF", "CH": "CHF", "GB": "GBP", "US": "USD", "CA": "CAD", "AU": "AUD", "IN": "INR", "JP": "JPY",
    "CN": "CNY", "de": "EUR", "ZZ": None, "": None,
}


@pytest.mark.parametrize(("country", "expected"), [*((c, "EUR") for c in _EURO_AREA), *_OTHERS.items()])
def test_currency_for_country(country: str, expected: str | None) -> None:
    assert currency_for_country(country) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Musterstraße 1, 10115 Berlin, Deutschland", "DE"),
        ("Musterstraße 1, 10115 Berlin, DEUTSCHLAND", "DE"),
        ("Made in Germany", "DE"),
        ("12 rue de la Paix, 75002 Paris, France", "FR"),
        ("Livraison: Allemagne", "DE"),
        ("Afleveradres: Duitsland", "DE"),
        ("Alemania", "DE"),
        ("Germania", "DE"),
        ("Wien, Österreich", "AT"),
        ("Wien, Oesterreich", "AT"),
        ("Zürich, Schweiz", "CH"),
        ("Genève, Suisse", "CH"),
        ("Lugano, Svizzera", "CH"),
        ("Amsterdam, Nederland", "NL"),
        ("Rotterdam, The Netherlands", "NL"),
        ("Bruxelles, Belgique", "BE"),
        ("Antwerpen, België", "BE"),
        ("Madrid, España", "ES"),
        ("Madrid, Espana", "ES"),
        ("Milano, Italia", "IT"),
        ("Dublin, Ireland", "IE"),
        ("London, United Kingdom", "GB"),
        ("London, UK", "GB"),
        ("Belfast, Northern Ireland", "GB"),
        ("Londres, Royaume-Uni", "GB"),
        ("Seattle, WA 98109, USA", "US"),
        ("Redmond, United States of America", "US"),
        ("Toronto, Canada", "CA"),
        ("Sydney NSW 2000, Australia", "AU"),
        ("Bengaluru, Karnataka, India", "IN"),
        ("Tokyo, Japan", "JP"),
        ("Shanghai, China", "CN"),
        ("Warszawa, Polska Poland", "PL"),
        ("Praha, Czech Republic", "CZ"),
        ("København, Danmark", "DK"),
        ("Stockholm, Sweden", "SE"),
        ("Oslo, Norway", "NO"),
        ("USt-IdNr. DE136695976", "DE"),
        ("TVA intracommunautaire FR40303265045", "FR"),
        ("UID CHE-107.787.577 MWST", "CH"),
        ("IBAN: NL91 ABNA 0417 1643 00", "NL"),
        # The most frequent country wins (vendor and customer on one page).
        ("Seller: Berlin, Germany. VAT DE136695976. Buyer: Paris, France", "DE"),
    ],
)
def test_country_from_text(text: str, expected: str) -> None:
    assert country_from_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10115 Berlin",
        "D-10115 Berlin",
        "Santa Fe, New Mexico",
        "Sydney, New South Wales",
        "Indianapolis, Indiana",
        "Invoice 12 total 100.00",
    ],
)
def test_country_from_text_needs_real_evidence(text: str) -> None:
    assert country_from_text(text) is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60), country=st.sampled_from([None, "US", "CA", "SE", "DE"]))
def test_detect_and_resolve_never_crash(text: str, country: str | None) -> None:
    found = detect_currencies(text)
    code, confidence = resolve_currency(found, country=country)
    assert 0.0 <= confidence <= 1.0
    assert (code is None) == (confidence == 0.0)
    assert code is None or code in ISO_4217 or len(code) == 3
    assert country_from_text(text) is None or len(country_from_text(text) or "") == 2
