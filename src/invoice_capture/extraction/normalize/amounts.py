"""Money amounts as printed on invoices -> Decimal, and back.

The same value is printed "1.234,56", "1 234,56", "1'234.56", "1,234.56" or "12,34,567.00" depending on
the locale, with currency signs glued on either side and negatives as "-", "−", "(…)" or a trailing minus.
The parser accepts all of these but refuses tokens that only look numeric (dates, phone numbers,
percentages, ids), because a wrong total is worse than a missing one. "1,234" / "1.234" cannot be decided
from the token alone: the caller passes the document's decimal separator (see guess_decimal_separator);
without it the separator is read as grouping, which is what such a token means far more often on invoices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .currency import ISO_4217, WITHDRAWN_CODES
from .ids import find_ibans

_SPACE_CHARS = " \u00a0\u202f\u2009\u2007"  # space, NBSP, narrow NBSP, thin space, figure space
_APOS_CHARS = "'’‘´ʼ"
_DIGITS = frozenset("0123456789")
_MAX_INT_DIGITS = 15
_MAX_FRACTION_DIGITS = 6

# Spaces -> " ", apostrophes -> "'": every space or apostrophe is a grouping mark, whichever code point.
_NORMALISE = str.maketrans({**{c: " " for c in _SPACE_CHARS}, **{c: "'" for c in _APOS_CHARS}})
_PLAIN_RE = re.compile(r"[0-9.,]+")


def _code_alternation(codes: Iterable[str]) -> str:
    """Regex for a set of 3-letter codes grouped by first letter, so the engine rejects non-codes fast."""
    by_first: dict[str, list[str]] = {}
    for code in sorted(codes):
        by_first.setdefault(code[0], []).append(code[1:])
    return "(?:" + "|".join(f"{k}(?:{'|'.join(v)})" for k, v in sorted(by_first.items())) + ")"


# Codes that sit next to numbers in identifiers (CHE-123.456.789 is a Swiss UID) are not stripped as currency.
_AMOUNT_CODES = (ISO_4217 | WITHDRAWN_CODES) - {"CHE", "CHW"}
_CUR = (
    r"(?:"
    r"(?:US|U\$S|CA|CAD|AU|NZ|HK|MX|SG|[ACRS])?\$"
    r"|(?:CN|JP)?¥|[€£₹₩₺₽₪₫₱฿₴₦元円]"
    r"|(?i:rs\.?|kr\.?|zł|kč|sfr\.?|fr\.|euros?|dollars?)"
    rf"|{_code_alternation(_AMOUNT_CODES)}"
    r")"
)
_SIGN_CLASS = "\\-−–—"
_SP = "[ \u00a0\u202f\u2009\u2007]"

# Whole-string form used by parse_amount: currency and sign in any order around one number.
_FULL_RE = re.compile(
    rf"""
    (?P<open>\()?\s*
    (?P<s1>[+{_SIGN_CLASS}])?\s*
    (?:(?P<pre>{_CUR})\s*)?
    (?P<s2>[+{_SIGN_CLASS}])?\s*
    (?P<num>[.,]?[0-9](?:[0-9.,{_APOS_CHARS}{_SPACE_CHARS}]*[0-9])?)
    (?P<zero>[.,](?:--|[{_SIGN_CLASS}]))?
    (?:\s*(?P<s3>[{_SIGN_CLASS}]))?
    (?:\s*(?P<post>{_CUR}))?
    \s*(?P<close>\))?
    """,
    re.VERBOSE,
)


def _find_pattern(group_seps: str) -> re.Pattern[str]:
    """Amount-in-a-line pattern; `group_seps` are the grouping marks allowed between digit groups."""
    return re.compile(
        rf"""
        (?=[^0-9]{{0,12}}[0-9])  # cheap rejection of positions with no digit close by
        (?<![\w.,'’/+#{_SIGN_CLASS}])(?<![0-9]:)
        (?P<open>\()?
        (?P<s1>[{_SIGN_CLASS}](?![ \t])|−{_SP}?)?
        (?:(?P<pre>{_CUR}){_SP}?)?
        (?P<s2>[{_SIGN_CLASS}])?
        (?P<num>
            [0-9]{{1,3}}(?P<gs>[{group_seps}])[0-9]{{2,3}}(?:(?P=gs)[0-9]{{2,3}})*(?:[.,][0-9]{{1,{_MAX_FRACTION_DIGITS}}})?
          | [0-9]+(?:[.,][0-9]{{1,{_MAX_FRACTION_DIGITS}}})?
          | [.,][0-9]{{1,{_MAX_FRACTION_DIGITS}}}
        )
        (?P<zero>[.,](?:--|[{_SIGN_CLASS}]))?
        (?P<s3>[{_SIGN_CLASS}](?![0-9]))?
        (?:{_SP}?(?P<post>{_CUR}))?
        (?P<close>\))?
        (?![\w%‰]|{_SP}%|[.,'’/:{_SIGN_CLASS}][0-9])
        """,
        re.VERBOSE,
    )


# Public: locates amount tokens (with any glued currency sign and sign) in a line; group "num" is the number.
AMOUNT_PATTERN: re.Pattern[str] = _find_pattern(".,'’\u00a0\u202f\u2009\u2007 ")
# Same without ordinary-space grouping: splits "2 100.00" (quantity, price) when grouping is implausible.
_AMOUNT_PATTERN_NO_SPACE = _find_pattern(".,'’\u00a0\u202f\u2009\u2007")


class _Number(NamedTuple):
    value: Decimal
    decimal: str | None  # the separator read as decimal mark, None for integers
    ambiguous: bool  # "1,234"-like: decided by hint or by the grouping default


def _valid_grouping(groups: list[str], sep: str) -> bool:
    """Western 3-digit groups, or Indian lakh/crore grouping (12,34,567) with commas."""
    if any(not g.isdigit() for g in groups) or groups[0][0] == "0":
        return False
    first, rest = groups[0], groups[1:]
    if len(first) <= 3 and all(len(g) == 3 for g in rest):
        return True
    return (
        sep == ","
        and len(groups) >= 3
        and len(first) <= 2
        and all(len(g) == 2 for g in rest[:-1])
        and len(rest[-1]) == 3
    )


def _parse_number(num: str, hint: str | None, zero_sep: str | None = None) -> _Number | None:
    """Digits and separators only -> value, deciding which separator is the decimal mark."""
    s = num if _PLAIN_RE.fullmatch(num) else num.translate(_NORMALISE)
    ambiguous = False
    frac = ""
    if zero_sep:  # "12,-" / "12.–": integer with an explicit decimal mark and no cents
        dec: str | None = zero_sep
        int_part = s
        if dec in int_part:
            return None
    else:
        dots, commas = s.count("."), s.count(",")
        if dots and commas:
            pos = max(s.rfind("."), s.rfind(","))
            dec = s[pos]
            if s.count(dec) != 1:
                return None
            int_part, frac = s[:pos], s[pos + 1:]
        elif dots + commas == 1:
            sep = "." if dots else ","
            head, tail = s.split(sep)
            if len(tail) == 3 and head.isdigit() and len(head) <= 3 and head[0] != "0":
                ambiguous = True
                dec = sep if hint == sep else None
            else:
                dec = sep
            if dec:
                int_part, frac = head, tail
            else:
                int_part = s
        else:
            dec = None
            int_part = s
        if dec is not None and not (frac.isdigit() and len(frac) <= _MAX_FRACTION_DIGITS):
            return None
    if not int_part:
        if dec is None or zero_sep:
            return None
        int_part = "0"
    if set(int_part) <= _DIGITS:
        if len(int_part) > 1 and int_part[0] == "0":  # "0042": an id or a code, not an amount
            return None
        digits = int_part
    else:
        seps = set(int_part) - _DIGITS
        if len(seps) != 1:
            return None
        group_sep = seps.pop()
        if group_sep == dec:
            return None
        groups = int_part.split(group_sep)
        if not _valid_grouping(groups, group_sep):
            return None
        digits = "".join(groups)
    if len(digits) > _MAX_INT_DIGITS:
        return None
    if len(frac) == 4 and len(int_part) == 2 and int(int_part) <= 12 and frac[:2] in ("19", "20"):
        return None  # "03.2025" / "12.2025": a billing month, not an amount with four decimals
    if zero_sep:
        frac = "00"
    return _Number(Decimal(f"{digits}.{frac}" if frac else digits), dec, ambiguous)


def _is_minus(sign: str | None) -> bool:
    return bool(sign) and sign != "+"


def _parse_full(text: str, hint: str | None) -> _Number | None:
    if not text:
        return None
    m = _FULL_RE.fullmatch(text.strip())
    if not m or bool(m.group("open")) != bool(m.group("close")):
        return None
    signs = [s for s in (m.group("s1"), m.group("s2"), m.group("s3")) if s]
    if len(signs) > 1:
        return None
    number = _parse_number(m.group("num"), hint, _zero_sep(m.group("zero")))
    if number is None:
        return None
    if m.group("open") or (signs and _is_minus(signs[0])):
        return _Number(-number.value, number.decimal, number.ambiguous)
    return number


def _zero_sep(zero: str | None) -> str | None:
    return zero[0] if zero else None


def parse_amount(text: str, decimal_hint: str | None = None) -> Decimal | None:
    """One amount from a token or short string ("EUR 1.234,56", "(12.00)", "Rs. 1,939.00"), else None.

    decimal_hint ("," or ".") only settles "1,234"/"1.234"; unambiguous tokens ignore it. The Decimal keeps
    the printed precision ("12.5" -> Decimal("12.5")).
    """
    number = _parse_full(text, decimal_hint)
    return number.value if number else None


def amount_decimals_ambiguous(text: str) -> bool:
    """True when the token is an amount whose only separator could be either decimal or grouping ("1.234")."""
    number = _parse_full(text, None)
    return bool(number and number.ambiguous)


def _decimal_vote(num: str) -> tuple[str | None, float]:
    """Which decimal separator one number token implies, and how firmly."""
    number = _parse_number(num, None)
    if number is None or number.ambiguous:
        return None, 0.0
    s = num if _PLAIN_RE.fullmatch(num) else num.translate(_NORMALISE)
    if number.decimal is not None:
        frac_len = len(s) - s.rfind(number.decimal) - 1
        if "." in s and "," in s:
            return number.decimal, 2.0
        return number.decimal, 1.0 if frac_len <= 2 else 0.5
    for sep, other in ((".", ","), (",", ".")):
        if sep in s:  # repeated grouping mark "1.234.567" implies the other one is the decimal mark
            return other, 1.0
    return None, 0.0


def guess_decimal_separator(texts: Iterable[str]) -> str | None:
    """Document-level decimal mark ("," or ".") voted over all amount-like tokens; None if undecided.

    "1.234,56" votes "," twice as firmly as "12,50"; "1,234"-like tokens abstain.
    """
    votes = {".": 0.0, ",": 0.0}
    for text in texts:
        if not text:
            continue
        for m in AMOUNT_PATTERN.finditer(text):
            sep, weight = _decimal_vote(m.group("num"))
            if sep:
                votes[sep] += weight
    if votes["."] == votes[","]:
        return None
    return "." if votes["."] > votes[","] else ","


_NUMBER_AHEAD_RE = re.compile(rf"{_SP}?[{_SIGN_CLASS}(]?[.,]?[0-9]")


def _match_to_amount(m: re.Match[str], hint: str | None) -> tuple[int, int, Decimal] | bool | None:
    """Value and span of one regex match; False means "re-scan without space grouping"."""
    number = _parse_number(m.group("num"), hint, _zero_sep(m.group("zero")))
    if m.group("gs") == " " and (number is None or not (
        number.decimal == "," or (number.decimal is None and hint == ","))):
        # Ordinary-space grouping is a comma-decimal convention; "2 100.00" is a quantity and a price.
        return False
    if number is None:
        return None
    paired = bool(m.group("open")) and bool(m.group("close"))
    start, end = m.span()
    if m.group("open") and not paired:
        start = m.end("open")
    if m.group("close") and not paired:
        end = m.start("close")
    negative = paired or any(_is_minus(m.group(g)) for g in ("s1", "s2", "s3"))
    return start, end, -number.value if negative else number.value


def _post_is_next_prefix(m: re.Match[str], text: str) -> bool:
    """In "$12.00 $5.00" / "CHF 1.00 Fr. 2.00" the sign after a prefixed amount belongs to the next one."""
    return bool(m.group("pre") and m.group("post") and not m.group("close")
                and _NUMBER_AHEAD_RE.match(text, m.end("post")))


def _scan(pattern: re.Pattern[str], text: str, start: int, end: int, hint: str | None,
          out: list[tuple[int, int, Decimal]]) -> None:
    pos = start
    while True:
        m = pattern.search(text, pos, end)
        if not m:
            return
        pos = m.end()
        if _post_is_next_prefix(m, text):
            post_start = m.start("post")
            m = pattern.match(text, m.start(), post_start)  # same amount, without the borrowed sign
            pos = post_start
            if not m:
                continue
        found = _match_to_amount(m, hint)
        if found is False:
            _scan(_AMOUNT_PATTERN_NO_SPACE, text, m.start(), m.end(), hint, out)
        elif found:
            out.append(found)


def find_amounts(text: str, decimal_hint: str | None = None) -> list[tuple[int, int, Decimal]]:
    """Amount tokens in a line as (start, end, value); spans include glued currency signs and minus signs.

    Digits inside a valid IBAN are skipped; quantities and phone-number fragments are still returned, so
    callers pick amounts by label and position, not by "any number in the line".
    """
    out: list[tuple[int, int, Decimal]] = []
    if not text:
        return out
    _scan(AMOUNT_PATTERN, text, 0, len(text), decimal_hint, out)
    if out and any(ch.isupper() for ch in text):
        ibans = find_ibans(text)
        if ibans:
            out = [a for a in out if not any(s <= a[0] < e for s, e, _ in ibans)]
    return out


@dataclass(frozen=True, slots=True)
class _LocaleFormat:
    group: str
    decimal: str
    symbol_first: bool
    symbol_gap: str  # between symbol and number
    indian: bool = False
    min_grouping: int = 1  # es_ES leaves 4-digit integers ungrouped (CLDR minimumGroupingDigits=2)
    minus_after_symbol: bool = False


_LOCALES: dict[str, _LocaleFormat] = {
    "en_US": _LocaleFormat(",", ".", True, ""),
    "en_GB": _LocaleFormat(",", ".", True, ""),
    "en_IN": _LocaleFormat(",", ".", True, "", indian=True),
    "de_DE": _LocaleFormat(".", ",", False, "\u00a0"),
    "de_AT": _LocaleFormat(".", ",", True, "\u00a0"),
    "de_CH": _LocaleFormat("'", ".", True, " ", minus_after_symbol=True),
    "fr_FR": _LocaleFormat("\u202f", ",", False, "\u00a0"),
    "fr_CH": _LocaleFormat("\u00a0", ",", False, "\u00a0"),
    "nl_NL": _LocaleFormat(".", ",", True, "\u00a0", minus_after_symbol=True),
    "nl_BE": _LocaleFormat(".", ",", False, "\u00a0"),
    "es_ES": _LocaleFormat(".", ",", False, "\u00a0", min_grouping=2),
    "it_IT": _LocaleFormat(".", ",", False, "\u00a0"),
}
_DEFAULT_FOR_LANGUAGE = {
    "en": "en_US", "de": "de_DE", "fr": "fr_FR", "nl": "nl_NL", "es": "es_ES", "it": "it_IT",
}
SUPPORTED_LOCALES: tuple[str, ...] = tuple(_LOCALES)


def locale_decimal_separator(locale: str) -> str:
    """The decimal mark format_amount uses for `locale` (what to pass back as decimal_hint)."""
    return _locale(locale).decimal


def _locale(locale: str) -> _LocaleFormat:
    key = locale.replace("-", "_")
    key = _DEFAULT_FOR_LANGUAGE.get(key, key)
    try:
        return _LOCALES[key]
    except KeyError:
        raise ValueError(f"unsupported locale {locale!r}; known: {', '.join(_LOCALES)}") from None


def _group(digits: str, fmt: _LocaleFormat) -> str:
    if len(digits) <= 3 or (fmt.min_grouping > 1 and len(digits) <= 3 + fmt.min_grouping - 1):
        return digits
    head, tail = digits[:-3], digits[-3:]
    size = 2 if fmt.indian else 3
    groups = []
    while len(head) > size:
        groups.insert(0, head[-size:])
        head = head[:-size]
    return fmt.group.join([head, *groups, tail])


def format_amount(value: Decimal, locale: str, symbol: str | None = None) -> str:
    """Render an amount the way `locale` prints it on an invoice (at least 2 decimals, more if present).

    Used for display on cards and to generate test data; parse_amount(format_amount(v, loc), hint) == v.
    """
    fmt = _locale(locale)
    if not value.is_finite():
        raise ValueError(f"cannot format {value!r}")
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = f"{abs(value):.{places}f}"
    int_digits, _, frac = text.partition(".")
    number = _group(int_digits, fmt) + fmt.decimal + frac
    minus = "-" if value < 0 else ""
    if not symbol:
        return minus + number
    gap = fmt.symbol_gap or ("\u00a0" if symbol[-1].isalpha() else "")
    if fmt.symbol_first:
        if fmt.minus_after_symbol:
            return f"{symbol}{gap}{minus}{number}"
        return f"{minus}{symbol}{gap}{number}"
    gap = fmt.symbol_gap or "\u00a0"
    return f"{minus}{number}{gap}{symbol}"
