"""Normalisers: pure functions that turn printed invoice tokens into typed values.

They hold the locale knowledge (number formats, date orders, month names, currency signs, id checksums) so the
extraction engines only deal with layout. No I/O, no state; safe to call on every token of every page.
"""

from .amounts import (
    AMOUNT_PATTERN,
    SUPPORTED_LOCALES,
    amount_decimals_ambiguous,
    find_amounts,
    format_amount,
    guess_decimal_separator,
    locale_decimal_separator,
    parse_amount,
)
from .currency import (
    ISO_4217,
    WITHDRAWN_CODES,
    country_from_text,
    currency_for_country,
    detect_currencies,
    resolve_currency,
)
from .dates import ParsedDate, find_dates, infer_date_order, parse_date
from .ids import (
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
from .language import LANGUAGES, detect_language

__all__ = [
    "AMOUNT_PATTERN",
    "IBAN_LENGTHS",
    "ISO_4217",
    "LANGUAGES",
    "SUPPORTED_LOCALES",
    "WITHDRAWN_CODES",
    "ParsedDate",
    "amount_decimals_ambiguous",
    "bic_valid",
    "country_from_text",
    "currency_for_country",
    "detect_currencies",
    "detect_language",
    "find_amounts",
    "find_dates",
    "find_ibans",
    "find_vat_ids",
    "format_amount",
    "guess_decimal_separator",
    "iban_valid",
    "infer_date_order",
    "locale_decimal_separator",
    "normalize_iban",
    "normalize_vat_id",
    "parse_amount",
    "parse_date",
    "resolve_currency",
    "vat_id_checksum_ok",
    "vat_id_valid",
]
