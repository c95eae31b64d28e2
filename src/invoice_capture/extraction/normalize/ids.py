"""Bank and tax identifiers: IBAN, BIC, VAT ids.

These ids carry their own proof of validity (length tables, mod-97, check digits), far stronger than any
layout heuristic: a string that passes is almost surely what it looks like, and one that fails is usually an
OCR slip. Format checks are separate from checksums because sample/placeholder ids (DE123456789) are printed
on real documents and must still be captured; the checksum then only lowers confidence.
"""

from __future__ import annotations

import re


def _words(text: str) -> list[str]:
    return text.split()


# IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

ISO_3166_ALPHA2: frozenset[str] = frozenset(
    _words(
        """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
    IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK
    YE YT ZA ZM ZW
    """
    )
)

_IBAN_STRIP_RE = re.compile(r"[\s\-]+")
_IBAN_SHAPE_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}) ?([0-9]{2})")
_IBAN_SEPARATORS = frozenset(" \u00a0\u202f\u2009-")
_ALNUM_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def normalize_iban(s: str) -> str:
    """Compact upper-case IBAN: the form banks and master data compare on (whitespace and hyphens removed)."""
    return _IBAN_STRIP_RE.sub("", s or "").upper()


def group_iban(s: str) -> str:
    """An IBAN in groups of four, as people read and type it ("DE89 3704 0044 ...")."""
    compact = normalize_iban(s)
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _mod97(digits_and_letters: str) -> int:
    """ISO 7064 MOD 97-10 remainder with letters as 10..35, as used by IBAN and NL/BE VAT checks."""
    rem = 0
    for ch in digits_and_letters:
        value = ord(ch) - 48 if ch.isdigit() else ord(ch) - 55
        rem = (rem * 100 + value) % 97 if value > 9 else (rem * 10 + value) % 97
    return rem


def iban_valid(s: str) -> bool:
    """Country length and mod-97 check; catches nearly every OCR or typing error in an IBAN."""
    iban = normalize_iban(s)
    if not _IBAN_SHAPE_RE.fullmatch(iban):
        return False
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    return _mod97(iban[4:] + iban[:4]) == 1


def find_ibans(text: str) -> list[tuple[int, int, str]]:
    """Valid IBANs in a line, printed compact or in space-separated groups: (start, end, compact IBAN)."""
    out: list[tuple[int, int, str]] = []
    if not text:
        return out
    pos = 0
    n = len(text)
    while True:
        m = _IBAN_START_RE.search(text, pos)
        if not m:
            break
        pos = m.start() + 1
        length = IBAN_LENGTHS.get(m.group(1))
        if length is None:
            continue
        chars = [m.group(1), m.group(2)]
        count = 4
        i = m.end()
        end = i
        while count < length and i < n:
            ch = text[i]
            if ch in _ALNUM_UPPER:
                chars.append(ch)
                count += 1
                i += 1
                end = i
            elif ch in _IBAN_SEPARATORS and i + 1 < n and text[i + 1] in _ALNUM_UPPER and text[i - 1] != ch:
                i += 1
            else:
                break
        if count != length or (end < n and text[end].isalnum()):
            continue
        iban = "".join(chars)
        if _mod97(iban[4:] + iban[:4]) == 1:
            out.append((m.start(), end, iban))
            pos = end
    return out


_BIC_RE = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def bic_valid(s: str) -> bool:
    """BIC/SWIFT shape (8 or 11 chars) with a real ISO country in positions 5-6 (so INVOICES fails)."""
    bic = (s or "").strip().upper().replace(" ", "")
    m = _BIC_RE.fullmatch(bic)
    return bool(m) and m.group(1) in ISO_3166_ALPHA2


# Normalised VAT id shapes (EU VIES formats, plus GB, Northern Ireland XI, CH UID and NO org number).
_VAT_FORMATS: dict[str, re.Pattern[str]] = {
    code: re.compile(pattern)
    for code, pattern in {
        "AT": r"ATU\d{8}",
        "BE": r"BE[01]\d{9}",
        "BG": r"BG\d{9,10}",
        "CY": r"CY\d{8}[A-Z]",
        "CZ": r"CZ\d{8,10}",
        "DE": r"DE\d{9}",
        "DK": r"DK\d{8}",
        "EE": r"EE\d{9}",
        "EL": r"EL\d{9}",
        "ES": r"ES(?:[A-Z]\d{7}[A-Z0-9]|\d{8}[A-Z])",
        "FI": r"FI\d{8}",
        "FR": r"FR[0-9A-HJ-NP-Z]{2}\d{9}",
        "HR": r"HR\d{11}",
        "HU": r"HU\d{8}",
        "IE": r"IE(?:\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])",
        "IT": r"IT\d{11}",
        "LT": r"LT(?:\d{9}|\d{12})",
        "LU": r"LU\d{8}",
        "LV": r"LV\d{11}",
        "MT": r"MT\d{8}",
        "NL": r"NL\d{9}B\d{2}",
        "PL": r"PL\d{10}",
        "PT": r"PT\d{9}",
        "RO": r"RO[1-9]\d{1,9}",
        "SE": r"SE\d{10}01",
        "SI": r"SI[1-9]\d{7}",
        "SK": r"SK\d{10}",
        "XI": r"XI(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})",
        "GB": r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})",
        "CH": r"CHE\d{9}(?:MWST|TVA|IVA|TPV)?",
        "NO": r"NO\d{9}(?:MVA)?",
    }.items()
}
_VAT_STRIP_RE = re.compile(r"[\s.\-/]+")


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _check_de(n: str) -> bool:
    product = 10
    for ch in n[:8]:
        s = (int(ch) + product) % 10 or 10
        product = (2 * s) % 11
    check = 11 - product
    return (0 if check == 10 else check) == int(n[8])


def _check_at(n: str) -> bool:
    total = 0
    for i, ch in enumerate(n[:7]):
        d = int(ch)
        total += d if i % 2 == 0 else (2 * d) // 10 + (2 * d) % 10
    return (10 - (total + 4) % 10) % 10 == int(n[7])


def _check_mod11(n: str, weights: tuple[int, ...]) -> bool:
    """11 - (weighted sum mod 11) with 11 -> 0 and 10 invalid (CH UID, NO, PT, FI)."""
    check = 11 - _weighted(n, weights) % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(n[len(weights)])


def _check_pt(n: str) -> bool:
    check = 11 - _weighted(n, (9, 8, 7, 6, 5, 4, 3, 2)) % 11
    return (0 if check >= 10 else check) == int(n[8])


def _check_nl(n: str) -> bool:
    digits = n[:9]
    if _weighted(digits, (9, 8, 7, 6, 5, 4, 3, 2)) % 11 == int(digits[8]):
        return True
    return _mod97("NL" + n) == 1  # sole-proprietor btw-ids since 2020


def _check_gb(n: str) -> bool:
    if not n.isdigit():
        return True  # government departments / health authorities have no check digits
    total = _weighted(n[:7], (8, 7, 6, 5, 4, 3, 2)) + int(n[7:9])
    return total % 97 == 0 or (total + 55) % 97 == 0


def _check_fr(n: str) -> bool:
    key, siren = n[:2], n[2:]
    if not key.isdigit():
        return True  # alphanumeric keys use a different, rarely needed scheme
    return int(key) == (12 + 3 * (int(siren) % 97)) % 97


_CHECKSUMS = {
    "DE": _check_de,
    "AT": lambda n: _check_at(n[1:]),
    "BE": lambda n: 97 - int(n[:8]) % 97 == int(n[8:]),
    "IT": _luhn_ok,
    "NL": _check_nl,
    "FR": _check_fr,
    "GB": _check_gb,
    "XI": _check_gb,
    "CH": lambda n: _check_mod11(n[1:10], (5, 4, 3, 2, 7, 6, 5, 4)),
    "NO": lambda n: _check_mod11(n[:9], (3, 2, 7, 6, 5, 4, 3, 2)),
    "DK": lambda n: _weighted(n, (2, 7, 6, 5, 4, 3, 2, 1)) % 11 == 0,
    "FI": lambda n: _check_mod11(n, (7, 9, 10, 5, 8, 4, 2)),
    "PT": _check_pt,
    "PL": lambda n: _weighted(n, (6, 5, 7, 2, 3, 4, 5, 6, 7)) % 11 == int(n[9]),
    "LU": lambda n: int(n[:6]) % 89 == int(n[6:8]),
    "SE": lambda n: _luhn_ok(n[:10]),
}


def normalize_vat_id(s: str) -> str | None:
    """Canonical VAT id ("DE123456789", "CHE123456789", "EL..." for Greece) or None if the shape is wrong.

    Spaces, dots, hyphens and slashes are dropped; the Swiss MWST/TVA/IVA and Norwegian MVA suffixes are
    removed so one company always compares equal to itself.
    """
    v = _VAT_STRIP_RE.sub("", s or "").upper()
    if v.startswith("GR"):
        v = "EL" + v[2:]
    country = v[:2]
    fmt = _VAT_FORMATS.get(country)
    if fmt is None or not fmt.fullmatch(v):
        return None
    if country == "CH":
        return v[:12]
    if country == "NO":
        return v[:11]
    return v


def vat_id_checksum_ok(s: str) -> bool | None:
    """True/False where the country's check digit is known and cheap, None when it has none we verify."""
    v = normalize_vat_id(s)
    if v is None:
        return False
    check = _CHECKSUMS.get(v[:2])
    if check is None:
        return None
    return bool(check(v[2:]))


def vat_id_valid(s: str, *, checksum: bool = True) -> bool:
    """Country format rule, plus the check digit where one is known (pass checksum=False for shape only)."""
    if normalize_vat_id(s) is None:
        return False
    return not checksum or vat_id_checksum_ok(s) is not False


_VAT_PREFIX_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|GR|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI"
    r"|SK|XI|GB|CH|NO)(?=[ \u00a0.\-]?[0-9A-Z])"
)
_VAT_BODY_CHAR = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+*")
_VAT_BODY_SEPS = frozenset(" \u00a0.-/")


def find_vat_ids(text: str, *, checksum: bool = False) -> list[tuple[int, int, str]]:
    """VAT ids in a line, tolerant of spaces/dots inside: (start, end, normalised id).

    Shape only by default (printed placeholders and typo'd ids are still what the document says); pass
    checksum=True to keep only ids whose check digit verifies.
    """
    out: list[tuple[int, int, str]] = []
    if not text:
        return out
    n = len(text)
    pos = 0
    while True:
        m = _VAT_PREFIX_RE.search(text, pos)
        if not m:
            break
        pos = m.end()
        prefix = m.group()
        chars: list[str] = []
        ends: list[int] = []
        i = m.end()
        while i < n and len(chars) < 16:
            ch = text[i]
            if ch in _VAT_BODY_CHAR:
                chars.append(ch)
                ends.append(i + 1)
                i += 1
            elif ch in _VAT_BODY_SEPS and i + 1 < n and text[i + 1] in _VAT_BODY_CHAR:
                i += 1
            else:
                break
        for k in range(len(chars), 0, -1):
            end = ends[k - 1]
            if end < n and text[end].isalnum():
                continue
            norm = normalize_vat_id(prefix + "".join(chars[:k]))
            if norm is None or (checksum and vat_id_checksum_ok(norm) is False):
                continue
            out.append((m.start(), end, norm))
            pos = end
            break
    return out
