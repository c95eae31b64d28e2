"""Date parsing: numeric orders and their ambiguity, written months in six languages, document-level order."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_capture.extraction.normalize import ParsedDate, find_dates, infer_date_order, parse_date

d = datetime.date


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        # Both parts <= 12: the order decides the value, and the token stays flagged as ambiguous.
        ("03.04.2025", "DMY", ParsedDate(d(2025, 4, 3), True, "DMY")),
        ("03.04.2025", "MDY", ParsedDate(d(2025, 3, 4), True, "MDY")),
        ("03.04.2025", None, ParsedDate(d(2025, 4, 3), True, "DMY")),
        ("3/4/25", None, ParsedDate(d(2025, 4, 3), True, "DMY")),
        ("03-04-2025", "MDY", ParsedDate(d(2025, 3, 4), True, "MDY")),
        ("03 04 2025", "DMY", ParsedDate(d(2025, 4, 3), True, "DMY")),
        ("03.04.2025", "YMD", ParsedDate(d(2025, 4, 3), True, "DMY")),
        ("3. 4. 2025", None, ParsedDate(d(2025, 4, 3), True, "DMY")),
        # A part > 12 decides, whatever the hint.
        ("12/31/2025", "DMY", ParsedDate(d(2025, 12, 31), False, "MDY")),
        ("12/31/2025", None, ParsedDate(d(2025, 12, 31), False, "MDY")),
        ("31/12/2025", "MDY", ParsedDate(d(2025, 12, 31), False, "DMY")),
        ("31.12.25", None, ParsedDate(d(2025, 12, 31), False, "DMY")),
        # Same day and month: the value is certain.
        ("04/04/2025", None, ParsedDate(d(2025, 4, 4), False, "DMY")),
        # Two-digit years: 00-69 -> 20xx, 70-99 -> 19xx.
        ("15.07.70", None, ParsedDate(d(1970, 7, 15), False, "DMY")),
        ("15.07.69", None, ParsedDate(d(2069, 7, 15), False, "DMY")),
        ("15.07.00", None, ParsedDate(d(2000, 7, 15), False, "DMY")),
        # ISO and year-first.
        ("2025-04-03", None, ParsedDate(d(2025, 4, 3), False, None)),
        ("2025-04-03", "MDY", ParsedDate(d(2025, 4, 3), False, None)),
        ("2025/04/03", None, ParsedDate(d(2025, 4, 3), False, "YMD")),
        ("2025.4.3", None, ParsedDate(d(2025, 4, 3), False, "YMD")),
        ("20250403", None, ParsedDate(d(2025, 4, 3), False, None)),
        ("19991231", None, ParsedDate(d(1999, 12, 31), False, None)),
        # A time after the date is ignored.
        ("2025-04-03T10:00:00Z", None, ParsedDate(d(2025, 4, 3), False, None)),
        ("2025-04-03T10:00:00+02:00", None, ParsedDate(d(2025, 4, 3), False, None)),
        ("03.04.2025 14:30 Uhr", "DMY", ParsedDate(d(2025, 4, 3), True, "DMY")),
        ("04/03/2025, 2:30 PM", "MDY", ParsedDate(d(2025, 4, 3), True, "MDY")),
        ("13.04.2025 14:30", None, ParsedDate(d(2025, 4, 13), False, "DMY")),
    ],
)
def test_parse_numeric_dates(text: str, order: str | None, expected: ParsedDate) -> None:
    assert parse_date(text, order) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("August 3 , 2014", d(2014, 8, 3)),
        ("Aug 3, 2014", d(2014, 8, 3)),
        ("August 3rd, 2014", d(2014, 8, 3)),
        ("3rd August 2014", d(2014, 8, 3)),
        ("3rd of August 2014", d(2014, 8, 3)),
        ("03-Apr-2025", d(2025, 4, 3)),
        ("03-APR-25", d(2025, 4, 3)),
        ("03APR2025", d(2025, 4, 3)),
        ("3 Mar '25", d(2025, 3, 3)),
        ("2025-Apr-03", d(2025, 4, 3)),
        ("3. März 2025", d(2025, 3, 3)),
        ("3. Maerz 2025", d(2025, 3, 3)),
        ("3. Marz 2025", d(2025, 3, 3)),
        ("3. Jänner 2025", d(2025, 1, 3)),
        ("Mo., 3. März 2025", d(2025, 3, 3)),
        ("le 3 mars 2025", d(2025, 3, 3)),
        ("1er janvier 2025", d(2025, 1, 1)),
        ("3 févr. 2025", d(2025, 2, 3)),
        ("15 août 2025", d(2025, 8, 15)),
        ("15 aout 2025", d(2025, 8, 15)),
        ("3 décembre 2025", d(2025, 12, 3)),
        ("3 decembre 2025", d(2025, 12, 3)),
        ("3 de marzo de 2025", d(2025, 3, 3)),
        ("3 de marzo del 2025", d(2025, 3, 3)),
        ("1 de septiembre de 2025", d(2025, 9, 1)),
        ("3 maggio 2025", d(2025, 5, 3)),
        ("1° gennaio 2025", d(2025, 1, 1)),
        ("3 mei 2025", d(2025, 5, 3)),
        ("3 oktober 2025", d(2025, 10, 3)),
        ("3 mrt 2025", d(2025, 3, 3)),
        ("Sept. 3, 2025", d(2025, 9, 3)),
        ("Monday, 3 March 2025", d(2025, 3, 3)),
        ("December 31, 2025", d(2025, 12, 31)),
        ("3 March 2025.", d(2025, 3, 3)),
    ],
)
def test_parse_written_months(text: str, expected: datetime.date) -> None:
    parsed = parse_date(text)
    assert parsed == ParsedDate(expected, False, None)
    # The order hint never changes a written-month date.
    assert parse_date(text, "MDY") == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "31/02/2025",
        "29.02.2025",
        "13/13/2025",
        "00.01.2025",
        "2025-13-01",
        "20251340",
        "12345678",
        "03.2025",
        "3 Mar 25",
        "31 Febr 2025",
        "Invoice 12",
        "1.234,56",
        "3 March",
        "May 2025",
    ],
)
def test_parse_rejects_invalid(text: str) -> None:
    assert parse_date(text) is None


def test_leap_day() -> None:
    assert parse_date("29.02.2024") == ParsedDate(d(2024, 2, 29), False, "DMY")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Invoice date: 03.04.2025 due 2025-05-03", ["03.04.2025", "2025-05-03"]),
        ("Date: August 3 , 2014 Total 4.11", ["August 3 , 2014"]),
        ("Rechnungsdatum 3. März 2025, Lieferdatum 28.02.2025", ["3. März 2025", "28.02.2025"]),
        ("Facture du 1er janvier 2025", ["1er janvier 2025"]),
        ("Fecha: 3 de marzo de 2025", ["3 de marzo de 2025"]),
        ("Ref 20231299 issued 20230115", ["20230115"]),
        ("Version 1.2.3", []),
        ("Qty 3 Mar 12 units", []),
        ("Total 1.234,56 EUR", []),
        ("Period 03.2025", []),
        ("Tel 030 1234 5678", []),
        ("Due 31/02/2025", []),
        ("Leistungszeitraum 01.03.2025-31.03.2025", ["01.03.2025", "31.03.2025"]),
        ("Period 2025-03-01 – 2025-03-31", ["2025-03-01", "2025-03-31"]),
        ("Issued 2025-04-03T10:00:00Z", ["2025-04-03"]),
        ("Phone 01.23.45.67.89", []),
    ],
)
def test_find_dates(line: str, expected: list[str]) -> None:
    found = find_dates(line)
    assert [s for *_, s in found] == expected
    for start, end, s in found:
        assert line[start:end] == s


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected_order", "min_certainty", "max_certainty"),
    [
        (["03/04/2025", "13/04/2025"], {}, "DMY", 1.0, 1.0),
        (["03/04/2025", "04/13/2025"], {}, "MDY", 1.0, 1.0),
        (["Date: 13.04.2025"], {"language": "en", "currency": "USD"}, "DMY", 1.0, 1.0),
        (["03/04/2025"], {"language": "en", "currency": "USD"}, "MDY", 0.6, 0.8),
        (["03/04/2025"], {"country": "US"}, "MDY", 0.6, 0.8),
        (["03/04/2025"], {"language": "de"}, "DMY", 0.7, 0.9),
        (["03/04/2025"], {"currency": "EUR"}, "DMY", 0.7, 0.9),
        (["03/04/2025"], {"currency": "GBP", "language": "en"}, "DMY", 0.7, 0.9),
        (["03/04/2025"], {"currency": "INR"}, "DMY", 0.7, 0.9),
        (["03/04/2025"], {"country": "DE", "currency": "USD", "language": "en"}, "DMY", 0.7, 0.9),
        (["03/04/2025"], {"language": "en"}, None, 0.0, 0.0),
        ([], {}, None, 0.0, 0.0),
        (["2025-04-13", "August 3, 2014"], {}, None, 0.0, 0.0),
        # Conflicting proofs: the majority wins with lower certainty.
        (["13/04/2025", "14/04/2025", "04/13/2025"], {}, "DMY", 0.5, 0.95),
        (["04/13/2025", "04/14/2025", "13/04/2025"], {"country": "US"}, "MDY", 0.5, 0.95),
        (["13/04/2025", "04/13/2025"], {}, None, 0.0, 0.0),
    ],
)
def test_infer_date_order(
    raw: list[str],
    kwargs: dict[str, str],
    expected_order: str | None,
    min_certainty: float,
    max_certainty: float,
) -> None:
    order, certainty = infer_date_order(raw, **kwargs)
    assert order == expected_order
    assert min_certainty <= certainty <= max_certainty


def test_conflicting_proofs_are_less_certain_than_unanimous_ones() -> None:
    _, unanimous = infer_date_order(["13/04/2025", "14/04/2025"])
    _, split = infer_date_order(["13/04/2025", "14/04/2025", "04/13/2025"])
    assert split < unanimous


# Independent month-name tables (not the module's) so the property test checks real spellings.
_WRITTEN = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"],
    "en_abbr": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
_WRITTEN_FORMATS = {
    "en": ["{month} {day}, {year}", "{day} {month} {year}"],
    "de": ["{day}. {month} {year}"],
    "fr": ["{day} {month} {year}", "le {day} {month} {year}"],
    "nl": ["{day} {month} {year}"],
    "es": ["{day} de {month} de {year}"],
    "it": ["{day} {month} {year}"],
    "en_abbr": ["{day:02d}-{month}-{year}", "{month}. {day}, {year}", "{day} {month} {year}"],
}

dates = st.dates(min_value=d(1970, 1, 1), max_value=d(2069, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    value=dates,
    order=st.sampled_from(["DMY", "MDY"]),
    sep=st.sampled_from([".", "/", "-"]),
    pad=st.booleans(),
    two_digit_year=st.booleans(),
)
def test_numeric_round_trip(
    value: datetime.date, order: str, sep: str, pad: bool, two_digit_year: bool
) -> None:
    fmt = "{:02d}" if pad else "{}"
    day, month = fmt.format(value.day), fmt.format(value.month)
    year = f"{value.year % 100:02d}" if two_digit_year else str(value.year)
    first, second = (day, month) if order == "DMY" else (month, day)
    text = f"{first}{sep}{second}{sep}{year}"
    parsed = parse_date(text, order)
    assert parsed is not None
    assert parsed.value == value
    assert parsed.ambiguous == (value.day <= 12 and value.day != value.month)
    assert parsed.order == order  # given, or proven by a day > 12 printed in that position
    # Without the hint the parser must either be right or say the token was ambiguous.
    unhinted = parse_date(text)
    assert unhinted is not None
    assert unhinted.value == value or unhinted.ambiguous
    # And the line scanner finds the same text.
    assert [s for *_, s in find_dates(f"Datum: {text} ")] == [text]


@settings(max_examples=300, deadline=None)
@given(value=dates, language=st.sampled_from(sorted(_WRITTEN)), data=st.data())
def test_written_round_trip(value: datetime.date, language: str, data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(_WRITTEN_FORMATS[language]))
    month = _WRITTEN[language][value.month - 1]
    if data.draw(st.booleans()):
        month = month.upper()
    text = fmt.format(day=value.day, month=month, year=value.year)
    assert parse_date(text) == ParsedDate(value, False, None)
    assert any(value == parse_date(s).value for *_, s in find_dates(f"Date {text} Total"))  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(value=dates)
def test_iso_and_compact_round_trip(value: datetime.date) -> None:
    assert parse_date(value.isoformat()) == ParsedDate(value, False, None)
    assert parse_date(value.strftime("%Y%m%d")) == ParsedDate(value, False, None)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    parsed = parse_date(text)
    assert parsed is None or isinstance(parsed.value, datetime.date)
    for start, end, s in find_dates(text):
        assert text[start:end] == s
