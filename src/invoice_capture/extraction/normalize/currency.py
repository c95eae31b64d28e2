"""Currency and country evidence from invoice text.

Invoices rarely say "the currency is X" once and cleanly: they mix ISO codes, symbols, words and the
vendor's country. These helpers collect every hint with a strength, then vote, so one stray "$" in a footer
cannot outweigh "EUR" printed next to every amount. Nothing here defaults to USD without evidence: a wrong
currency is worse than a missing one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from .ids import find_ibans, find_vat_ids


def _words(text: str) -> list[str]:
    return text.split()


# Active ISO 4217 currency codes that can appear on a commercial invoice (precious metals, bond units,
# test/placeholder codes such as XXX/XTS and SDR are left out on purpose: "XXX" is a common text placeholder).
ISO_4217: frozenset[str] = frozenset(
    _words(
        """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
    MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD
    SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """
    )
)

# Codes withdrawn recently enough that archived invoices still print them (Croatia -> EUR 2023,
# Bulgaria -> EUR 2026, Antillean guilder -> XCG 2025, ...). Accepted as evidence, never produced by
# country lookup.
WITHDRAWN_CODES: frozenset[str] = frozenset(_words("HRK BGN ANG SLL VEF ZWL CUC LTL LVL EEK"))

# Codes that are also ordinary (upper-case) words. They only count as currency when a number sits right
# next to them ("ALL 12.00"); fund/unit codes never do (CHE is also the Swiss UID prefix).
_WORDLIKE_CODES = frozenset(
    _words("ALL TOP CUP MOP PEN BOB SOS TRY GEL MAD NAD BAM DOP LAK AMD CVE ERN WST SVC PAB")
)
_NEVER_DETECT = frozenset(_words("CHE CHW BOV CLF COU MXV USN UYI UYW"))

_DOLLAR_PREFIXES = {
    "US$": "USD", "U$S": "USD", "C$": "CAD", "CA$": "CAD", "CAD$": "CAD", "A$": "AUD", "AU$": "AUD",
    "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "SG$": "SGD", "MX$": "MXN", "R$": "BRL",
}
_SYMBOLS = {
    "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB", "₪": "ILS", "₫": "VND",
    "₱": "PHP", "฿": "THB", "₴": "UAH", "₦": "NGN", "元": "CNY", "円": "JPY",
}
# (regex, code, strength, needs a number next to it)
_WORDS: tuple[tuple[str, str, float, bool], ...] = (
    (r"zł", "PLN", 0.9, False),
    (r"Kč", "CZK", 0.9, False),
    (r"RMB", "CNY", 0.9, False),
    (r"SFr\.?", "CHF", 0.9, False),
    (r"Fr\.", "CHF", 0.8, True),
    (r"[Rr][Ss]\.?", "INR", 0.8, False),
    (r"[Kk][Rr]\.?", "kr", 0.5, True),
    (r"(?i:euros?)", "EUR", 0.6, False),
    (r"(?i:us[ -]dollars?)", "USD", 0.9, False),
    (r"(?i:dollars?)", "$", 0.6, False),
    (r"(?i:pounds? sterling|sterling)", "GBP", 0.6, False),
    (r"(?i:rupees?)", "INR", 0.6, False),
    (r"(?i:yen)", "JPY", 0.6, False),
    (r"(?i:schweizer franken|francs? suisses?|swiss francs?)", "CHF", 0.6, False),
)

_LETTER_BEFORE = r"(?<![^\W\d_])"
_LETTER_AFTER = r"(?![^\W\d_])"
_DOLLAR_ALT = "|".join(re.escape(p) for p in sorted(_DOLLAR_PREFIXES, key=len, reverse=True))
_CURRENCY_RE = re.compile(
    rf"{_LETTER_BEFORE}(?P<dollarx>{_DOLLAR_ALT})"
    r"|(?P<yen>(?:CN|JP)?¥)"
    r"|(?P<dollar>\$)"
    rf"|(?P<sym>[{''.join(_SYMBOLS)}])"
    + "".join(f"|{_LETTER_BEFORE}(?P<w{i}>{w[0]}){_LETTER_AFTER}" for i, w in enumerate(_WORDS))
    + rf"|{_LETTER_BEFORE}(?P<iso>[A-Z]{{3}}){_LETTER_AFTER}"
)
_CNY_HINT_RE = re.compile(r"RMB|元|\bCNY\b|人民币")
_DIGIT_AFTER_RE = re.compile(r"[ \t\u00a0\u202f]{0,2}[-−(]?[.,]?[0-9]")
_DIGIT_BEFORE_RE = re.compile(r"[0-9][.,\-–]{0,2}[ \t\u00a0\u202f]{0,2}$")


def _near_digit(text: str, start: int, end: int) -> bool:
    """A weak currency token only counts when it labels an adjacent number."""
    if _DIGIT_AFTER_RE.match(text, end):
        return True
    return bool(_DIGIT_BEFORE_RE.search(text[max(0, start - 5):start]))


def detect_currencies(text: str) -> list[tuple[str, int, int, float]]:
    """All currency evidence in `text` as (code, start, end, strength).

    code is an ISO 4217 code, or "$" / "kr" when the sign alone cannot tell which dollar/krone is meant
    (resolve_currency settles those with the country). Strength: ISO code 1.0, distinctive symbol 0.9,
    "Rs" 0.8, currency words 0.6, bare "$" 0.5.
    """
    out: list[tuple[str, int, int, float]] = []
    if not text:
        return out
    cny_context: bool | None = None
    for m in _CURRENCY_RE.finditer(text):
        kind = m.lastgroup
        tok = m.group()
        start, end = m.span()
        if kind == "iso":
            if tok in _NEVER_DETECT or (tok not in ISO_4217 and tok not in WITHDRAWN_CODES):
                continue
            if tok in _WORDLIKE_CODES and not _near_digit(text, start, end):
                continue
            out.append((tok, start, end, 1.0))
        elif kind == "dollarx":
            out.append((_DOLLAR_PREFIXES[tok], start, end, 0.9))
        elif kind == "dollar":
            out.append(("$", start, end, 0.5))
        elif kind == "yen":
            if tok.startswith("CN"):
                code = "CNY"
            elif tok.startswith("JP"):
                code = "JPY"
            else:
                if cny_context is None:
                    cny_context = bool(_CNY_HINT_RE.search(text))
                code = "CNY" if cny_context else "JPY"
            out.append((code, start, end, 0.9))
        elif kind == "sym":
            out.append((_SYMBOLS[tok], start, end, 0.9))
        elif kind and kind.startswith("w"):
            _, code, strength, needs_digit = _WORDS[int(kind[1:])]
            if needs_digit and not _near_digit(text, start, end):
                continue
            out.append((code, start, end, strength))
    return out


_EURO_COUNTRIES = frozenset(
    _words("AT BE HR CY EE FI FR DE GR IE IT LV LT LU MT NL PT SK SI ES BG AD MC SM VA ME XK")
)
_COUNTRY_CURRENCY: dict[str, str] = {
    **{c: "EUR" for c in _EURO_COUNTRIES},
    "CZ": "CZK", "DK": "DKK", "HU": "HUF", "PL": "PLN", "RO": "RON", "SE": "SEK",
    "IS": "ISK", "LI": "CHF", "NO": "NOK", "CH": "CHF", "GB": "GBP", "GG": "GBP", "JE": "GBP", "IM": "GBP",
    "US": "USD", "PR": "USD", "EC": "USD", "SV": "USD", "PA": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD",
    "IN": "INR", "JP": "JPY", "CN": "CNY", "HK": "HKD", "SG": "SGD", "MX": "MXN", "BR": "BRL", "ZA": "ZAR",
    "TR": "TRY", "RU": "RUB", "KR": "KRW", "IL": "ILS", "AE": "AED", "SA": "SAR", "TW": "TWD", "TH": "THB",
    "MY": "MYR", "ID": "IDR", "PH": "PHP", "VN": "VND", "PK": "PKR", "LK": "LKR", "NP": "NPR", "BD": "BDT",
    "UA": "UAH", "RS": "RSD", "AR": "ARS", "CL": "CLP", "CO": "COP", "PE": "PEN", "EG": "EGP", "NG": "NGN",
    "KE": "KES", "MA": "MAD", "FO": "DKK", "GL": "DKK",
}
# Currencies written with a bare "$" in their home country.
_DOLLAR_BY_COUNTRY = {c: _COUNTRY_CURRENCY[c] for c in _words("US PR EC SV PA CA AU NZ HK SG MX TW AR CL CO")}
_DOLLAR_CODES = frozenset(_DOLLAR_BY_COUNTRY.values()) | frozenset(_words("BBD BSD BZD BMD FJD JMD TTD XCD"))
_KRONA_BY_COUNTRY = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK", "FO": "DKK", "GL": "DKK"}
_KRONA_CODES = frozenset(_KRONA_BY_COUNTRY.values())


def currency_for_country(country_iso2: str) -> str | None:
    """Home currency of a country (ISO 3166 alpha-2); None when we do not know it."""
    if not country_iso2:
        return None
    return _COUNTRY_CURRENCY.get(country_iso2.strip().upper())


def resolve_currency(
    candidates: list[tuple[str, int, int, float]],
    country: str | None = None,
    language: str | None = None,
) -> tuple[str | None, float]:
    """Vote the document currency from detect_currencies() output; returns (code, confidence 0..1).

    "$" joins an explicit dollar code printed elsewhere, else the country's dollar, else USD capped at 0.7
    (0.6 when the text is not English); "kr" needs an explicit code or a Nordic country. With no code or
    symbol evidence the answer is (None, 0.0) whatever the country says.
    """
    country = country.upper() if country else None
    scores: dict[str, float] = defaultdict(float)
    best_strength: dict[str, float] = defaultdict(float)
    mentions: dict[str, int] = defaultdict(int)
    order: dict[str, int] = {}
    dollar = krona = 0.0
    dollar_n = krona_n = 0
    for code, start, _end, strength in candidates:
        if code == "$":
            dollar += strength
            dollar_n += 1
            continue
        if code == "kr":
            krona += strength
            krona_n += 1
            continue
        scores[code] += strength
        mentions[code] += 1
        best_strength[code] = max(best_strength[code], strength)
        order.setdefault(code, start)
    defaulted_usd = False
    for amount, count, codes, by_country, fallback in (
        (dollar, dollar_n, _DOLLAR_CODES, _DOLLAR_BY_COUNTRY, "USD"),
        (krona, krona_n, _KRONA_CODES, _KRONA_BY_COUNTRY, None),
    ):
        if not count:
            continue
        explicit = [c for c in scores if c in codes]
        if explicit:
            target: str | None = max(explicit, key=lambda c: scores[c])
            sign_strength = 0.0
        elif country in by_country:
            target, sign_strength = by_country[country], 0.85
        else:
            target, sign_strength = fallback, 0.7 if language in (None, "en") else 0.6
            defaulted_usd = target is not None
        if target is None:
            continue
        scores[target] += amount
        mentions[target] += count
        best_strength[target] = max(best_strength[target], sign_strength)
        order.setdefault(target, 1 << 30)
    if not scores:
        return None, 0.0
    home = currency_for_country(country) if country else None
    best = max(scores, key=lambda c: (scores[c], c == home, -order[c]))
    total = sum(scores.values())
    share = scores[best] / total
    strength = best_strength[best] + min(0.1, 0.05 * (mentions[best] - 1))
    confidence = min(1.0, strength) * (0.5 + 0.5 * share)
    if home == best:
        confidence = min(1.0, confidence + 0.05)
    if defaulted_usd and best == "USD" and best_strength["USD"] <= 0.7:
        confidence = min(confidence, 0.7 if language in (None, "en") else 0.6)
    return best, round(confidence, 3)


def _fold(s: str) -> str:
    """Case- and accent-insensitive key, so "ÖSTERREICH" and "Osterreich" meet."""
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in s if not unicodedata.combining(ch)).replace("’", "'")


# Country names in en/de/fr/nl/es/it. Accented forms are generated; unaccented spellings are listed when
# they are a real alternative (oe/ae transliterations).
_COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "DE": ("Germany", "Deutschland", "Bundesrepublik Deutschland", "Allemagne", "Duitsland", "Alemania",
           "Germania"),
    "AT": ("Austria", "Österreich", "Oesterreich", "Autriche", "Oostenrijk"),
    "CH": ("Switzerland", "Schweiz", "Suisse", "Zwitserland", "Suiza", "Svizzera", "Svizra"),
    "FR": ("France", "Frankreich", "Frankrijk", "Francia"),
    "BE": ("Belgium", "Belgien", "Belgique", "België", "Bélgica", "Belgio"),
    "NL": ("Netherlands", "The Netherlands", "Niederlande", "Pays-Bas", "Nederland", "Países Bajos",
           "Paesi Bassi", "Holland"),
    "LU": ("Luxembourg", "Luxemburg", "Luxemburgo", "Lussemburgo"),
    "IT": ("Italy", "Italien", "Italie", "Italië", "Italia"),
    "ES": ("Spain", "Spanien", "Espagne", "Spanje", "España", "Spagna"),
    "PT": ("Portugal", "Portogallo"),
    "IE": ("Ireland", "Irland", "Irlande", "Ierland", "Irlanda", "Éire"),
    "GB": ("United Kingdom", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland",
           "Vereinigtes Königreich", "Großbritannien", "Grossbritannien", "Royaume-Uni", "Grande-Bretagne",
           "Verenigd Koninkrijk", "Groot-Brittannië", "Reino Unido", "Regno Unito", "Gran Bretaña"),
    "US": ("United States", "United States of America", "Vereinigte Staaten", "États-Unis",
           "Verenigde Staten", "Estados Unidos", "Stati Uniti"),
    "CA": ("Canada", "Kanada"),
    "AU": ("Australia", "Australien", "Australie", "Australië"),
    "NZ": ("New Zealand", "Neuseeland", "Nouvelle-Zélande", "Nieuw-Zeeland", "Nueva Zelanda",
           "Nuova Zelanda"),
    "IN": ("India", "Indien", "Inde", "Bharat"),
    "JP": ("Japan", "Japon", "Japón", "Giappone"),
    "CN": ("China", "People's Republic of China", "Chine", "Cina"),
    "PL": ("Poland", "Polen", "Pologne", "Polonia"),
    "CZ": ("Czech Republic", "Czechia", "Tschechien", "Tschechische Republik", "République tchèque",
           "Tsjechië", "República Checa", "Chequia", "Repubblica Ceca"),
    "DK": ("Denmark", "Dänemark", "Danemark", "Denemarken", "Dinamarca", "Danimarca", "Danmark"),
    "SE": ("Sweden", "Schweden", "Suède", "Zweden", "Suecia", "Svezia", "Sverige"),
    "NO": ("Norway", "Norwegen", "Norvège", "Noorwegen", "Noruega", "Norvegia", "Norge"),
    "FI": ("Finland", "Finnland", "Finlande", "Finlandia", "Suomi"),
    "GR": ("Greece", "Griechenland", "Grèce", "Griekenland", "Grecia"),
    "HU": ("Hungary", "Ungarn", "Hongrie", "Hongarije", "Hungría", "Ungheria"),
    "RO": ("Romania", "Rumänien", "Roumanie", "Roemenië", "Rumania"),
    "SG": ("Singapore", "Singapur", "Singapour"),
    "MX": ("Mexico", "México", "Mexiko", "Mexique", "Messico"),
    "BR": ("Brazil", "Brasilien", "Brésil", "Brazilië", "Brasil", "Brasile"),
    "TR": ("Turkey", "Türkiye", "Türkei", "Turquie", "Turkije", "Turquía", "Turchia"),
    "HK": ("Hong Kong",),
}
_COUNTRY_BY_NAME: dict[str, str] = {}
for _iso, _names in _COUNTRY_NAMES.items():
    for _name in _names:
        _COUNTRY_BY_NAME[re.sub(r"[\s\-]+", " ", _fold(_name))] = _iso


def _name_pattern(name: str) -> str:
    """Literal name where spaces/hyphens may vary and accented letters may be printed without accents."""
    parts = []
    for ch in name:
        base = _fold(ch)
        if ch in " -":
            parts.append(r"[\s\-]+")
        elif ch == "'":
            parts.append("['’]")
        elif base != ch.casefold() and len(base) == 1:
            parts.append(f"[{re.escape(ch)}{base}]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


_COUNTRY_NAME_RE = re.compile(
    # "New Mexico"/"New South Wales"/"Northern Ireland" must not count as Mexico/Wales/Ireland.
    r"(?<![^\W\d_])(?<!New )(?<!South )(?<!Northern )(?:"
    + "|".join(_name_pattern(n) for n in sorted({n for ns in _COUNTRY_NAMES.values() for n in ns},
                                                  key=len, reverse=True))
    + r")(?![^\W\d_])",
    re.IGNORECASE,
)
_COUNTRY_ACRONYM_RE = re.compile(r"(?<![\w.])(USA|U\.S\.A\.|U\.S\.|UK|PRC|RSA|UAE)(?![\w])")
_ACRONYMS = {"USA": "US", "U.S.A.": "US", "U.S.": "US", "UK": "GB", "PRC": "CN", "RSA": "ZA", "UAE": "AE"}
_VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB", "CHE": "CH"}
_WS_RE = re.compile(r"[\s\-]+")


def country_from_text(text: str) -> str | None:
    """Most strongly evidenced country (ISO2) from names, VAT id prefixes and IBAN country codes.

    Postal codes are deliberately ignored: "10115" or "D-10115" is not enough on its own.
    """
    if not text:
        return None
    scores: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}

    def add(code: str, weight: float, pos: int) -> None:
        scores[code] += weight
        first.setdefault(code, pos)

    for m in _COUNTRY_NAME_RE.finditer(text):
        code = _COUNTRY_BY_NAME.get(_WS_RE.sub(" ", _fold(m.group())))
        if code:
            add(code, 1.0, m.start())
    for m in _COUNTRY_ACRONYM_RE.finditer(text):
        add(_ACRONYMS[m.group(1)], 1.0, m.start())
    for start, _end, vat in find_vat_ids(text):
        prefix = "CHE" if vat.startswith("CHE") else vat[:2]
        add(_VAT_PREFIX_COUNTRY.get(prefix, prefix), 1.0, start)
    for start, _end, iban in find_ibans(text):
        add(iban[:2], 0.8, start)
    if not scores:
        return None
    return max(scores, key=lambda c: (scores[c], -first[c]))
