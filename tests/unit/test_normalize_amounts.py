"""Amount parsing/formatting across locales: real-world printed formats, and what must be refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_capture.extraction.normalize import (
    AMOUNT_PATTERN,
    SUPPORTED_LOCALES,
    amount_decimals_ambiguous,
    find_amounts,
    format_amount,
    guess_decimal_separator,
    locale_decimal_separator,
    parse_amount,
)

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", D("1234.56")),
        ("1 234,56", D("1234.56")),
        ("1\u00a0234,56", D("1234.56")),
        ("1\u202f234,56", D("1234.56")),
        ("1\u2009234,56", D("1234.56")),
        ("1,234.56", D("1234.56")),
        ("1'234.56", D("1234.56")),
        ("1’234.56", D("1234.56")),
        ("1234", D("1234")),
        ("1234.5", D("1234.5")),
        (".50", D("0.50")),
        ("0,05", D("0.05")),
        ("12,50", D("12.50")),
        ("1.234.567,89", D("1234567.89")),
        ("1,234,567.89", D("1234567.89")),
        ("1 234 567,89", D("1234567.89")),
        ("1'234'567.00", D("1234567.00")),
        ("1,23,456.00", D("123456.00")),
        ("12,34,56,789.50", D("123456789.50")),
        ("0.125", D("0.125")),
        ("1234,5678", D("1234.5678")),
        ("+12.00", D("12.00")),
    ],
)
def test_parse_plain_numbers(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(12.00)", D("-12.00")),
        ("12.00-", D("-12.00")),
        ("-12.00", D("-12.00")),
        ("− 12,00", D("-12.00")),
        ("−12,00", D("-12.00")),
        ("–5.00", D("-5.00")),
        ("12.00 -", D("-12.00")),
        ("(€12.00)", D("-12.00")),
        ("($ 1,200.00)", D("-1200.00")),
        ("-$12.00", D("-12.00")),
        ("$-12.00", D("-12.00")),
        ("€ -1.234,56", D("-1234.56")),
        ("-1.234,56 €", D("-1234.56")),
        ("(12.00 EUR)", D("-12.00")),
    ],
)
def test_parse_negatives(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$110.00", D("110.00")),
        ("EUR 1.234,56", D("1234.56")),
        ("1.234,56 €", D("1234.56")),
        ("1.234,56€", D("1234.56")),
        ("€1.234,56", D("1234.56")),
        ("Rs 1939", D("1939")),
        ("Rs. 1,939.00", D("1939.00")),
        ("Rs.1939", D("1939")),
        ("₹319", D("319")),
        ("₹ 1,23,456.00", D("123456.00")),
        ("CHF 1'234.50", D("1234.50")),
        ("Fr. 1’234.50", D("1234.50")),
        ("£ 12", D("12")),
        ("£12.99", D("12.99")),
        ("12,00 EUR", D("12.00")),
        ("12.00EUR", D("12.00")),
        ("USD 4.11", D("4.11")),
        ("US$ 4.11", D("4.11")),
        ("4.11 USD", D("4.11")),
        ("¥1,000", D("1000")),
        ("100 zł", D("100")),
        ("1 500 Kč", D("1500")),
        ("250 kr", D("250")),
        ("12,50 Euro", D("12.50")),
        ("12,- €", D("12.00")),
        ("Fr. 12.–", D("12.00")),
        ("12,--", D("12.00")),
        ("  $ 4.11  ", D("4.11")),
    ],
)
def test_parse_with_currency(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "USD",
        "EUR",
        "€",
        "03.04.2025",
        "3.4.2025",
        "2025-04-03",
        "03/04/2025",
        "+49 30 1234567",
        "030-1234567",
        "555-1234",
        "(555) 123-4567",
        "21%",
        "21 %",
        "19,00%",
        "INV-100",
        "A123",
        "12A",
        "DE123456789",
        "1,23,4.00",
        "1.23.456,00",
        "12 50",
        "1..234",
        "1.234.56",
        "1,234.567,89",
        "0042",
        "(12.00",
        "12.00)",
        "--12",
        "14:30",
        "03.2025",
        "12.2025",
        "1/2",
        "12345678901234567890",
    ],
)
def test_parse_rejects_non_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("1,234", None, D("1234")),
        ("1,234", ",", D("1.234")),
        ("1,234", ".", D("1234")),
        ("1.234", None, D("1234")),
        ("1.234", ",", D("1234")),
        ("1.234", ".", D("1.234")),
        ("123.456", ".", D("123.456")),
        ("EUR 1.234", ",", D("1234")),
        # Unambiguous tokens ignore the hint.
        ("12.50", ",", D("12.50")),
        ("12,50", ".", D("12.50")),
        ("1.234,56", ".", D("1234.56")),
        ("1234.567", None, D("1234.567")),
        ("0,125", None, D("0.125")),
        ("1.234.567", ".", D("1234567")),
    ],
)
def test_decimal_hint_only_settles_ambiguous_tokens(text: str, hint: str | None, expected: Decimal) -> None:
    assert parse_amount(text, decimal_hint=hint) == expected


@pytest.mark.parametrize(
    ("text", "ambiguous"),
    [
        ("1,234", True),
        ("1.234", True),
        ("$999.999", True),
        ("12.50", False),
        ("1,234.56", False),
        ("1234.567", False),
        ("0.123", False),
        ("1.234.567", False),
        ("1 234,567", False),
        ("abc", False),
    ],
)
def test_amount_decimals_ambiguous(text: str, ambiguous: bool) -> None:
    assert amount_decimals_ambiguous(text) is ambiguous


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["1.234,56", "12,50", "Total 3,00"], ","),
        (["12.50", "$1,234.56", "0.99"], "."),
        (["Summe 1.234.567 EUR"], ","),
        (["1,234", "5.678"], None),
        ([], None),
        (["no numbers here", ""], None),
        (["Datum 03.04.2025", "Betrag 12,50"], ","),
        (["1.234,56", "1.234,56", "12.5"], ","),
        (["1,23,456", "99.9"], "."),
    ],
)
def test_guess_decimal_separator(texts: list[str], expected: str | None) -> None:
    assert guess_decimal_separator(texts) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Total: $4.11", [("$4.11", D("4.11"))]),
        ("Total:$4.11", [("$4.11", D("4.11"))]),
        ("Summe 1.234,56€ inkl. MwSt", [("1.234,56€", D("1234.56"))]),
        ("Montant 1 234,56 € TTC", [("1 234,56 €", D("1234.56"))]),
        ("Qty 2 100.00 200.00", [("2", D("2")), ("100.00", D("100.00")), ("200.00", D("200.00"))]),
        ("Prix 12,50 13,75", [("12,50", D("12.50")), ("13,75", D("13.75"))]),
        ("1 234,56 100,00", [("1 234,56", D("1234.56")), ("100,00", D("100.00"))]),
        ("Date 03.04.2025 14:30", []),
        ("VAT 21% 12.60", [("12.60", D("12.60"))]),
        ("Invoice INV-100 credit (12.00)", [("(12.00)", D("-12.00"))]),
        ("Rabatt -5,00 EUR", [("-5,00 EUR", D("-5.00"))]),
        ("Gutschrift 12.00-", [("12.00-", D("-12.00"))]),
        ("Consulting - 120.00", [("120.00", D("120.00"))]),
        ("CHF 1'234.50 Fr. 12.–", [("CHF 1'234.50", D("1234.50")), ("Fr. 12.–", D("12.00"))]),
        ("$12.00 $5.00", [("$12.00", D("12.00")), ("$5.00", D("5.00"))]),
        ("12,00 € 5,00 €", [("12,00 €", D("12.00")), ("5,00 €", D("5.00"))]),
        ("Rs.1939 ₹319", [("Rs.1939", D("1939")), ("₹319", D("319"))]),
        ("IBAN DE89 3704 0044 0532 0130 00 Total 12.00", [("12.00", D("12.00"))]),
        ("Weight 100kg, item A12, ref #42", []),
        ("(see page 3", [("3", D("3"))]),
        ("Total (incl. tax 9.50)", [("9.50", D("9.50"))]),
    ],
)
def test_find_amounts(line: str, expected: list[tuple[str, Decimal]]) -> None:
    found = find_amounts(line)
    assert [(line[s:e], v) for s, e, v in found] == expected


def test_find_amounts_uses_hint_for_ambiguous_and_space_grouping() -> None:
    assert [v for *_, v in find_amounts("Menge 1.234 Stück")] == [D("1234")]
    assert [v for *_, v in find_amounts("Poids 1,234 kg", decimal_hint=",")] == [D("1.234")]
    # Ordinary-space grouping without a comma decimal is a quantity followed by a price...
    assert [v for *_, v in find_amounts("2 100.00")] == [D("2"), D("100.00")]
    # ...but a comma-decimal document groups with plain spaces.
    assert [v for *_, v in find_amounts("12 100", decimal_hint=",")] == [D("12100")]


def test_amount_pattern_exposes_number_group() -> None:
    m = AMOUNT_PATTERN.search("Total EUR 1.234,56 due")
    assert m is not None
    assert m.group("num") == "1.234,56"
    assert m.group("pre") == "EUR"


@pytest.mark.parametrize(
    ("value", "locale", "symbol", "expected"),
    [
        (D("1234.56"), "en_US", "$", "$1,234.56"),
        (D("-1234.56"), "en_US", "$", "-$1,234.56"),
        (D("1234.56"), "en_GB", "£", "£1,234.56"),
        (D("1234567.5"), "en_IN", "₹", "₹12,34,567.50"),
        (D("1234.56"), "de_DE", "€", "1.234,56\u00a0€"),
        (D("1234.56"), "de_AT", "€", "€\u00a01.234,56"),
        (D("1234.5"), "de_CH", "CHF", "CHF 1'234.50"),
        (D("1234.56"), "fr_FR", "€", "1\u202f234,56\u00a0€"),
        (D("1234.56"), "fr_CH", "CHF", "1\u00a0234,56\u00a0CHF"),
        (D("-1234.56"), "nl_NL", "€", "€\u00a0-1.234,56"),
        (D("1234.56"), "nl_BE", None, "1.234,56"),
        (D("1234.56"), "es_ES", None, "1234,56"),
        (D("12345.6"), "es_ES", None, "12.345,60"),
        (D("0.5"), "it_IT", None, "0,50"),
        (D("0.125"), "en_US", None, "0.125"),
        (D("12"), "en-US", "USD", "USD\u00a012.00"),
    ],
)
def test_format_amount(value: Decimal, locale: str, symbol: str | None, expected: str) -> None:
    assert format_amount(value, locale, symbol) == expected


def test_format_amount_rejects_unknown_locale() -> None:
    with pytest.raises(ValueError, match="unsupported locale"):
        format_amount(D("1"), "xx_XX")


amounts_2dp = st.decimals(
    min_value=D("-99999999.99"), max_value=D("99999999.99"), places=2, allow_nan=False, allow_infinity=False
)


@settings(max_examples=300, deadline=None)
@given(value=amounts_2dp, locale=st.sampled_from(SUPPORTED_LOCALES), with_symbol=st.booleans())
def test_format_parse_round_trip(value: Decimal, locale: str, with_symbol: bool) -> None:
    symbol = {"en_US": "$", "en_GB": "£", "en_IN": "₹", "de_CH": "CHF", "fr_CH": "CHF"}.get(locale, "€")
    text = format_amount(value, locale, symbol if with_symbol else None)
    assert parse_amount(text, decimal_hint=locale_decimal_separator(locale)) == value
    # The printed form always carries decimals, so the hint is never needed to read it.
    assert parse_amount(text) == value


@settings(max_examples=200, deadline=None)
@given(value=amounts_2dp, locale=st.sampled_from(SUPPORTED_LOCALES))
def test_find_amounts_locates_formatted_amount_in_a_line(value: Decimal, locale: str) -> None:
    printed = format_amount(value, locale, "EUR")
    line = f"Total amount {printed} due"
    found = find_amounts(line, decimal_hint=locale_decimal_separator(locale))
    assert [v for *_, v in found] == [value]
    start, end, _ = found[0]
    assert line[start:end] == printed


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=40), max_size=5), hint=st.sampled_from([None, ",", "."]))
def test_never_crashes_on_arbitrary_text(texts: list[str], hint: str | None) -> None:
    for text in texts:
        value = parse_amount(text, hint)
        assert value is None or isinstance(value, Decimal)
        for start, end, v in find_amounts(text, hint):
            assert 0 <= start < end <= len(text)
            assert isinstance(v, Decimal)
    assert guess_decimal_separator(texts) in (None, ",", ".")
