"""Dates as printed on invoices -> datetime.date.

Numeric dates are the hard part: "03/04/2025" is 3 April in Europe and March 4 in the US, and the token alone
cannot say which. parse_date never silently guesses: it uses the caller's document-level order (from
infer_date_order, which looks for a date that proves the order and otherwise at language/currency/country) and
flags the guess when there is none. Written months are read in en/de/fr/nl/es/it with or without accents.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date. `ambiguous` is a property of the printed token: both leading parts are <= 12 and differ,
    so its value depends on the day/month order (the one passed in, or DMY by default) and should only be
    trusted as far as that order is."""

    value: datetime.date
    ambiguous: bool
    order: str | None  # "DMY", "MDY", "YMD", or None for written months and ISO 8601 / YYYYMMDD


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in s if not unicodedata.combining(ch))


# Month names and abbreviations in en/de/fr/nl/es/it; accent-free spellings are derived automatically.
_MONTH_FORMS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "jänner", "jän", "janvier", "janv", "januari", "enero", "ene", "gennaio",
        "gen"),
    2: ("february", "feb", "februar", "feber", "février", "févr", "fév", "fevr", "februari", "febrero",
        "febbraio"),
    3: ("march", "mar", "märz", "maerz", "mär", "mrz", "mars", "maart", "mrt", "marzo"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mei", "mayo", "maggio", "mag"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "giu"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug"),
    8: ("august", "aug", "août", "augustus", "agosto", "ago"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "set", "settembre"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott"),
    11: ("november", "nov", "novembre", "noviembre"),
    12: ("december", "dec", "dezember", "dez", "décembre", "déc", "diciembre", "dic", "dicembre"),
}
_MONTHS: dict[str, int] = {}
for _month, _forms in _MONTH_FORMS.items():
    for _form in _forms:
        _MONTHS[_fold(_form)] = _month
_MONTH_SURFACES = {form for forms in _MONTH_FORMS.values() for form in forms} | set(_MONTHS)


def _trie_regex(words: set[str]) -> str:
    """Alternation of words as a prefix tree: the regex engine then rejects a non-month after one or two
    letters instead of trying ~150 alternatives at every position of every line."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return emit(trie)


_MONTH = "(?:" + _trie_regex(_MONTH_SURFACES) + r")\.?(?![^\W\d_])"
_ORD = r"(?:st|nd|rd|th|er|re|e|°|º|ª)?"
_SEP = r"(?:\s*[-/.,]\s*|\s+)"

# One alternation, so a line is scanned once; group names carry the form (w=written, n=numeric, i=ISO...).
_DATE_RE = re.compile(
    rf"""
    (?<![0-9])(?P<wd_d>[0-3]?[0-9]){_ORD}\.?(?:\s*(?:of|de)\s+|{_SEP}|)
        (?P<wd_m>{_MONTH})(?:(?:\s+del?\s+|{_SEP}|)(?P<wd_y>[0-9]{{4}})|\s*[-/.']\s*(?P<wd_y2>[0-9]{{2}}))(?![0-9])
  | (?<![^\W\d_])(?P<wm_m>{_MONTH}){_SEP}?(?P<wm_d>[0-3]?[0-9])(?:st|nd|rd|th)?(?:\s*,\s*|{_SEP})
        (?P<wm_y>[0-9]{{4}})(?![0-9])
  | (?<![0-9])(?P<wy_y>[0-9]{{4}}){_SEP}(?P<wy_m>{_MONTH}){_SEP}?(?P<wy_d>[0-3]?[0-9])(?![0-9])
  | (?<![0-9.,/\-])(?P<i_y>(?:19|20)[0-9]{{2}})(?P<i_sep>[-/.])(?P<i_m>[0-9]{{1,2}})(?P=i_sep)
        (?P<i_d>[0-9]{{1,2}})(?![0-9]|[.,/\-][0-9])
  | (?<![0-9.,/])(?P<n_a>[0-9]{{1,2}})(?P<n_sep>[./])[ ]?(?P<n_b>[0-9]{{1,2}})(?P=n_sep)[ ]?
        (?P<n_y>[0-9]{{4}}|[0-9]{{2}})(?![0-9]|[.,/][0-9])
  | (?<![0-9.,/\-])(?P<h_a>[0-9]{{1,2}})-(?P<h_b>[0-9]{{1,2}})-(?P<h_y>[0-9]{{4}}|[0-9]{{2}})
        (?![0-9]|[.,/\-][0-9])
  | (?<![0-9])(?P<c>(?:19|20)[0-9]{{6}})(?![0-9])
    """,
    re.IGNORECASE | re.VERBOSE,
)
# parse_date only: a single date token may also use spaces ("03 04 2025"), too risky to look for inside lines,
# and may carry a time ("2025-04-03T10:00:00Z", "03.04.2025 14:30 Uhr") that the date does not need.
_SPACED_RE = re.compile(r"(?P<n_a>[0-9]{1,2}) (?P<n_b>[0-9]{1,2}) (?P<n_y>[0-9]{4}|[0-9]{2})")
_TIME_SUFFIX_RE = re.compile(
    r"(?:T|,?\s+)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:Z|[+-][0-9]{2}:?[0-9]{2}|[AaPp]\.?[Mm]\.?|Uhr)?$"
)
_WEEKDAYS = _words(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun "
    "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag mo di mi do fr sa so "
    "lundi mardi mercredi jeudi vendredi samedi dimanche lun mer jeu ven sam dim "
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag "
    "lunes martes miércoles miercoles jueves viernes sábado sabado domingo "
    "lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi sabato domenica"
)
_PREFIX_RE = re.compile(
    r"^(?:(?:le|la|the|on|am|den|dem|vom|du|il|el|op|del|de|"
    + "|".join(re.escape(w) for w in sorted(set(_WEEKDAYS), key=len, reverse=True))
    + r")\.?,?\s+)+",
    re.IGNORECASE,
)


def _year(text: str) -> int:
    """Two-digit years: 00-69 -> 20xx, 70-99 -> 19xx (invoices are recent; archives go back decades)."""
    y = int(text)
    if len(text) == 2:
        return 2000 + y if y < 70 else 1900 + y
    return y


def _make(y: int, m: int, d: int) -> datetime.date | None:
    if not 1900 <= y <= 2100:
        return None
    try:
        return datetime.date(y, m, d)
    except ValueError:
        return None


def _numeric(a: int, b: int, y: int, order: str | None) -> ParsedDate | None:
    """Day/month for a numeric date: a part > 12 fixes the order; otherwise the caller's order, else DMY."""
    if a > 12 and b > 12:
        return None
    if a > 12:
        chosen, ambiguous = "DMY", False
    elif b > 12:
        chosen, ambiguous = "MDY", False
    else:
        chosen, ambiguous = (order if order in ("DMY", "MDY") else "DMY"), a != b
    day, month = (a, b) if chosen == "DMY" else (b, a)
    value = _make(y, month, day)
    return ParsedDate(value, ambiguous, chosen) if value else None


def _from_match(m: re.Match[str], order: str | None) -> ParsedDate | None:
    g = m.group
    if g("wd_m"):
        value = _make(_year(g("wd_y") or g("wd_y2")), _MONTHS[_fold(g("wd_m").rstrip("."))], int(g("wd_d")))
    elif g("wm_m"):
        value = _make(int(g("wm_y")), _MONTHS[_fold(g("wm_m").rstrip("."))], int(g("wm_d")))
    elif g("wy_m"):
        value = _make(int(g("wy_y")), _MONTHS[_fold(g("wy_m").rstrip("."))], int(g("wy_d")))
    elif g("i_y"):
        value = _make(int(g("i_y")), int(g("i_m")), int(g("i_d")))
        if value and g("i_sep") != "-":
            return ParsedDate(value, False, "YMD")
    elif g("c"):
        c = g("c")
        value = _make(int(c[:4]), int(c[4:6]), int(c[6:]))
    elif g("h_a"):
        return _numeric(int(g("h_a")), int(g("h_b")), _year(g("h_y")), order)
    else:
        return _numeric(int(g("n_a")), int(g("n_b")), _year(g("n_y")), order)
    return ParsedDate(value, False, None) if value else None


def parse_date(text: str, order: str | None = None) -> ParsedDate | None:
    """Parse one date string (numeric, ISO, YYYYMMDD, or written month); None if it is not a valid date.

    order ("DMY"/"MDY") settles numeric dates whose first two parts are both <= 12 (without it DMY is used);
    such dates always come back with ambiguous=True, so callers weigh them by how sure the order is. A part
    > 12 decides the order whatever `order` says (12/31/2025 -> MDY, ambiguous=False).
    """
    if not text:
        return None
    s = text.strip().rstrip(",;.")
    s = _PREFIX_RE.sub("", s, count=1) if s[:1].isalpha() else s
    if ":" in s:
        s = _TIME_SUFFIX_RE.sub("", s, count=1)
    m = _DATE_RE.fullmatch(s)
    if m:
        return _from_match(m, order)
    m = _SPACED_RE.fullmatch(s)
    if m:
        return _numeric(int(m.group("n_a")), int(m.group("n_b")), _year(m.group("n_y")), order)
    return None


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """Spans of valid date substrings in a line (numeric, ISO, compact and written-month forms)."""
    out: list[tuple[int, int, str]] = []
    if not text or not any(ch.isdigit() for ch in text):
        return out
    for m in _DATE_RE.finditer(text):
        if _from_match(m, None) is not None:
            out.append((m.start(), m.end(), m.group()))
    return out


_NUMERIC_DATE_RE = re.compile(
    r"(?<![0-9.,/\-])([0-9]{1,2})([./\- ])[ ]?([0-9]{1,2})\2[ ]?([0-9]{4}|[0-9]{2})(?![0-9]|[.,/\-][0-9])"
)
_MDY_COUNTRIES = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"})
_YMD_OR_MIXED_COUNTRIES = frozenset({"CA", "CN", "JP", "KR", "TW", "HU", "LT", "SE"})
_DMY_LANGUAGES = frozenset({"de", "fr", "nl", "es", "it"})
_DMY_CURRENCIES = frozenset(_words("EUR GBP INR CHF AUD NZD SEK NOK DKK PLN CZK HUF ZAR BRL MXN"))


def infer_date_order(
    raw_dates: Sequence[str],
    language: str | None = None,
    currency: str | None = None,
    country: str | None = None,
) -> tuple[str | None, float]:
    """Document-level "DMY"/"MDY" with a certainty in 0..1.

    A numeric date with a first part > 12 proves DMY, a second part > 12 proves MDY (1.0); conflicting proofs
    give the majority with lower certainty. Without proof: a US-style country -> MDY 0.7; a day-first
    country or a de/fr/nl/es/it text -> DMY 0.8; EUR/GBP/INR/CHF... -> DMY 0.8; English + USD -> MDY 0.7.
    """
    dmy = mdy = 0
    for raw in raw_dates:
        if not raw:
            continue
        for m in _NUMERIC_DATE_RE.finditer(raw):
            a, b, y = int(m.group(1)), int(m.group(3)), _year(m.group(4))
            if a > 12 and b <= 12 and _make(y, b, a):
                dmy += 1
            elif b > 12 and a <= 12 and _make(y, a, b):
                mdy += 1
    if dmy and not mdy:
        return "DMY", 1.0
    if mdy and not dmy:
        return "MDY", 1.0
    context, certainty = _order_from_context(language, currency, country)
    if dmy and mdy:
        if dmy != mdy:
            winner = "DMY" if dmy > mdy else "MDY"
            margin = abs(dmy - mdy) / (dmy + mdy)
            bonus = 0.1 if context == winner else 0.0
            return winner, round(min(0.9, 0.5 + 0.4 * margin + bonus), 3)
        return (context, round(certainty * 0.5, 3)) if context else (None, 0.0)
    return context, certainty


def _order_from_context(
    language: str | None, currency: str | None, country: str | None
) -> tuple[str | None, float]:
    language = (language or "").lower()[:2] or None
    currency = (currency or "").upper() or None
    country = (country or "").upper() or None
    if country in _MDY_COUNTRIES:
        return "MDY", 0.7
    if country and country not in _YMD_OR_MIXED_COUNTRIES:
        return "DMY", 0.8
    if language in _DMY_LANGUAGES:
        return "DMY", 0.8
    if currency in _DMY_CURRENCIES:
        return "DMY", 0.8
    if currency == "USD" and language in ("en", None):
        return "MDY", 0.7 if language == "en" else 0.6
    return None, 0.0
