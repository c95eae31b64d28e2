"""Synthetic invoices with known truth, for measuring and tuning the extractor beyond the small dev set.

Why this exists: the dev set (``../shared/data/invoices``) has a few dozen real documents, too few to tell
a general improvement from overfitting to them. This generator draws invoices from ten locales and eight
layouts, renders them as digital PDFs (with a text layer) or degrades them into scans/photos, and writes
``labels.jsonl`` in the dev set's format so that the same scorer runs on both.

Design choices that matter for honest measurement:

* **Labels come from what is drawn.** Every renderer marks the fields it prints (``Doc.mark``); a field
  that a layout does not show is not labelled, so a label is always recoverable from the page.
* **Arithmetic is exact** (``Decimal``, half-up cents): line amount = round(qty x price), SubTotal = sum
  of lines, tax per rate on the discounted base, InvoiceTotal = SubTotal - TotalDiscount + TotalTax,
  AmountDue = InvoiceTotal + PreviousUnpaidBalance.
* **Variety over prettiness**: one synonym per label is drawn per document, number/date/currency
  conventions vary within a locale, column orders vary, and distractors that trip real extractors are
  printed on purpose (delivery and order dates, carried-forward sums, phone and register numbers, a
  customer VAT id, a second copy of the total in the payment sentence, "received" stamps on scans).
* **Deterministic**: document ``i`` of seed ``s`` depends only on ``(s, i)``, so ``--n 12`` is a prefix
  of ``--n 100`` and reruns give identical bytes.

Label conventions beyond the dev set's: addresses are the printed lines (without the name) joined with
", "; VendorTaxId/CustomerTaxId are the ids as printed; PaymentDetails IBANs are given without spaces
(electronic format) even when printed in groups of four; with several tax rates and no "total tax" line,
TotalTax is the sum of the printed rate lines; an item Description joins its printed lines (including a
wrapped second line) with single spaces. Extra Azure fields are labelled when printed: CustomerTaxId,
ShippingAddress, ServiceStartDate/ServiceEndDate.

CLI::

    python bench/synth.py --out bench/out/synth --n 100 --seed 1 [--scans-fraction 0.4] \
        [--locales en_US,de_DE]
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import hashlib
import io
import json
import random
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pypdfium2 as pdfium
import reportlab
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

try:  # run as a script (bench/ on sys.path) or imported with bench/ on sys.path
    import synth_locales as l10n
except ModuleNotFoundError:  # imported as ``bench.synth`` from the repository root
    from bench import synth_locales as l10n

T = TypeVar("T")
CENT = Decimal("0.01")
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "synth"
LAYOUTS: tuple[str, ...] = ("classic", "meta_table", "stacked", "letter", "totals_table", "minimal",
                            "two_page", "band")
#: Field order of labels.jsonl (Azure prebuilt-invoice order, as in the extraction contract).
FIELD_ORDER: tuple[str, ...] = (
    "VendorName", "VendorAddress", "VendorTaxId", "CustomerName", "CustomerId", "CustomerAddress",
    "CustomerTaxId", "ShippingAddress", "InvoiceId", "InvoiceDate", "DueDate", "PurchaseOrder", "PaymentTerm",
    "ServiceStartDate", "ServiceEndDate", "SubTotal", "TotalDiscount", "TotalTax", "InvoiceTotal",
    "AmountDue", "PreviousUnpaidBalance", "CurrencyCode", "PaymentDetails",
)
ITEM_ORDER: tuple[str, ...] = ("Description", "Quantity", "Unit", "UnitPrice", "ProductCode", "TaxRate",
                               "Amount")


def cents(x: Decimal) -> Decimal:
    """Round to cents half-up, as invoicing software does (banker's rounding breaks real-world totals)."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def wchoice(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    """Pick from ``(value, weight)`` pairs."""
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


# ============================================================================================================
# Identifiers with real check digits (an extractor or a bank check that validates them must accept them)
# ============================================================================================================

IBAN_LENGTHS = {"DE": 22, "AT": 20, "CH": 21, "FR": 27, "NL": 18, "BE": 16, "ES": 24, "IT": 27, "GB": 22}


def _digits(rng: random.Random, n: int, first_nonzero: bool = False) -> str:
    s = "".join(str(rng.randrange(10)) for _ in range(n))
    if first_nonzero and s and s[0] == "0":
        s = str(rng.randrange(1, 10)) + s[1:]
    return s


def _iban_int(s: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in s))


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (BBAN + country + "00" as a number) mod 97."""
    return f"{98 - _iban_int(bban + country + '00') % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) has the right length for its country and passes mod-97."""
    s = iban.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit() or not s.isalnum():
        return False
    if IBAN_LENGTHS.get(s[:2], len(s)) != len(s):
        return False
    return _iban_int(s[4:] + s[:4]) % 97 == 1


def luhn_checksum(number: str) -> int:
    """Luhn sum mod 10 over all digits (rightmost digit not doubled)."""
    digits = [int(c) for c in reversed(number)]
    return (sum(digits[::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])) % 10


def luhn_check_digit(payload: str) -> str:
    return str((10 - luhn_checksum(payload + "0")) % 10)


def _es_dc(ten: str) -> str:
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    d = 11 - sum(int(c) * w for c, w in zip(ten, weights, strict=True)) % 11
    return str({11: 0, 10: 1}.get(d, d))


_IT_CIN_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21)


def _it_cin(digits22: str) -> str:
    s = sum(_IT_CIN_ODD[int(c)] if i % 2 == 0 else int(c) for i, c in enumerate(digits22))
    return chr(ord("A") + s % 26)


def make_iban(rng: random.Random, cc: str, bank: l10n.Bank) -> str:
    """A valid IBAN for ``cc`` at ``bank``, with the national check digits too where a country has them."""
    if cc == "DE":
        bban = bank.code + _digits(rng, 10)
    elif cc == "AT":
        bban = bank.code + _digits(rng, 11)
    elif cc == "CH":
        bban = bank.code + _digits(rng, 12)
    elif cc == "FR":
        branch, acct = _digits(rng, 5), _digits(rng, 11)
        key = 97 - (89 * int(bank.code) + 15 * int(branch) + 3 * int(acct)) % 97
        bban = f"{bank.code}{branch}{acct}{key:02d}"
    elif cc == "NL":
        bban = bank.code + _digits(rng, 10)
    elif cc == "BE":
        acct = _digits(rng, 7)
        chk = int(bank.code + acct) % 97 or 97
        bban = f"{bank.code}{acct}{chk:02d}"
    elif cc == "ES":
        branch, acct = _digits(rng, 4), _digits(rng, 10)
        bban = bank.code + branch + _es_dc("00" + bank.code + branch) + _es_dc(acct) + acct
    elif cc == "IT":
        cab, acct = _digits(rng, 5), _digits(rng, 12)
        bban = _it_cin(bank.code + cab + acct) + bank.code + cab + acct
    elif cc == "GB":
        sort = bank.code[4:] + _digits(rng, 6 - len(bank.code[4:]))
        bban = bank.code[:4] + sort + _digits(rng, 8)
    else:
        raise ValueError(f"no IBAN for {cc}")
    return cc + iban_check_digits(cc, bban) + bban


def group4(s: str) -> str:
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


@dataclass
class TaxIds:
    """A company's tax id as printed, plus the related register numbers printed in footers."""

    vat: str
    extra: dict[str, str] = field(default_factory=dict)


def make_tax_ids(rng: random.Random, cc: str) -> TaxIds:
    """VAT/UID/EIN with the country's real check-digit algorithm, printed in one of its usual spellings."""
    if cc == "DE":
        base = _digits(rng, 8, first_nonzero=True)
        product = 10
        for c in base:
            s = (int(c) + product) % 10 or 10
            product = (2 * s) % 11
        vat = f"DE{base}{(11 - product) % 10}"
        tax_no = f"{_digits(rng, 3)}/{_digits(rng, 3)}/{_digits(rng, 5)}"
        return TaxIds(vat, {"tax_number": tax_no, "register": f"HRB {_digits(rng, 5, True)}"})
    if cc == "AT":
        d7 = _digits(rng, 7)
        return TaxIds(f"ATU{d7}{(6 - luhn_checksum(d7)) % 10}", {"register": f"FN {_digits(rng, 6, True)}"
                                                                   f"{rng.choice('abdfghikmpstvwxyz')}"})
    if cc == "CH":
        while True:
            d8 = _digits(rng, 8, first_nonzero=True)
            c = (11 - sum(int(n) * w for n, w in zip(d8, (5, 4, 3, 2, 7, 6, 5, 4), strict=True)) % 11) % 11
            if c != 10:
                break
        d9 = d8 + str(c)
        return TaxIds(f"CHE-{d9[:3]}.{d9[3:6]}.{d9[6:]}")
    if cc == "FR":
        siren = (p := _digits(rng, 8, True)) + luhn_check_digit(p)
        key = (12 + 3 * (int(siren) % 97)) % 97
        spaced = f"FR {key:02d} {siren[:3]} {siren[3:6]} {siren[6:]}"
        vat = f"FR{key:02d}{siren}" if chance(rng, 0.7) else spaced
        siret = siren + (nic := _digits(rng, 4)) + luhn_check_digit(siren + nic)
        return TaxIds(vat, {"siren": siren, "siret": siret})
    if cc == "NL":
        while True:
            d8 = _digits(rng, 8, True)
            c = sum(int(n) * w for n, w in zip(d8, range(9, 1, -1), strict=True)) % 11
            if c != 10:
                break
        return TaxIds(f"NL{d8}{c}B{rng.choice(['01', '01', '02'])}", {"kvk": _digits(rng, 8, True)})
    if cc == "BE":
        base8 = rng.choice("01") + _digits(rng, 7)
        ten = f"{base8}{97 - int(base8) % 97:02d}"
        vat = f"BE{ten}" if chance(rng, 0.6) else f"BE {ten[:4]}.{ten[4:7]}.{ten[7:]}"
        return TaxIds(vat, {"enterprise": f"{ten[:4]}.{ten[4:7]}.{ten[7:]}"})
    if cc == "ES":
        letter, d7 = rng.choice("BBBA"), _digits(rng, 7)
        odd = sum(sum(divmod(2 * int(d7[i]), 10)) for i in range(0, 7, 2))
        even = sum(int(d7[i]) for i in range(1, 7, 2))
        cif = f"{letter}{d7}{(10 - (odd + even) % 10) % 10}"
        return TaxIds(f"ES{cif}" if chance(rng, 0.35) else cif,
                      {"register": f"Tomo {rng.randint(1000, 40000)}, Folio {rng.randint(1, 220)}, "
                                   f"Hoja {rng.choice('MBVS')}-{_digits(rng, 6, True)}"})
    if cc == "IT":
        d10 = _digits(rng, 7) + f"{rng.randint(1, 100):03d}"
        piva = d10 + luhn_check_digit(d10)
        return TaxIds(f"IT{piva}" if chance(rng, 0.5) else piva, {"rea": f"{_digits(rng, 7, True)}"})
    if cc == "GB":
        d7 = _digits(rng, 7, True)
        chk = (-sum(int(n) * w for n, w in zip(d7, range(8, 1, -1), strict=True))) % 97
        d9 = f"{d7}{chk:02d}"
        vat = f"GB{d9}" if chance(rng, 0.6) else f"GB {d9[:3]} {d9[3:7]} {d9[7:]}"
        return TaxIds(vat, {"company_no": _digits(rng, 8)})
    if cc == "US":
        prefix = rng.choice((10, 12, 20, 22, 27, 33, 45, 46, 47, 52, 81, 84, 93))
        return TaxIds(f"{prefix}-{_digits(rng, 7)}")
    raise ValueError(cc)


# ============================================================================================================
# Formatting: numbers, money, dates, rates the way the vendor's locale (and this document) prints them
# ============================================================================================================


@dataclass
class Fmt:
    """One document's printing conventions, drawn once so the document is internally consistent."""

    lang: str
    dec: str
    grp: str
    group4: bool
    currency: str
    symbol: str
    cur_pattern: str
    date_pattern: str
    rate_pattern: str
    neg_pattern: str
    months: tuple[str, ...]
    months_abbr: tuple[str, ...]
    qty_places: int  # 0: minimal decimals, 2: always two

    def num(self, d: Decimal, places: int = 2) -> str:
        q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places else d
        sign = "-" if q < 0 else ""
        ip, _, fp = f"{abs(q):f}".partition(".")
        if self.grp and (len(ip) > 4 or (len(ip) == 4 and self.group4)):
            head = len(ip) % 3 or 3
            ip = self.grp.join([ip[:head]] + [ip[i:i + 3] for i in range(head, len(ip), 3)])
        return sign + ip + (self.dec + fp if fp else "")

    def money(self, d: Decimal, cur: bool = True, places: int = 2, negative: bool = False) -> str:
        v = self.num(abs(d), places)
        if cur:
            v = self.cur_pattern.format(v=v, s=self.symbol, c=self.currency)
        if negative or d < 0:
            v = self.neg_pattern.format(v=v)
        return v

    def qty(self, q: Decimal) -> str:
        if self.qty_places == 2:
            return self.num(q, 2)
        return self.num(q.normalize() if q != q.to_integral() else q.quantize(Decimal(1)), 0)

    def rate(self, r: Decimal) -> str:
        r1 = f"{r.normalize():f}".replace(".", self.dec)
        r2 = self.num(r, 2)
        return self.rate_pattern.format(r=r1, r2=r2)

    def date(self, d: dt.date) -> str:
        day = d.day
        suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return self.date_pattern.format(
            d=day, dd=f"{day:02d}", m=d.month, mm=f"{d.month:02d}", yyyy=d.year, yy=f"{d.year % 100:02d}",
            month=self.months[d.month - 1], mon=self.months_abbr[d.month - 1], dth=f"{day}{suffix}",
            d1er="1er" if day == 1 else str(day),
        )


def make_fmt(rng: random.Random, loc: l10n.LocaleSpec, currency: str, nnbsp_ok: bool) -> Fmt:
    grp_options = [(g, w) for g, w in loc.group_seps if nnbsp_ok or g != "\u202f"]
    grp = wchoice(rng, grp_options)
    months, abbr = list(l10n.MONTHS[loc.language]), list(l10n.MONTHS_ABBR[loc.language])
    overrides: dict[int, tuple[str, str]] = loc.extra.get("months_override", {})  # type: ignore[assignment]
    for month_no, (full, short) in overrides.items():
        months[month_no - 1], abbr[month_no - 1] = full, short
    patterns = loc.currency_patterns
    symbol = l10n.CURRENCY_SYMBOLS[currency]
    if currency != loc.currencies[0][0]:  # a foreign currency is usually printed with its code
        patterns = (("{c} {v}", 2.0), ("{v} {c}", 1.0))
        if currency in ("EUR", "GBP") and loc.decimal_sep == ".":
            patterns = (("{s}{v}", 2.0), ("{c} {v}", 1.0))
    cur_pattern = wchoice(rng, patterns)
    return Fmt(
        lang=loc.language, dec=loc.decimal_sep, grp=grp, group4=not chance(rng, loc.ungrouped_4digit),
        currency=currency, symbol=symbol, cur_pattern=cur_pattern,
        date_pattern=wchoice(rng, loc.date_formats),
        rate_pattern=wchoice(rng, loc.rate_formats), neg_pattern=wchoice(rng, loc.neg_patterns),
        months=tuple(months), months_abbr=tuple(abbr), qty_places=2 if chance(rng, 0.25) else 0,
    )


# ============================================================================================================
# The invoice (truth), independent of how it is drawn
# ============================================================================================================


@dataclass
class Party:
    """A vendor or customer: printed name, printed address lines (without the name) and contact details."""

    name: str
    lines: list[str]
    country_line: str | None = None
    tax: TaxIds | None = None
    phone: str | None = None
    email: str | None = None
    web: str | None = None
    attn: str | None = None
    person: bool = False

    @property
    def address_lines(self) -> list[str]:
        return self.lines + ([self.country_line] if self.country_line else [])

    @property
    def address(self) -> str:
        return ", ".join(self.address_lines)


@dataclass
class Item:
    desc: str
    detail: str | None
    code: str
    qty: Decimal
    unit: str
    price: Decimal
    price_places: int
    rate: Decimal
    amount: Decimal


@dataclass
class TaxGroup:
    rate: Decimal
    base: Decimal  # net before the document discount
    discount: Decimal
    tax: Decimal

    @property
    def taxable(self) -> Decimal:
        return self.base - self.discount


@dataclass
class Invoice:
    """Everything that is true about one invoice; rendering decides what of it is shown."""

    locale: str
    lang: str
    cc: str
    currency: str
    vendor: Party
    customer: Party
    ship_to: Party | None
    invoice_id: str
    customer_id: str | None
    po: str | None
    our_ref: str
    contact: str
    invoice_date: dt.date
    due_date: dt.date
    term_text: str
    delivery_date: dt.date
    order_date: dt.date
    period: tuple[dt.date, dt.date]
    items: list[Item]
    groups: list[TaxGroup]
    subtotal: Decimal
    discount: Decimal
    discount_pct: Decimal | None
    tax_total: Decimal
    total: Decimal
    prev_balance: Decimal | None
    amount_due: Decimal
    bank: l10n.Bank
    iban: str | None
    bic: str
    us_account: str | None
    reverse_charge: bool
    small_business: bool
    no_tax_line: bool
    manager: str


def _slug(text: str) -> str:
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", text))[:24].strip("-") or "info"


def _pattern(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if c == "@"
                   else c for c in pattern)


def _surnames(locale: str, lang: str) -> tuple[str, ...]:
    return l10n.SURNAMES_LOCALE.get(locale, ()) + l10n.SURNAMES[lang]


def make_company_name(rng: random.Random, locale: str, lang: str, cc: str) -> tuple[str, str]:
    """(full legal name, short brand used by logos and e-mail domains)."""
    form = wchoice(rng, l10n.LEGAL_FORMS[cc])
    s1, s2 = rng.sample(_surnames(locale, lang), 2)
    word = rng.choice(l10n.BUSINESS_WORDS[lang])
    r = rng.random()
    if r < 0.35:
        core, brand = (f"{word} {s1}" if l10n.BUSINESS_WORD_FIRST[lang] else f"{s1} {word}"), s1
    elif r < 0.55:
        core = f"{s1} {rng.choice(l10n.FAMILY_SUFFIX[lang])}" if chance(rng, 0.5) else f"{s1} & {s2}"
        brand = s1
    elif r < 0.85:
        brand = rng.choice(l10n.BRAND_PREFIX) + rng.choice(l10n.BRAND_SUFFIX)
        core = brand if chance(rng, 0.4) else f"{brand} {word}"
    else:
        city = rng.choice(l10n.CITIES[cc])[1]
        core = f"{word} {city}" if l10n.BUSINESS_WORD_FIRST[lang] else f"{city} {word}"
        brand = city
    if cc == "DE" and form == "e.K." and chance(rng, 0.5):
        core = f"{rng.choice(l10n.FIRST_NAMES['de'])} {s1} {word}"
    return f"{core} {form}", brand


def make_address(rng: random.Random, cc: str) -> list[str]:
    """Street and city lines in the country's postal format."""
    city = rng.choice(l10n.CITIES[cc])
    street = rng.choice(l10n.STREETS[cc])
    num = rng.choice([rng.randint(1, 40), rng.randint(1, 199)])
    if cc == "US":
        first = f"{rng.randint(100, 9999)} {street}"
        lines = [first]
        if chance(rng, 0.35):
            suite = rng.choice(["Suite {n}", "Ste {n}", "Unit {n}", "Floor {f}"]).format(
                n=rng.randint(100, 950), f=rng.randint(2, 30))
            if chance(rng, 0.5):
                lines[0] = f"{first}, {suite}"
            else:
                lines.append(suite)
        return [*lines, f"{city[1]}, {city[2]} {city[0]}"]
    if cc == "GB":
        lines = [f"{num} {street}"]
        if chance(rng, 0.25):
            lines.insert(0, f"Unit {rng.randint(1, 30)}, {rng.choice(['Riverside', 'Meadow', 'Enterprise'])} "
                            f"Business Park")
        return [*lines, city[1], city[0]] if chance(rng, 0.6) else [*lines, f"{city[1]} {city[0]}"]
    if cc in ("DE", "AT", "CH"):
        if cc == "DE" and street.endswith("straße") and chance(rng, 0.3):
            street = street[:-6] + "str."
        house = f"{num}{rng.choice('abc')}" if chance(rng, 0.1) else str(num)
        if cc == "AT" and chance(rng, 0.3):
            house = f"{num}/{rng.randint(1, 9)}/{rng.randint(1, 20)}"
        return [f"{street} {house}", f"{city[0]} {city[1]}"]
    if cc == "FR":
        lines = [f"{num}{' bis' if chance(rng, 0.08) else ''} {street}"]
        if chance(rng, 0.15):
            lines.append(f"{rng.choice(['CS', 'BP'])} {rng.randint(10, 99999)}")
        cedex = " Cedex" if chance(rng, 0.08) else ""
        return [*lines, f"{city[0]} {city[1]}{cedex}"]
    if cc in ("NL", "BE"):
        house = f"{num}{rng.choice(['a', 'b', '-1', ' A'])}" if chance(rng, 0.15) else str(num)
        town = f"{city[0]}  {city[1].upper()}" if cc == "NL" and chance(rng, 0.2) else f"{city[0]} {city[1]}"
        return [f"{street} {house}", town]
    if cc == "ES":
        abbreviate = street.startswith("Calle ") and chance(rng, 0.3)  # "C/ Mayor 12"
        first = f"C/ {street.removeprefix('Calle ')} {num}" if abbreviate else f"{street}, {num}"
        if chance(rng, 0.4):
            first += f", {rng.randint(1, 9)}º {rng.choice('ABCD')}"
        prov = f" ({city[1]})" if chance(rng, 0.3) else ""
        return [first, f"{city[0]} {city[1]}{prov}"]
    if cc == "IT":
        first = f"{street}, {num}" if chance(rng, 0.7) else f"{street} {num}"
        return [first, f"{city[0]} {city[1]} ({city[2]})"]
    raise ValueError(cc)


MAILBOXES = {"en": ("info", "billing", "invoices", "accounts", "office"),
             "de": ("info", "buchhaltung", "rechnung", "kontakt", "office"),
             "fr": ("contact", "compta", "facturation", "info"), "nl": ("info", "administratie", "facturen"),
             "es": ("info", "facturacion", "administracion", "contacto"),
             "it": ("info", "amministrazione", "fatture", "contabilita")}


def make_party(rng: random.Random, locale: str, lang: str, cc: str, doc_lang: str, *, home_cc: str,
               person: bool = False) -> Party:
    """A company (or a private person) of country ``cc`` as printed on a document in ``doc_lang``."""
    if person:
        name = f"{rng.choice(l10n.FIRST_NAMES[lang])} {rng.choice(_surnames(locale, lang))}"
        brand = name.split()[-1]
    else:
        name, brand = make_company_name(rng, locale, lang, cc)
    country_line = None
    if cc != home_cc or chance(rng, 0.08):
        country_line = l10n.COUNTRY_NAMES[doc_lang][cc]
        if chance(rng, 0.3):
            country_line = country_line.upper()
    domain = f"{_slug(brand)}.{l10n.TLD[cc]}"
    return Party(
        name=name, lines=make_address(rng, cc), country_line=country_line,
        tax=None if person else make_tax_ids(rng, cc),
        phone=_pattern(rng, rng.choice(l10n.PHONES[cc])),
        email=f"{rng.choice(MAILBOXES[lang])}@{domain}",
        web=f"www.{domain}", person=person,
    )


def _id_from(rng: random.Random, styles: Sequence[str], d: dt.date, prefix: str) -> str:
    style = rng.choice(styles)
    n = rng.randint(1, 99999)
    return style.format(P=prefix, yyyy=d.year, yy=f"{d.year % 100:02d}", mm=f"{d.month:02d}",
                        n3=f"{n % 1000:03d}",
                        n4=f"{n % 10000:04d}", n5=f"{n:05d}", n6=f"{rng.randint(1, 999999):06d}",
                        n7=f"{rng.randint(1, 9999999):07d}", n=n)


#: Which second-line templates (indexes into ``l10n.DETAILS``) suit which unit kind: a serial number for a
#: device, a service period for hours or months, a delivery date for goods.
DETAIL_KINDS = {"pc": (1, 2, 3, 4, 7), "h": (0, 1, 5, 6), "day": (0, 1, 5, 6), "month": (0, 1), "kg": (1, 4),
                "l": (1, 4), "m": (1, 4), "m2": (1, 4), "flat": (1, 3, 5), "lic": (0, 1, 3)}
ID_PREFIX = {"en": ("INV", "IN", "SI"), "de": ("RE", "R", "RG"), "fr": ("FA", "FAC", "F"),
             "nl": ("F", "FAC", "INV"),
             "es": ("FAC", "FV", "F"), "it": ("FT", "FV", "F")}
INVOICE_ID_STYLES = ("{P}-{yyyy}-{n5}", "{yyyy}{n4}", "{P}-{yy}{n5}", "{P}{yyyy}-{n4}", "{n6}",
                     "{P}{yy}/{n4}",
                     "{n3}/{yyyy}", "{P}-{n5}", "{P}{n6}", "{P}/{yyyy}/{mm}/{n4}", "{yyyy}-{n4}", "{n5}",
                     "{P}{n7}")
PO_STYLES = ("PO-{n5}", "4500{n6}", "{n6}", "B-{yy}-{n4}", "ORD-{n5}", "PO{n6}", "{yyyy}/{n4}", "{n5}-{n3}")
CUSTOMER_ID_STYLES = ("C{n5}", "{n5}", "KD-{n5}", "10{n4}", "CUST-{n4}", "D{n5}", "{n6}")
CODE_STYLES = ("ART-#####", "######", "@@-####", "SKU#####", "####-###", "40#########", "@###-##", "P#####")


def _qty(rng: random.Random, kind: str, price_hi: float) -> Decimal:
    if kind == "pc":
        choices = [1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 20, 24]
        if price_hi < 15:
            choices += [25, 50, 100, 200, 500]
        return Decimal(rng.choice(choices))
    if kind == "h":
        return Decimal(rng.randint(1, 80)) / (4 if chance(rng, 0.15) else 2)
    if kind == "day":
        return Decimal(rng.randint(1, 20)) / 2
    if kind == "month":
        return Decimal(rng.choice([1, 1, 1, 2, 3, 6, 12]))
    if kind == "kg":
        return Decimal(rng.randint(1, 60)) if chance(rng, 0.5) else Decimal(rng.randint(50, 6000)) / 100
    if kind == "l":
        return Decimal(rng.randint(1, 80)) / (2 if chance(rng, 0.3) else 1)
    if kind == "m":
        return Decimal(rng.randint(5, 300)) if chance(rng, 0.6) else Decimal(rng.randint(10, 900)) / 10
    if kind == "m2":
        return Decimal(rng.randint(4, 250)) if chance(rng, 0.5) else Decimal(rng.randint(400, 25000)) / 100
    if kind == "lic":
        return Decimal(rng.choice([1, 1, 2, 5, 10, 25, 50]))
    return Decimal(1)  # flat


def _price(rng: random.Random, lo: float, hi: float) -> tuple[Decimal, int]:
    x = rng.uniform(lo, hi)
    r = rng.random()
    if hi < 5 and r < 0.15:
        return Decimal(f"{x:.3f}"), 3
    if r < 0.35:
        return Decimal(round(x)).quantize(CENT) if x >= 1 else Decimal(f"{x:.2f}"), 2
    if r < 0.5 and x > 1:
        return Decimal(int(x)) + Decimal(rng.choice(["0.90", "0.95", "0.99", "0.50"])), 2
    return Decimal(f"{x:.2f}"), 2


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


#: Most invoices have a handful of lines; a long tail goes up to 25.
ITEM_COUNT_WEIGHTS: tuple[tuple[int, float], ...] = (
    (1, 10), (2, 12), (3, 12), (4, 11), (5, 9), (6, 8), (7, 6), (8, 6), (9, 4), (10, 4), (11, 3), (12, 3),
    (13, 2), (14, 2), (15, 2), (16, 1.5), (17, 1), (18, 1), (19, 1), (20, 1), (21, 0.7), (22, 0.7),
    (23, 0.5), (24, 0.5), (25, 0.5),
)


def make_invoice(rng: random.Random, locale: str, layout: str) -> Invoice:
    """Draw the truth of one invoice: parties, ids, dates, items and exact totals."""
    loc = l10n.LOCALES[locale]
    lang, cc = loc.language, loc.country
    currency = wchoice(rng, loc.currencies)
    vendor = make_party(rng, locale, lang, cc, lang, home_cc=cc)
    vendor.country_line = None if chance(rng, 0.85) else l10n.COUNTRY_NAMES[lang][cc]
    if cc == "US" and chance(rng, 0.7):  # US invoices rarely print the vendor's EIN
        vendor.tax = None

    person = chance(rng, 0.12)
    cross = cc != "US" and not person and chance(rng, 0.12)
    ccc = rng.choice(l10n.NEIGHBOURS[cc]) if cross else cc
    cust_locale = next((c for c, s in l10n.LOCALES.items() if s.country == ccc), locale)
    customer = make_party(rng, cust_locale, l10n.LOCALES[cust_locale].language, ccc, lang, home_cc=cc,
                          person=person)
    labels = l10n.labels_for(locale)
    if not person and chance(rng, 0.3):
        who = f"{rng.choice(l10n.FIRST_NAMES[lang])} {rng.choice(_surnames(cust_locale, lang))}"
        dept = {"en": "Accounts Payable", "de": "Buchhaltung", "fr": "Service comptabilité",
                "nl": "Crediteurenadministratie", "es": "Dpto. Contabilidad",
                "it": "Ufficio amministrazione"}[lang]
        customer.attn = rng.choice(labels["attn"]) + " " + (dept if chance(rng, 0.4) else who)
    ship_to = None
    if not person and chance(rng, 0.12):
        ship_to = Party(name=customer.name, lines=make_address(rng, ccc), country_line=customer.country_line)

    invoice_date = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2737))
    template, day_choices, eom = rng.choice(l10n.TERMS[lang])
    days = rng.choice(day_choices)
    term_text = template.format(days=days)
    due = invoice_date + dt.timedelta(days=days)
    if eom:
        due = dt.date(due.year, due.month, calendar.monthrange(due.year, due.month)[1])
    first_of_month = dt.date(invoice_date.year, invoice_date.month, 1)
    prev_start = _add_months(first_of_month, -1)
    period = (prev_start, first_of_month - dt.timedelta(days=1))

    # items
    n_items = rng.randint(16, 25) if layout == "two_page" else wchoice(rng, ITEM_COUNT_WEIGHTS)
    rates = list(loc.tax_rates)
    small_business = locale == "de_DE" and chance(rng, 0.05)
    reverse_charge = cross and cc != "CH" and ccc != "CH" and not person
    us_taxed = cc == "US" and chance(rng, 0.65)
    two_rates = cc not in ("US",) and not small_business and not reverse_charge and len(rates) > 1 \
        and chance(rng, 0.22)
    std = Decimal(0) if small_business or reverse_charge or (cc == "US" and not us_taxed) \
        else (rng.choice(rates) if cc == "US" else rates[0] if not chance(rng, 0.06) else rng.choice(rates))
    reduced = rng.choice(rates[1:]) if two_rates else std
    if cc == "GB" and std == 0 and not reverse_charge:
        std = Decimal(20)
    code_style = rng.choice(CODE_STYLES)
    cat = list(l10n.CATALOGUE)
    picks = rng.sample(cat, min(n_items, len(cat))) + [rng.choice(cat) for _ in range(n_items - len(cat))]
    items: list[Item] = []
    for k, entry in enumerate(picks):
        qty = _qty(rng, entry.unit_kind, entry.price_hi)
        price, places = _price(rng, entry.price_lo, entry.price_hi)
        amount = cents(qty * price)
        if amount <= 0:
            price, places, amount = Decimal("1.00"), 2, cents(qty)
        detail = None
        if chance(rng, 0.2):
            tmpl = l10n.DETAILS[lang][rng.choice(DETAIL_KINDS[entry.unit_kind])]
            ref = f"{rng.choice(['Q', 'AN', 'OF'])}-{_digits(rng, 5)}"
            detail = tmpl.format(period="{period}", ref=ref, sn=_pattern(rng, "@@######"), date="{date}",
                                 project=_pattern(rng, "P-####-##"))
        rate = reduced if two_rates and (k % 3 == 1 or chance(rng, 0.2)) else std
        items.append(Item(desc=entry.names[lang], detail=detail, code=_pattern(rng, code_style), qty=qty,
                          unit=rng.choice(l10n.UNITS[entry.unit_kind][lang]), price=price,
                          price_places=places,
                          rate=rate, amount=amount))
    if two_rates and len({it.rate for it in items}) < 2:
        if len(items) == 1:
            two_rates, reduced = False, std
            items[0].rate = std
        else:
            items[-1].rate = reduced if items[0].rate == std else std

    subtotal = sum((it.amount for it in items), Decimal(0))
    discount, pct = Decimal(0), None
    if chance(rng, 0.15) and subtotal > 20:
        if chance(rng, 0.6):
            pct = Decimal(rng.choice([2, 3, 5, 5, 10, 10, 15]))
            discount = cents(subtotal * pct / 100)
        else:
            discount = cents(subtotal * Decimal(rng.uniform(0.01, 0.12)))
            discount = Decimal(int(discount)) if discount >= 10 else discount
        discount = max(discount, CENT)
    # tax per rate on the discounted base; the discount is allocated pro rata, the last group takes the rest
    bases: dict[Decimal, Decimal] = {}
    for it in items:
        bases[it.rate] = bases.get(it.rate, Decimal(0)) + it.amount
    groups: list[TaxGroup] = []
    left = discount
    for idx, (rate, base) in enumerate(sorted(bases.items(), key=lambda kv: -kv[0])):
        share = left if idx == len(bases) - 1 else cents(discount * base / subtotal)
        left -= share
        groups.append(TaxGroup(rate=rate, base=base, discount=share, tax=cents((base - share) * rate / 100)))
    tax_total = sum((g.tax for g in groups), Decimal(0))
    total = subtotal - discount + tax_total
    prev = None
    if chance(rng, 0.1):
        prev = cents(Decimal(rng.uniform(20, 3000)))
    amount_due = total + (prev or Decimal(0))

    bank = rng.choice(l10n.BANKS[cc])
    iban = None if cc == "US" else make_iban(rng, cc, bank)
    ref_date = invoice_date - dt.timedelta(days=rng.randint(0, 10))
    id_prefix = rng.choice(ID_PREFIX[lang])
    return Invoice(
        locale=locale, lang=lang, cc=cc, currency=currency, vendor=vendor, customer=customer, ship_to=ship_to,
        invoice_id=_id_from(rng, INVOICE_ID_STYLES, invoice_date, id_prefix),
        customer_id=_id_from(rng, CUSTOMER_ID_STYLES, invoice_date, ""),
        po=None if person else _id_from(rng, PO_STYLES, invoice_date, ""),
        our_ref=_id_from(rng, ("{n6}", "LS-{n5}", "AB{yy}{n4}", "{P}-{n5}", "DN{n5}"), invoice_date,
                         rng.choice(["SO", "LS", "BL", "DDT", "ALB"])),
        contact=f"{rng.choice(l10n.FIRST_NAMES[lang])} {rng.choice(_surnames(locale, lang))}",
        invoice_date=invoice_date, due_date=due, term_text=term_text, delivery_date=ref_date,
        order_date=invoice_date - dt.timedelta(days=rng.randint(3, 40)), period=period,
        items=items, groups=groups, subtotal=subtotal, discount=discount, discount_pct=pct,
        tax_total=tax_total,
        total=total, prev_balance=prev, amount_due=amount_due, bank=bank, iban=iban, bic=bank.bic,
        us_account=_digits(rng, rng.randint(9, 12), True) if cc == "US" else None,
        reverse_charge=reverse_charge, small_business=small_business,
        no_tax_line=small_business or (cc == "US" and not us_taxed and chance(rng, 0.7)),
        manager=f"{rng.choice(l10n.FIRST_NAMES[lang])} {rng.choice(_surnames(locale, lang))}",
    )


# ============================================================================================================
# Drawing: a display list per page (top-down coordinates), rendered to PDF with reportlab at the end
# ============================================================================================================

_RL_FONTS = Path(reportlab.__file__).resolve().parent / "fonts"
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
#: (regular, bold, [regular ttf, bold ttf], weight). TrueType families fall back to Helvetica when missing so
#: that the random stream (and hence every other choice) is the same on machines without DejaVu.
FONT_FAMILIES: tuple[tuple[str, str, tuple[Path, Path] | None, float], ...] = (
    ("Helvetica", "Helvetica-Bold", None, 3.0),
    ("Times-Roman", "Times-Bold", None, 1.2),
    ("Courier", "Courier-Bold", None, 0.4),
    ("Vera", "VeraBd", (_RL_FONTS / "Vera.ttf", _RL_FONTS / "VeraBd.ttf"), 1.0),
    ("DejaVuSans", "DejaVuSans-Bold", (_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"), 1.5),
    ("DejaVuSerif", "DejaVuSerif-Bold", (_DEJAVU / "DejaVuSerif.ttf", _DEJAVU / "DejaVuSerif-Bold.ttf"), 0.7),
    ("DejaVuSansCondensed", "DejaVuSansCondensed-Bold",
     (_DEJAVU / "DejaVuSansCondensed.ttf", _DEJAVU / "DejaVuSansCondensed-Bold.ttf"), 1.0),
)
_registered: dict[str, bool] = {}


def font_pair(choice: int) -> tuple[str, str, bool]:
    """(regular, bold, supports U+202F) for family index ``choice``, registering TrueType fonts once."""
    regular, bold, files, _ = FONT_FAMILIES[choice]
    if files is None:
        return regular, bold, False
    if regular not in _registered:
        ok = all(p.exists() for p in files)
        if ok:
            pdfmetrics.registerFont(TTFont(regular, str(files[0])))
            pdfmetrics.registerFont(TTFont(bold, str(files[1])))
        _registered[regular] = ok
    if not _registered[regular]:
        return "Helvetica", "Helvetica-Bold", False
    return regular, bold, regular.startswith("DejaVu")


Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)
WHITE: Color = (1.0, 1.0, 1.0)


def _tint(c: Color, amount: float) -> Color:
    return (c[0] + (1 - c[0]) * amount, c[1] + (1 - c[1]) * amount, c[2] + (1 - c[2]) * amount)


class Doc:
    """Pages as display lists. Keeping ops (not drawing directly) lets footers and "page X of N" be added
    after
    the page count is known, and lets scans find blank areas (for stamps) from the recorded text boxes."""

    def __init__(self, width: float, height: float) -> None:
        self.w, self.h = width, height
        self.pages: list[list[tuple[Any, ...]]] = [[]]
        self.boxes: list[list[tuple[float, float, float, float]]] = [[]]  # everything drawn
        self.text_boxes: list[list[tuple[float, float, float, float]]] = [[]]
        self.cur = 0
        self.printed: set[str] = set()

    def mark(self, *fields: str) -> None:
        self.printed.update(fields)

    def new_page(self) -> None:
        self.pages.append([])
        self.boxes.append([])
        self.text_boxes.append([])
        self.cur = len(self.pages) - 1

    def goto(self, page: int) -> None:
        self.cur = page

    def text(self, x: float, y: float, s: str, font: str, size: float, color: Color = BLACK,
             align: str = "left") -> float:
        """Draw ``s`` with its baseline at ``y`` (from the top); returns the width."""
        w = pdfmetrics.stringWidth(s, font, size)
        x0 = x if align == "left" else x - w if align == "right" else x - w / 2
        self.pages[self.cur].append(("text", x0, y, s, font, size, color))
        box = (x0, y - size * 0.8, x0 + w, y + size * 0.25)
        self.boxes[self.cur].append(box)
        self.text_boxes[self.cur].append(box)
        return w

    def pageno(self, x: float, y: float, template: str, font: str, size: float, align: str = "right") -> None:
        self.pages[self.cur].append(("pageno", x, y, template, font, size, align))
        w = pdfmetrics.stringWidth(template.format(p=88, n=88), font, size)
        x0 = x if align == "left" else x - w if align == "right" else x - w / 2
        box = (x0, y - size * 0.8, x0 + w, y + size * 0.25)
        self.boxes[self.cur].append(box)
        self.text_boxes[self.cur].append(box)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.5,
             color: Color = BLACK) -> None:
        self.pages[self.cur].append(("line", x0, y0, x1, y1, width, color))

    def rect(self, x: float, y: float, w: float, h: float, fill: Color | None = None,
             stroke: Color | None = None,
             width: float = 0.5) -> None:
        self.pages[self.cur].append(("rect", x, y, w, h, fill, stroke, width))
        if fill is not None and sum(fill) < 2.4:  # dark fills are not free space for a stamp
            self.boxes[self.cur].append((x, y, x + w, y + h))

    def render(self) -> bytes:
        buf = io.BytesIO()
        c = Canvas(buf, pagesize=(self.w, self.h), invariant=1, pageCompression=1)
        n = len(self.pages)
        for pno, ops in enumerate(self.pages, start=1):
            for op in ops:
                kind = op[0]
                if kind == "rect":
                    _, x, y, w, h, fill, stroke, width = op
                    if fill is not None:
                        c.setFillColorRGB(*fill)
                    if stroke is not None:
                        c.setStrokeColorRGB(*stroke)
                        c.setLineWidth(width)
                    c.rect(x, self.h - y - h, w, h, stroke=int(stroke is not None),
                           fill=int(fill is not None))
                elif kind == "line":
                    _, x0, y0, x1, y1, width, color = op
                    c.setStrokeColorRGB(*color)
                    c.setLineWidth(width)
                    c.line(x0, self.h - y0, x1, self.h - y1)
                elif kind == "text":
                    _, x, y, s, font, size, color = op
                    c.setFillColorRGB(*color)
                    c.setFont(font, size)
                    c.drawString(x, self.h - y, s)
                elif kind == "pageno":
                    _, x, y, template, font, size, align = op
                    s = template.format(p=pno, n=n)
                    w = pdfmetrics.stringWidth(s, font, size)
                    x0 = x if align == "left" else x - w if align == "right" else x - w / 2
                    c.setFillColorRGB(*BLACK)
                    c.setFont(font, size)
                    c.drawString(x0, self.h - y, s)
            c.showPage()
        c.save()
        return buf.getvalue()


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a single over-long word stays on its own line."""
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        trial = f"{cur} {word}" if cur else word
        if cur and pdfmetrics.stringWidth(trial, font, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


@dataclass
class Style:
    """One document's look and wording. ``lab`` returns this document's synonym for a label key."""

    rng: random.Random
    fmt: Fmt
    words: dict[str, str]
    labels: dict[str, tuple[str, ...]]
    font: str
    bold: str
    size: float
    min_size: float
    accent: Color
    label_color: Color
    colon: str
    upper: bool
    table: str
    header_fill: str  # "accent" | "light" | "none"
    ml: float
    mr: float
    mt: float
    mb: float
    iban_grouped: bool
    cur_in_items: bool
    cur_in_totals: str  # "all" | "total"
    picked: dict[tuple[str, str | None, str | None], str] = field(default_factory=dict)

    def case(self, s: str) -> str:
        """Upper-case label words when this document shouts its labels, never the {placeholders}."""
        if not self.upper:
            return s
        return "".join(part if part.startswith("{") else part.upper() for part in re.split(r"(\{\w+\})", s))

    def lab(self, key: str, **kw: str) -> str:
        s = self.case(self.words[key])
        return s.format(**kw) if kw else s

    def labc(self, key: str, **kw: str) -> str:
        s = self.lab(key, **kw)
        return s if s.endswith(":") else s + self.colon

    def pick(self, key: str, *, need: str | None = None, avoid: str | None = None) -> str:
        """A synonym of ``key`` containing (or not containing) a placeholder, for lines that need one.
        Remembered, so that e.g. all tax lines of one document use the same wording."""
        memo = (key, need, avoid)
        if memo not in self.picked:
            options = [o for o in self.labels[key]
                       if (need is None or need in o) and (avoid is None or avoid not in o)]
            self.picked[memo] = self.case(self.rng.choice(options) if options else self.words[key])
        return self.picked[memo]

    def fs(self, delta: float = 0.0) -> float:
        return max(self.size + delta, self.min_size)

    @property
    def lh(self) -> float:
        return self.size * 1.32


ACCENTS: tuple[Color, ...] = ((0.12, 0.23, 0.45), (0.1, 0.4, 0.35), (0.55, 0.1, 0.12), (0.2, 0.2, 0.2),
                              (0.0, 0.35, 0.6), (0.35, 0.2, 0.5), (0.6, 0.3, 0.0), (0.0, 0.0, 0.0))


def make_style(rng: random.Random, inv: Invoice, min_size: float) -> Style:
    fam = rng.choices(range(len(FONT_FAMILIES)), weights=[f[3] for f in FONT_FAMILIES])[0]
    regular, bold, nnbsp = font_pair(fam)
    loc = l10n.LOCALES[inv.locale]
    labels = l10n.labels_for(inv.locale)
    words = {k: rng.choice(v) for k, v in labels.items()}
    size = rng.choice([8.0, 8.5, 9.0, 9.0, 9.5, 10.0, 10.5])
    if regular == "Courier":
        size = min(size, 9.0)
    return Style(
        rng=rng, fmt=make_fmt(rng, loc, inv.currency, nnbsp), words=words, labels=labels, font=regular,
        bold=bold,
        size=max(size, min_size), min_size=min_size, accent=rng.choice(ACCENTS),
        label_color=rng.choice([BLACK, BLACK, (0.35, 0.35, 0.35)]), colon=rng.choice([":", ":", ":", ""]),
        upper=chance(rng, 0.15), table=rng.choice(["grid", "rules", "rules", "zebra", "plain"]),
        header_fill=rng.choice(["accent", "light", "light", "none"]), ml=rng.uniform(36, 64),
        mr=rng.uniform(36, 60),
        mt=rng.uniform(30, 52), mb=rng.uniform(28, 46), iban_grouped=chance(rng, 0.75),
        cur_in_items=chance(rng, 0.3), cur_in_totals=rng.choice(["all", "all", "total"]),
    )


# ----------------------------------------------------------------------------------------------------- blocks


def draw_lines(doc: Doc, st: Style, x: float, y: float, lines: Sequence[tuple[str, str, float]],
               align: str = "left", color: Color = BLACK) -> float:
    """Draw (text, font, size) lines from top ``y`` (top of first line); returns y below the last line."""
    for text, font, size in lines:
        y += size * 1.18
        doc.text(x, y, text, font, size, color, align)
        y += size * 0.18
    return y


def vendor_lines(st: Style, inv: Invoice, doc: Doc, *, name_size: float, contact: bool, tax: bool,
                 name: bool = True) -> list[tuple[str, str, float]]:
    v = inv.vendor
    out: list[tuple[str, str, float]] = []
    if name:
        out.append((v.name, st.bold, name_size))
        doc.mark("VendorName")
    out += [(ln, st.font, st.fs()) for ln in v.address_lines]
    doc.mark("VendorAddress")
    if contact:
        if v.phone and chance(st.rng, 0.8):
            out.append((f"{st.labc('phone')} {v.phone}", st.font, st.fs(-0.5)))
        if v.email and chance(st.rng, 0.7):
            out.append((f"{st.labc('email')} {v.email}", st.font, st.fs(-0.5)))
        if v.web and chance(st.rng, 0.3):
            out.append((v.web, st.font, st.fs(-0.5)))
    if tax and v.tax:
        out.append((f"{st.labc('vendor_tax_id')} {v.tax.vat}", st.font, st.fs(-0.5)))
        doc.mark("VendorTaxId")
    return out


def customer_lines(st: Style, inv: Invoice, doc: Doc, *, tax: bool = True) -> list[tuple[str, str, float]]:
    c = inv.customer
    out = [(c.name, st.bold if chance(st.rng, 0.6) else st.font, st.fs(0.5))]
    if c.attn:
        out.append((c.attn, st.font, st.fs()))
    out += [(ln, st.font, st.fs()) for ln in c.address_lines]
    doc.mark("CustomerName", "CustomerAddress")
    if tax and c.tax and not c.person and (inv.reverse_charge or chance(st.rng, 0.2)):
        out.append((f"{st.labc('customer_tax_id')} {c.tax.vat}", st.font, st.fs(-0.5)))
        doc.mark("CustomerTaxId")
    return out


def lines_width(lines: Sequence[tuple[str, str, float]]) -> float:
    return max((pdfmetrics.stringWidth(t, f, s) for t, f, s in lines), default=0.0)


def customer_block(doc: Doc, st: Style, inv: Invoice, x: float, y: float, heading: bool = True,
                   right_edge: float | None = None) -> float:
    """Bill-to block; with ``right_edge`` it is placed so that its widest line ends there."""
    head = [(st.labc("bill_to"), st.bold, st.fs())] if heading else []
    body = customer_lines(st, inv, doc)
    if right_edge is not None:
        x = right_edge - lines_width(head + body)
    if head:
        y = draw_lines(doc, st, x, y, head, color=st.label_color) + 2
    return draw_lines(doc, st, x, y, body)


def parties_row(doc: Doc, st: Style, inv: Invoice, y: float, split: float) -> tuple[float, float]:
    """Bill-to block on the left and, when there is one, a ship-to block beside it (or below it when the
    bill-to block is too wide). Returns the bottom of both."""
    bill = [(st.labc("bill_to"), st.bold, st.fs())] + customer_lines(st, inv, doc)
    y_c = draw_lines(doc, st, st.ml, y, bill)
    if inv.ship_to is None:
        return y_c, y_c
    ship = [(st.labc("ship_to"), st.bold, st.fs()), (inv.ship_to.name, st.font, st.fs())]
    ship += [(ln, st.font, st.fs()) for ln in inv.ship_to.address_lines]
    doc.mark("ShippingAddress")
    x = max(st.ml + (doc.w - st.ml - st.mr) * split, st.ml + lines_width(bill) + 24)
    if x + lines_width(ship) > doc.w - st.mr:
        return y_c, draw_lines(doc, st, st.ml, y_c + 8, ship)
    return y_c, draw_lines(doc, st, x, y, ship)


@dataclass
class Meta:
    label: str
    value: str
    fields: tuple[str, ...]


def meta_pairs(st: Style, inv: Invoice, *, max_pairs: int = 9, vendor_tax: bool = False) -> list[Meta]:
    """The document's key/value header entries, real ones and distractors, in a plausible order."""
    f, rng = st.fmt, st.rng
    pairs = [Meta(st.lab("invoice_id"), inv.invoice_id, ("InvoiceId",)),
             Meta(st.lab("invoice_date"), f.date(inv.invoice_date), ("InvoiceDate",))]
    if chance(rng, 0.2):
        pairs.reverse()
    extra: list[Meta] = []
    if chance(rng, 0.7):
        extra.append(Meta(st.lab("due_date"), f.date(inv.due_date), ("DueDate",)))
    if inv.customer_id and chance(rng, 0.5):
        extra.append(Meta(st.lab("customer_id"), inv.customer_id, ("CustomerId",)))
    if inv.po and chance(rng, 0.45):
        extra.append(Meta(st.lab("po"), inv.po, ("PurchaseOrder",)))
    if chance(rng, 0.3):
        extra.append(Meta(st.lab("payment_term"), inv.term_text, ("PaymentTerm",)))
    if chance(rng, 0.25):
        extra.append(Meta(st.lab("delivery_date"), f.date(inv.delivery_date), ()))
    if chance(rng, 0.12):
        extra.append(Meta(st.lab("order_date"), f.date(inv.order_date), ()))
    if chance(rng, 0.15):
        extra.append(Meta(st.lab("service_period"), f"{f.date(inv.period[0])} - {f.date(inv.period[1])}",
                          ("ServiceStartDate", "ServiceEndDate")))
    if chance(rng, 0.2):
        extra.append(Meta(st.lab("our_ref"), inv.our_ref, ()))
    if chance(rng, 0.2):
        extra.append(Meta(st.lab("contact"), inv.contact, ()))
    if vendor_tax and inv.vendor.tax:
        extra.append(Meta(st.lab("vendor_tax_id"), inv.vendor.tax.vat, ("VendorTaxId",)))
    if chance(rng, 0.3):
        rng.shuffle(extra)
    return (pairs + extra)[:max_pairs]


def meta_width(st: Style, pairs: Sequence[Meta]) -> float:
    size = st.fs()
    return max(pdfmetrics.stringWidth(p.label + st.colon, st.font, size) for p in pairs) + \
        max(pdfmetrics.stringWidth(p.value, st.bold, size) for p in pairs) + 14


def mark_meta(doc: Doc, pairs: Sequence[Meta]) -> None:
    for p in pairs:
        doc.mark(*p.fields)


def meta_lines(doc: Doc, st: Style, pairs: Sequence[Meta], x_right: float, y: float, *,
               label_x: float | None = None, value_align: str = "right") -> float:
    """"Label: value" lines. Values right-aligned at ``x_right`` or left-aligned after the widest label."""
    size = st.fs()
    lw = max(pdfmetrics.stringWidth(p.label + st.colon, st.font, size) for p in pairs)
    vw = max(pdfmetrics.stringWidth(p.value, st.bold, size) for p in pairs)
    x_label = x_right - vw - lw - 14 if label_x is None else label_x
    if label_x is not None and value_align == "left" and x_right > 0:
        x_label = min(x_label, x_right - vw - lw - 8)
    for p in pairs:
        y += st.lh
        doc.text(x_label, y, p.label + st.colon, st.font, size, st.label_color)
        if value_align == "right":
            doc.text(x_right, y, p.value, st.bold, size, BLACK, "right")
        else:
            doc.text(x_label + lw + 8, y, p.value, st.bold, size)
    mark_meta(doc, pairs)
    return y + 4


def meta_grid(doc: Doc, st: Style, pairs: Sequence[Meta], x: float, y: float, width: float, *,
              grid: bool = True) -> float:
    """Meta as a table: a label row on top, a value row below (several bands if there are many pairs)."""
    size = st.fs(-0.5)

    def cell_w(p: Meta, s: float) -> float:
        return max(pdfmetrics.stringWidth(p.label, st.bold, s),
                   pdfmetrics.stringWidth(p.value, st.font, s + 0.5))

    # as many cells per band as fit at the smallest font (long labels such as "N° TVA intracommunautaire")
    per_band = 5 if width > 420 else 4
    while per_band > 2 and any(cell_w(p, st.min_size) > width / per_band - 8 for p in pairs):
        per_band -= 1
    for start in range(0, len(pairs), per_band):
        band = pairs[start:start + per_band]
        cw = width / len(band)
        # shrink the band's font until every label and value fits its cell
        s = size
        while s > st.min_size and any(
                max(pdfmetrics.stringWidth(p.label, st.bold, s),
                    pdfmetrics.stringWidth(p.value, st.font, s + 0.5))
                > cw - 8 for p in band):
            s -= 0.5
        rh = s * 1.9
        if grid:
            doc.rect(x, y, width, rh, fill=_tint(st.accent, 0.85) if st.header_fill != "none" else None,
                     stroke=(0.4, 0.4, 0.4))
            doc.rect(x, y + rh, width, rh, stroke=(0.4, 0.4, 0.4))
            for k in range(1, len(band)):
                doc.line(x + k * cw, y, x + k * cw, y + 2 * rh, 0.5, (0.4, 0.4, 0.4))
        for k, p in enumerate(band):
            doc.text(x + k * cw + 4, y + rh * 0.68, p.label, st.bold, s,
                     st.label_color if not grid else BLACK)
            doc.text(x + k * cw + 4, y + rh + rh * 0.68, p.value, st.font, s + 0.5)
        y += 2 * rh + 6
    mark_meta(doc, pairs)
    return y


def meta_stacked(doc: Doc, st: Style, pairs: Sequence[Meta], x: float, y: float) -> float:
    """Labels above values, one pair under another (small grey label, larger value)."""
    for p in pairs:
        y += st.fs(-1.5) * 1.2
        doc.text(x, y, p.label.upper() if chance(st.rng, 0.5) else p.label, st.font, st.fs(-1.5),
                 (0.4, 0.4, 0.4))
        y += st.fs(1) * 1.25
        doc.text(x, y, p.value, st.bold, st.fs(1))
        y += 5
    mark_meta(doc, pairs)
    return y


# ------------------------------------------------------------------------------------------------ items table


@dataclass
class Column:
    key: str
    header: str
    align: str
    width: float = 0.0


COLUMN_SETS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("pos", "code", "desc", "qty", "unit", "price", "tax", "amount"), 3.0),
    (("code", "desc", "qty", "price", "amount"), 2.0),
    (("qty", "desc", "price", "amount"), 1.5),
    (("desc", "qty", "unit", "price", "amount"), 2.0),
    (("pos", "desc", "qty_unit", "price", "tax", "amount"), 2.0),
    (("desc", "amount"), 0.7),
    (("code", "desc", "unit", "qty", "price", "tax", "amount"), 1.0),
    (("desc", "code", "qty", "price", "tax", "amount"), 1.0),
    (("pos", "desc", "qty", "price", "amount"), 1.5),
)


def choose_columns(st: Style, inv: Invoice) -> list[str]:
    rng = st.rng
    keys = list(wchoice(rng, COLUMN_SETS))
    single_qty = all(it.qty == 1 for it in inv.items)
    if keys == ["desc", "amount"] and not single_qty and chance(rng, 0.7):
        keys = ["desc", "qty", "price", "amount"]
    multi_rate = len(inv.groups) > 1
    if multi_rate and "tax" not in keys:
        keys.insert(keys.index("amount"), "tax")
    if (inv.cc == "US" or inv.no_tax_line or inv.small_business) and "tax" in keys:
        keys.remove("tax")
    if "code" in keys and chance(rng, 0.2):
        keys.remove("code")
    if "unit" in keys and chance(rng, 0.15):
        keys.remove("unit")
    if "tax" in keys and not multi_rate and chance(rng, 0.3):
        keys.remove("tax")
    return keys


def item_cell(st: Style, inv: Invoice, it: Item, idx: int, key: str, pos_step: int) -> str:
    f = st.fmt
    if key == "pos":
        return str((idx + 1) * pos_step)
    if key == "code":
        return it.code
    if key == "qty":
        return f.qty(it.qty)
    if key == "unit":
        return it.unit
    if key == "qty_unit":
        return f"{f.qty(it.qty)} {it.unit}"
    if key == "price":
        return f.money(it.price, st.cur_in_items, it.price_places)
    if key == "tax":
        return f.rate(it.rate)
    if key == "amount":
        return f.money(it.amount, st.cur_in_items)
    raise KeyError(key)


ITEM_FIELDS_BY_COLUMN = {"qty": ("Quantity",), "unit": ("Unit",), "qty_unit": ("Quantity", "Unit"),
                         "price": ("UnitPrice",), "code": ("ProductCode",), "tax": ("TaxRate",),
                         "amount": ("Amount",)}


@dataclass
class TableResult:
    y: float
    item_fields: set[str]
    descriptions: list[str]


def cell_x(c: Column, x: float, pad: float) -> float:
    """Anchor x of a cell's text for the column's alignment."""
    return x + pad if c.align == "left" else x + c.width - pad if c.align == "right" else x + c.width / 2


def draw_items(doc: Doc, st: Style, inv: Invoice, y: float, *, bottom: Callable[[], float],
               cont_header: Callable[[], float], break_after: int | None = None, x0: float | None = None,
               x1: float | None = None) -> TableResult:
    """The line-item table; continues on new pages (header row repeated) when rows do not fit."""
    rng, f = st.rng, st.fmt
    keys = choose_columns(st, inv)
    pos_step = 10 if chance(rng, 0.2) else 1
    x0 = st.ml if x0 is None else x0
    x1 = doc.w - st.mr if x1 is None else x1
    width = x1 - x0
    size = st.fs()
    pad = 4.0
    header_of = {"pos": "col_pos", "code": "col_code", "desc": "col_desc", "qty": "col_qty",
                 "unit": "col_unit",
                 "qty_unit": "col_qty", "price": "col_price", "tax": "col_tax", "amount": "col_amount"}
    headers = {k: st.lab(header_of[k]) for k in keys}
    if not st.cur_in_items and chance(rng, 0.4) and "amount" in keys:
        headers["amount"] = f"{headers['amount']} ({inv.currency})" if chance(rng, 0.5) else \
            f"{headers['amount']} {f.symbol}"
    cells = [[item_cell(st, inv, it, i, k, pos_step) if k != "desc" else "" for k in keys]
             for i, it in enumerate(inv.items)]
    # fit: shrink the font until numeric columns leave the description at least 30 % of the width
    while True:
        widths = {}
        for ci, k in enumerate(keys):
            if k == "desc":
                continue
            widths[k] = max([pdfmetrics.stringWidth(headers[k], st.bold, size)]
                            + [pdfmetrics.stringWidth(row[ci], st.font, size) for row in cells]) + 2 * pad + 2
        desc_w = width - sum(widths.values())
        if desc_w >= 0.3 * width or size <= st.min_size:
            break
        size -= 0.5
    widths["desc"] = max(desc_w, 60.0)
    cols = [Column(k, headers[k], "left" if k in ("desc", "code", "unit", "pos") else "right", widths[k])
            for k in keys]
    if "qty" in keys and chance(rng, 0.3):
        next(c for c in cols if c.key == "qty").align = "center"
    lh = size * 1.25
    row_pad = rng.choice([2.5, 3.5, 4.5, 6.0]) if break_after is None else 6.0
    header_h = size * 1.9
    header_color = WHITE if st.header_fill == "accent" else BLACK
    carry = chance(rng, 0.5)
    grey = (0.55, 0.55, 0.55)

    def draw_header(y: float) -> float:
        if st.header_fill == "accent":
            doc.rect(x0, y, width, header_h, fill=st.accent)
        elif st.header_fill == "light":
            doc.rect(x0, y, width, header_h, fill=_tint(st.accent, 0.85))
        x = x0
        for c in cols:
            tx = cell_x(c, x, pad)
            doc.text(tx, y + header_h * 0.65, c.header, st.bold, size, header_color, c.align)
            x += c.width
        if st.header_fill == "none" or st.table in ("rules", "plain"):
            doc.line(x0, y + header_h, x1, y + header_h, 0.8,
                     st.accent if st.header_fill == "accent" else BLACK)
        if st.table == "grid":
            doc.rect(x0, y, width, header_h, stroke=grey)
        return y + header_h

    y = draw_header(y)
    running = Decimal(0)
    fields: set[str] = {"Description"}
    for k in keys:
        fields.update(ITEM_FIELDS_BY_COLUMN.get(k, ()))
    descriptions: list[str] = []
    for i, it in enumerate(inv.items):
        detail = it.detail.format(period=f"{f.date(inv.period[0])} - {f.date(inv.period[1])}",
                                  date=f.date(inv.delivery_date)) if it.detail else None
        dlines = wrap(it.desc, st.font, size, widths["desc"] - 2 * pad)
        if detail:
            dlines += wrap(detail, st.font, size, widths["desc"] - 2 * pad)
        descriptions.append(" ".join(dlines))
        row_h = len(dlines) * lh + 2 * row_pad
        carry_h = lh * 2.8  # room for the carried-forward and "continued" lines
        forced = break_after is not None and i == break_after
        if forced or y + row_h > bottom() - carry_h:
            if carry and i > 0:
                doc.text(x1 - pad, y + lh * 1.1, f"{st.lab('carried')}{st.colon} {f.money(running, False)}",
                         st.font, size, BLACK, "right")
            cont = st.lab("continued")
            if "{n}" in cont or chance(rng, 0.5):
                doc.text(x0, y + lh * (2.3 if carry else 1.1), cont.format(n=doc.cur + 2), st.font, st.fs(-1),
                         grey)
            doc.new_page()
            y = draw_header(cont_header())
            if carry:
                y += lh * 1.2
                doc.text(x1 - pad, y, f"{st.lab('carried')}{st.colon} {f.money(running, False)}", st.font,
                         size, BLACK, "right")
                y += 4
        if st.table == "zebra" and i % 2 == 1:
            doc.rect(x0, y, width, row_h, fill=(0.93, 0.93, 0.93))
        x = x0
        for ci, c in enumerate(cols):
            if c.key == "desc":
                for k, ln in enumerate(dlines):
                    doc.text(x + pad, y + row_pad + lh * (k + 0.8), ln, st.font, size)
            else:
                tx = cell_x(c, x, pad)
                doc.text(tx, y + row_pad + lh * 0.8, cells[i][ci], st.font, size, BLACK, c.align)
            if st.table == "grid":
                doc.rect(x, y, c.width, row_h, stroke=grey)
            x += c.width
        y += row_h
        if st.table == "rules":
            doc.line(x0, y, x1, y, 0.3, (0.6, 0.6, 0.6))
        running += it.amount
    if st.table in ("plain", "zebra"):
        doc.line(x0, y + 2, x1, y + 2, 0.6)
    return TableResult(y=y + 8, item_fields=fields, descriptions=descriptions)


# ----------------------------------------------------------------------------------------------------- totals


@dataclass
class TotalRow:
    label: str
    value: str
    fields: tuple[str, ...]
    bold: bool = False


def totals_rows(st: Style, inv: Invoice, *, summary_table: bool) -> list[TotalRow]:
    """The totals lines as printed. TotalTax is labelled once: on a single tax line, on a "total tax" line, or
    (several rates, no total line) as the sum of the printed rate lines."""
    f, rng = st.fmt, st.rng
    cur_all = st.cur_in_totals == "all"
    rows: list[TotalRow] = []
    show_sub = not (inv.small_business and not inv.discount and chance(rng, 0.6))
    if show_sub:
        sub_label = st.pick("subtotal_gross") if inv.discount else st.lab("subtotal")
        rows.append(TotalRow(sub_label, f.money(inv.subtotal, cur_all), ("SubTotal",)))
    if inv.discount:
        label = st.pick("discount", need="{pct}") if inv.discount_pct is not None and chance(rng, 0.6) \
            else st.pick("discount", avoid="{pct}")
        label = label.format(pct=f.rate(inv.discount_pct)) if "{pct}" in label and inv.discount_pct else label
        rows.append(TotalRow(label, f.money(inv.discount, cur_all, negative=chance(rng, 0.75)),
                             ("TotalDiscount",)))
        if chance(rng, 0.35):
            rows.append(TotalRow(st.lab("net_after_discount"), f.money(inv.subtotal - inv.discount, cur_all),
                                 ()))
    if not inv.no_tax_line:
        if summary_table or (len(inv.groups) > 1 and chance(rng, 0.35)):
            if not summary_table:
                with_base = chance(rng, 0.3)
                for g in inv.groups:
                    rows.append(TotalRow(_tax_label(st, g, with_base), f.money(g.tax, cur_all), ()))
            rows.append(TotalRow(st.pick("tax_total"), f.money(inv.tax_total, cur_all), ("TotalTax",)))
        elif len(inv.groups) > 1:
            with_base = chance(rng, 0.4)
            for k, g in enumerate(inv.groups):
                rows.append(TotalRow(_tax_label(st, g, with_base), f.money(g.tax, cur_all),
                                     ("TotalTax",) if k == 0 else ()))
        else:
            g = inv.groups[0]
            if chance(rng, 0.75) or inv.reverse_charge:
                label = _tax_label(st, g, with_base=chance(rng, 0.2))
            else:
                label = st.pick("tax", avoid="{rate}")
            rows.append(TotalRow(label, f.money(g.tax, cur_all), ("TotalTax",)))
    rows.append(TotalRow(st.lab("total"), f.money(inv.total, True), ("InvoiceTotal", "CurrencyCode"),
                         bold=True))
    if inv.prev_balance is not None:
        rows.append(TotalRow(st.lab("previous_balance"), f.money(inv.prev_balance, cur_all),
                             ("PreviousUnpaidBalance",)))
        rows.append(TotalRow(st.lab("amount_due"), f.money(inv.amount_due, True), ("AmountDue",), bold=True))
    elif chance(rng, 0.25):
        rows.append(TotalRow(st.lab("amount_due"), f.money(inv.amount_due, True), ("AmountDue",), bold=True))
    return rows


def _tax_label(st: Style, g: TaxGroup, with_base: bool) -> str:
    label = st.pick("tax_rated").format(rate=st.fmt.rate(g.rate))
    if with_base:
        label += f" {st.lab('on_base')} {st.fmt.money(g.taxable, False)}"
    return label


def vat_summary(doc: Doc, st: Style, inv: Invoice, x: float, y: float, width: float) -> float:
    """A per-rate table (rate | base | tax [| gross]) as Italian and German invoices often print it."""
    f = st.fmt
    size = st.fs(-0.5)
    heads = [st.lab("vat_summary_rate"), st.lab("vat_summary_base"), st.lab("vat_summary_tax")]
    gross = chance(st.rng, 0.4)
    if gross:
        heads.append(st.lab("vat_summary_gross"))
    widest = max(pdfmetrics.stringWidth(h, st.bold, size) for h in heads)
    cw = max(width / len(heads), widest + 12)
    width = cw * len(heads)
    rh = size * 1.7
    doc.rect(x, y, width, rh, fill=_tint(st.accent, 0.85))
    for k, h in enumerate(heads):
        doc.text(x + (k + 1) * cw - 4, y + rh * 0.68, h, st.bold, size, BLACK, "right")
    y += rh
    for g in inv.groups:
        vals = [f.rate(g.rate), f.money(g.taxable, False), f.money(g.tax, False)]
        if gross:
            vals.append(f.money(g.taxable + g.tax, False))
        for k, v in enumerate(vals):
            doc.text(x + (k + 1) * cw - 4, y + rh * 0.68, v, st.font, size, BLACK, "right")
        y += rh
    doc.line(x, y, x + width, y, 0.5)
    return y + 8


def draw_totals(doc: Doc, st: Style, inv: Invoice, y: float, mode: str, *, bottom: Callable[[], float],
                cont_header: Callable[[], float]) -> float:
    """Totals as right-aligned lines, a shaded box, or a two-column table (label left, value right)."""
    rng = st.rng
    summary = not inv.no_tax_line and not inv.reverse_charge and inv.cc != "US" and \
        chance(rng, 0.5 if inv.cc == "IT" else 0.15)
    rows = totals_rows(st, inv, summary_table=summary)
    size = st.fs(0.5)
    lh = size * 1.55
    x1 = doc.w - st.mr
    lw = max(pdfmetrics.stringWidth(r.label + st.colon, st.bold, size) for r in rows)
    vw = max(pdfmetrics.stringWidth(r.value, st.bold, size) for r in rows)
    bw = min(max(lw + vw + 40, 0.42 * (x1 - st.ml)), x1 - st.ml)
    if mode == "table" and chance(rng, 0.4):
        bw = x1 - st.ml
    need = len(rows) * lh + 20 + (len(inv.groups) + 2) * size * 1.7 * summary
    if y + need > bottom():
        doc.new_page()
        y = cont_header()
    if summary:
        sw = min(0.55 * (x1 - st.ml), 300)
        y = vat_summary(doc, st, inv, st.ml, y, sw) + 4
    x0 = x1 - bw
    if mode == "box":
        doc.rect(x0 - 6, y, bw + 6, len(rows) * lh + 10, fill=_tint(st.accent, 0.88),
                 stroke=st.accent if chance(rng, 0.5) else None)
        y += 5
    for r in rows:
        font = st.bold if r.bold else st.font
        if mode == "table":
            doc.rect(x0, y, bw, lh, stroke=(0.45, 0.45, 0.45),
                     fill=_tint(st.accent, 0.85) if r.bold else None)
            doc.text(x0 + 5, y + lh * 0.68, r.label + st.colon, font, size)
            doc.text(x1 - 5, y + lh * 0.68, r.value, font, size, BLACK, "right")
        else:
            if r.bold and mode == "lines":
                doc.line(x0, y + 1, x1, y + 1, 0.8)
            if mode == "lines_tight":  # labels right-aligned against the value column
                doc.text(x1 - vw - 16, y + lh * 0.7, r.label + st.colon, font, size, BLACK, "right")
            else:
                doc.text(x0, y + lh * 0.7, r.label + st.colon, font, size)
            doc.text(x1 - (3 if mode == "box" else 0), y + lh * 0.7, r.value, font, size, BLACK, "right")
        y += lh
        doc.mark(*r.fields)
    return y + 12


# ------------------------------------------------------------------------------------------- text and payment


def paragraph(doc: Doc, st: Style, text: str, x: float, y: float, width: float, size: float | None = None,
              font: str | None = None) -> float:
    size = size or st.fs(-0.5)
    for ln in wrap(text, font or st.font, size, width):
        y += size * 1.3
        doc.text(x, y, ln, font or st.font, size)
    return y + 3


def notes_text(st: Style, inv: Invoice, doc: Doc) -> list[str]:
    """Payment term, payment sentence and legal notes printed after the totals."""
    rng, f, texts = st.rng, st.fmt, l10n.TEXTS[inv.lang]
    out: list[str] = []
    if "PaymentTerm" not in doc.printed and chance(rng, 0.5):
        out.append(f"{st.labc('payment_term')} {inv.term_text}")
        doc.mark("PaymentTerm")
    if chance(rng, 0.55):
        amount = f.money(inv.amount_due, True)
        out.append(rng.choice(texts["pay"]).format(amount=amount, due=f.date(inv.due_date),
                                                   id=inv.invoice_id))
        doc.mark("DueDate")
    elif chance(rng, 0.3):
        out.append(rng.choice(texts["pay_nodue"]).format(id=inv.invoice_id))
    if inv.reverse_charge:
        out.append(rng.choice(texts["reverse_charge"]))
    if inv.small_business:
        out.append(rng.choice(texts["small_business"]))
    if (inv.lang == "fr" and chance(rng, 0.6)) or chance(rng, 0.08):
        out.append(rng.choice(texts["late_fee"]))
    if chance(rng, 0.35):
        out.append(rng.choice(texts["thanks"]))
    return out


def bank_lines(st: Style, inv: Invoice, doc: Doc, *, heading: bool = True) -> list[tuple[str, str, float]]:
    """Bank block lines; marks PaymentDetails (IBAN/SWIFT) when printed."""
    rng = st.rng
    size = st.fs(-0.5)
    out: list[tuple[str, str, float]] = []
    if heading:
        out.append((st.labc("bank"), st.bold, size))
    if chance(rng, 0.6):
        out.append((f"{st.labc('bank_name')} {inv.bank.name}" if chance(rng, 0.5) else inv.bank.name,
                    st.font, size))
    if chance(rng, 0.25):
        out.append((f"{st.labc('account_holder')} {inv.vendor.name}", st.font, size))
    if inv.iban:
        iban = group4(inv.iban) if st.iban_grouped else inv.iban
        bic = f"{st.labc('bic')} {inv.bic}"
        if chance(rng, 0.3):
            out.append((f"{st.labc('iban')} {iban}  {bic}", st.font, size))
        else:
            out += [(f"{st.labc('iban')} {iban}", st.font, size), (bic, st.font, size)]
        doc.mark("PaymentDetails")
    else:  # US: routing/account; sometimes a SWIFT code for international wires
        out.append((f"{st.labc('routing')} {inv.bank.code}", st.font, size))
        out.append((f"{st.labc('account')} {inv.us_account}", st.font, size))
        if chance(rng, 0.3):  # printed, not labelled: PaymentDetails entries are IBAN-based
            out.append((f"{st.labc('bic')} {inv.bic}", st.font, size))
    return out


def registration_line(st: Style, inv: Invoice) -> str | None:
    """Company-register text of the vendor's country (numbers that look like ids but are not the invoice's
    ones)."""
    v, t = inv.vendor, inv.vendor.tax
    if t is None:
        return None
    city = v.lines[-1].split(" ", 1)[-1] if v.lines else ""
    cc = inv.cc
    if cc == "DE":
        return f"Amtsgericht {city} {t.extra['register']} · {st.lab('managing_director')}: {inv.manager}" + (
            f" · {st.lab('tax_number')}: {t.extra['tax_number']}" if chance(st.rng, 0.5) else "")
    if cc == "AT":
        return f"{t.extra['register']}, Handelsgericht {city}"
    if cc == "FR":
        siren = t.extra["siren"]
        siret = t.extra["siret"]
        capital = st.fmt.money(Decimal(10000), True)
        return (f"SIRET {siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
                f" - RCS {city} {siren[:3]} {siren[3:6]} {siren[6:]} - capital {capital}")
    if cc == "NL":
        return f"KvK {t.extra['kvk']}"
    if cc == "BE":
        word = st.rng.choice(["Ondernemingsnummer", "Ondernemingsnr.", "KBO-nr."])
        return f"RPR {city} - {word} {t.extra['enterprise']}"
    if cc == "ES":
        return f"Inscrita en el Registro Mercantil de {city}, {t.extra['register']}"
    if cc == "IT":
        prov = city.split("(")[-1].rstrip(")") if "(" in city else "MI"
        return f"REA {prov}-{t.extra['rea']} - Cap. Soc. {st.fmt.money(Decimal(10000), True)} i.v."
    if cc == "GB":
        return f"Registered in England and Wales No. {t.extra['company_no']}"
    return None


@dataclass
class Footer:
    """Small text at the bottom of every page: columns of lines, optionally a page number."""

    columns: list[list[tuple[str, str]]]  # (text, font)
    size: float
    rule: bool
    pageno: str | None
    center: bool = False

    def height(self) -> float:
        n = max((len(c) for c in self.columns), default=0) + (1 if self.pageno and self.center else 0)
        return n * self.size * 1.3 + (10 if self.rule else 4)

    def draw(self, doc: Doc, st: Style) -> None:
        top = doc.h - st.mb - self.height()
        x0, x1 = st.ml, doc.w - st.mr
        if self.rule:
            doc.line(x0, top, x1, top, 0.5, (0.5, 0.5, 0.5))
            top += 6
        n = len(self.columns)
        cw = (x1 - x0) / max(n, 1)
        for k, col in enumerate(self.columns):
            y = top
            for text, font in col:
                y += self.size * 1.3
                if self.center:
                    doc.text((x0 + x1) / 2, y, text, font, self.size, (0.2, 0.2, 0.2), "center")
                else:
                    doc.text(x0 + k * cw, y, text, font, self.size, (0.2, 0.2, 0.2))
        if self.pageno:
            if self.center:
                doc.pageno((x0 + x1) / 2, top + (max(len(c) for c in self.columns) + 1) * self.size * 1.3,
                           self.pageno, st.font, self.size, "center")
            else:
                doc.pageno(x1, doc.h - st.mb + self.size, self.pageno, st.font, self.size, "right")


def fit_lines(lines: list[tuple[str, str]], font_size: float, width: float,
              atomic: Callable[[str], bool] = lambda _: False) -> list[tuple[str, str]]:
    """Wrap footer lines into a column width; ``atomic`` lines (bank details) are never broken."""
    out: list[tuple[str, str]] = []
    for text, font in lines:
        out += [(text, font)] if atomic(text) else [(ln, font) for ln in wrap(text, font, font_size, width)]
    return out


# ============================================================================================================
# Layouts. Each returns the finished Doc; `doc.printed` says which header fields it shows.
# ============================================================================================================


@dataclass
class Ctx:
    doc: Doc
    st: Style
    inv: Invoice
    footer: Footer | None = None
    item_fields: set[str] = field(default_factory=set)
    descriptions: list[str] = field(default_factory=list)

    def bottom(self) -> float:
        return self.doc.h - self.st.mb - (self.footer.height() + 6 if self.footer else 14)

    def cont_header(self) -> float:
        """Top of a continuation page: vendor name, invoice number, page number."""
        doc, st, inv = self.doc, self.st, self.inv
        y = st.mt + 12
        w_name = doc.text(st.ml, y, inv.vendor.name, st.bold, st.fs(1))
        ref = f"{st.lab('title')} {st.lab('invoice_id')}{st.colon} {inv.invoice_id}"
        if st.ml + w_name + 16 + pdfmetrics.stringWidth(ref, st.font, st.fs()) > doc.w - st.mr:
            y += st.lh + 2
        doc.text(doc.w - st.mr, y, ref, st.font, st.fs(), BLACK, "right")
        if self.footer is None or self.footer.pageno is None:
            doc.pageno(doc.w - st.mr, y + st.lh, st.lab("page"), st.font, st.fs(-0.5))
        return y + st.lh + 16


def _page_footer(ctx: Ctx, columns: list[list[tuple[str, str]]], *, center: bool = False,
                 rule: bool | None = None, pageno: bool | None = None) -> Footer:
    st = ctx.st
    size = max(st.size - rng_uniform(st.rng, 1.0, 2.0), st.min_size)
    columns = [c for c in columns if c]

    def width() -> float:
        return (ctx.doc.w - st.ml - st.mr) / max(len(columns), 1) - 6

    inv = ctx.inv

    def atomic(text: str) -> bool:  # an IBAN or BIC broken over two lines would be unfair to the reader
        return inv.bic in text or bool(inv.iban and inv.iban[:8] in text.replace(" ", ""))

    def too_wide(text: str, font: str) -> bool:
        parts = [text] if atomic(text) else text.split(" ")
        return any(pdfmetrics.stringWidth(p, font, size) > width() for p in parts)

    # an unbreakable token (an e-mail address, an IBAN line) wider than a column: fewer, wider columns
    while len(columns) > 1 and any(too_wide(text, font) for col in columns for text, font in col):
        columns[-2] = columns[-2] + columns[-1]
        columns.pop()
    if any(too_wide(text, font) for col in columns for text, font in col):
        size = st.min_size
    columns = [fit_lines(c, size, width(), atomic if len(columns) > 1 else lambda _: False) for c in columns]
    with_page = chance(st.rng, 0.5) if pageno is None else pageno
    return Footer(columns=columns, size=size, rule=chance(st.rng, 0.6) if rule is None else rule,
                  pageno=st.lab("page") if with_page else None, center=center)


def rng_uniform(rng: random.Random, a: float, b: float) -> float:
    return round(rng.uniform(a, b) * 2) / 2


def _vendor_footer_columns(ctx: Ctx, *, bank: bool, tax: bool, contact: bool) -> list[list[tuple[str, str]]]:
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    v = inv.vendor
    cols: list[list[tuple[str, str]]] = [[(v.name, st.bold)] + [(ln, st.font) for ln in v.address_lines]]
    doc.mark("VendorName", "VendorAddress")
    if contact:
        c = []
        if v.phone:
            c.append((f"{st.labc('phone')} {v.phone}", st.font))
        if v.email:
            c.append((f"{st.labc('email')} {v.email}", st.font))
        if v.web and chance(st.rng, 0.5):
            c.append((v.web, st.font))
        cols.append(c)
    if bank:
        cols.append([(t, font) for t, font, _ in bank_lines(st, inv, doc)])
    if tax and v.tax:
        c = [(f"{st.labc('vendor_tax_id')} {v.tax.vat}", st.font)]
        doc.mark("VendorTaxId")
        reg = registration_line(st, inv)
        if reg and chance(st.rng, 0.7):
            c.append((reg, st.font))
        cols.append(c)
    return cols


def _finish(ctx: Ctx, y: float, *, bank_block: bool, notes: bool = True, closing: bool = False) -> float:
    """Notes, optional bank block and closing after the totals, moving to a new page when needed."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    width = doc.w - st.ml - st.mr
    texts = notes_text(st, inv, doc) if notes else []
    blines = bank_lines(st, inv, doc) if bank_block else []
    need = sum(len(wrap(t, st.font, st.fs(-0.5), width)) for t in texts) * st.fs(-0.5) * 1.3 + \
        len(blines) * st.fs(-0.5) * 1.4 + 30 + (40 if closing else 0)
    if y + need > ctx.bottom():
        doc.new_page()
        y = ctx.cont_header()
    for t in texts:
        y = paragraph(doc, st, t, st.ml, y, width)
    if blines:
        y = draw_lines(doc, st, st.ml, y + 6, blines)
    if closing:
        closing_lines = [(st.rng.choice(l10n.TEXTS[inv.lang]["closing"]), st.font, st.fs()),
                         (inv.vendor.name, st.font, st.fs())]
        y = draw_lines(doc, st, st.ml, y + 10, closing_lines)
        doc.mark("VendorName")
    return y


def _items_and_totals(ctx: Ctx, y: float, totals_mode: str, break_after: int | None = None) -> float:
    res = draw_items(ctx.doc, ctx.st, ctx.inv, y, bottom=ctx.bottom, cont_header=ctx.cont_header,
                     break_after=break_after)
    ctx.item_fields, ctx.descriptions = res.item_fields, res.descriptions
    return draw_totals(ctx.doc, ctx.st, ctx.inv, res.y + 4, totals_mode, bottom=ctx.bottom,
                       cont_header=ctx.cont_header)


def _title(ctx: Ctx, x: float, y: float, align: str = "left", size_delta: float = 9) -> float:
    st = ctx.st
    size = st.fs(size_delta)
    ctx.doc.text(x, y + size, st.lab("title"), st.bold, size, st.accent if chance(st.rng, 0.6) else BLACK,
                 align)
    return y + size * 1.4


def _vendor_left_meta_right(ctx: Ctx, vlines: list, gap: float) -> float:
    """Vendor block top-left, title and 'label: value' block top-right; returns the y below both.

    The right column starts below the vendor block when the two would collide.
    """
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    y_left = draw_lines(doc, st, st.ml, st.mt, vlines)
    x1 = doc.w - st.mr
    pairs = meta_pairs(st, inv)
    top = st.mt if st.ml + lines_width(vlines) + 24 < x1 - max(meta_width(st, pairs), 150) else y_left + 10
    y_right = _title(ctx, x1, top, "right")
    y_right = meta_lines(doc, st, pairs, x1, y_right + 4)
    return max(y_left, y_right) + gap


def layout_classic(ctx: Ctx) -> None:
    """Vendor top-left, title and "label: value" meta top-right, bill-to below, totals as right-aligned
    lines."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    tax_in_header = chance(st.rng, 0.5)
    ctx.footer = None
    if chance(st.rng, 0.6):
        cols = _vendor_footer_columns(ctx, bank=True, tax=not tax_in_header, contact=False)
        ctx.footer = _page_footer(ctx, cols)
    vlines = vendor_lines(st, inv, doc, name_size=st.fs(5), contact=True, tax=tax_in_header)
    y = _vendor_left_meta_right(ctx, vlines, 18)
    y_c, y_s = parties_row(doc, st, inv, y, 0.45)
    y = _items_and_totals(ctx, max(y_c, y_s) + 18, st.rng.choice(["lines", "lines", "lines_tight"]))
    _finish(ctx, y, bank_block=ctx.footer is None)


def layout_meta_table(ctx: Ctx) -> None:
    """Logo box and vendor right, title, meta as a 2-row grid (labels over values), bill-to, totals table."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    cols = _vendor_footer_columns(ctx, bank=True, tax=True, contact=chance(st.rng, 0.5))
    ctx.footer = _page_footer(ctx, cols)
    x1 = doc.w - st.mr
    initials = "".join(w[0] for w in inv.vendor.name.split()[:2]).upper()
    doc.rect(st.ml, st.mt, 54, 54, fill=st.accent)
    doc.text(st.ml + 27, st.mt + 35, initials, st.bold, 20, WHITE, "center")
    y_r = draw_lines(doc, st, x1, st.mt,
                     vendor_lines(st, inv, doc, name_size=st.fs(3), contact=True, tax=False), align="right")
    y = max(y_r, st.mt + 60) + 14
    y = _title(ctx, st.ml, y) + 6
    y = meta_grid(doc, st, meta_pairs(st, inv, max_pairs=8), st.ml, y, x1 - st.ml) + 10
    y = customer_block(doc, st, inv, st.ml, y, heading=chance(st.rng, 0.7))
    y = _items_and_totals(ctx, y + 16, st.rng.choice(["table", "lines"]))
    _finish(ctx, y, bank_block=False)


def layout_stacked(ctx: Ctx) -> None:
    """Vendor and title left, meta stacked (label above value) in a right column, totals in a shaded box."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    ctx.footer = _page_footer(ctx, [[(registration_line(st, inv) or inv.vendor.web or "", st.font)]],
                              center=True) \
        if chance(st.rng, 0.4) else None
    vlines = vendor_lines(st, inv, doc, name_size=st.fs(4), contact=True, tax=True)
    y = draw_lines(doc, st, st.ml, st.mt, vlines)
    y = _title(ctx, st.ml, y + 14, size_delta=12)
    pairs = meta_pairs(st, inv, max_pairs=6)
    meta_w = max(max(pdfmetrics.stringWidth(p.value, st.bold, st.fs(1)),
                     pdfmetrics.stringWidth(p.label, st.font, st.fs(-1.5)) * 1.15) for p in pairs)
    x_meta = doc.w - st.mr - max(150.0, meta_w)
    # the stacked column sits beside the vendor block, or below it when the vendor block is too wide
    top = st.mt if st.ml + lines_width(vlines) + 16 < x_meta else y + 4
    y_meta = meta_stacked(doc, st, pairs, x_meta, top)
    cust = ([(st.labc("bill_to"), st.bold, st.fs())] if chance(st.rng, 0.8) else []) + \
        customer_lines(st, inv, doc)
    y_c0 = y + 6 if st.ml + lines_width(cust) + 16 < x_meta else max(y, y_meta) + 6
    y_c = draw_lines(doc, st, st.ml, y_c0, cust)
    y = _items_and_totals(ctx, max(y_c, y_meta) + 18, "box")
    _finish(ctx, y, bank_block=True)


SUBJECT = {"en": ("Invoice No.", "Invoice"), "de": ("Rechnung Nr.", "Rechnung"),
           "fr": ("Facture n°", "Facture"),
           "nl": ("Factuur nr.", "Factuur"), "es": ("Factura nº", "Factura"), "it": ("Fattura n.", "Fattura")}


def layout_letter(ctx: Ctx) -> None:
    """Business letter (DIN 5008 style): letterhead, sender line above the address window, info block right,
    subject line with the invoice number, text, items, totals, payment sentence, 3-4 column footer."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    v = inv.vendor
    ctx.footer = _page_footer(ctx, _vendor_footer_columns(ctx, bank=True, tax=True, contact=True), rule=True)
    x1 = doc.w - st.mr
    doc.text(x1, st.mt + st.fs(8), v.name, st.bold, st.fs(8), st.accent, "right")
    doc.mark("VendorName")
    if chance(st.rng, 0.5):
        doc.text(x1, st.mt + st.fs(8) + st.lh + 2, " · ".join(v.address_lines), st.font, st.fs(-1),
                 BLACK, "right")
    sender = " · ".join([v.name, *v.lines])
    y = 125.0
    ssize = st.fs(-2.5)
    doc.text(st.ml, y, sender, st.font, ssize, (0.3, 0.3, 0.3))
    doc.line(st.ml, y + 2, st.ml + pdfmetrics.stringWidth(sender, st.font, ssize), y + 2, 0.3)
    addr = customer_lines(st, inv, doc)
    y_addr = draw_lines(doc, st, st.ml, y + 10, addr)
    left_w = max(lines_width(addr), pdfmetrics.stringWidth(sender, st.font, ssize))
    pairs = meta_pairs(st, inv, max_pairs=7)
    info_x = max(x1 - 190, st.ml + left_w + 20)
    if info_x + meta_width(st, pairs) - 6 <= x1:  # the info block beside the address window
        y_info = meta_lines(doc, st, pairs, x1, 114.0, label_x=info_x, value_align="left")
    else:  # no room: below the address, as some letters do
        y_info = meta_lines(doc, st, pairs, x1, y_addr + 10, label_x=st.ml, value_align="left")
    y = max(y_addr, y_info) + 28
    subject = f"{st.rng.choice(SUBJECT[inv.lang])} {inv.invoice_id}"
    if chance(st.rng, 0.4):
        of = {"en": "of", "de": "vom", "fr": "du", "nl": "van", "es": "del", "it": "del"}[inv.lang]
        subject += f" {of} {st.fmt.date(inv.invoice_date)}"
        doc.mark("InvoiceDate")
    doc.text(st.ml, y, subject, st.bold, st.fs(2))
    doc.mark("InvoiceId")
    y += 10
    if chance(st.rng, 0.7):
        y = paragraph(doc, st, st.rng.choice(l10n.TEXTS[inv.lang]["intro"]), st.ml, y, x1 - st.ml, st.fs())
    y = _items_and_totals(ctx, y + 8, st.rng.choice(["lines", "lines_tight"]))
    _finish(ctx, y, bank_block=False, closing=True)


def layout_totals_table(ctx: Ctx) -> None:
    """Title and meta top-left, vendor top-right, totals as a grid table with labels left and values right."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    ctx.footer = None
    if chance(st.rng, 0.5):
        bank = [(t, f) for t, f, _ in bank_lines(st, inv, doc, heading=chance(st.rng, 0.5))]
        ctx.footer = _page_footer(ctx, [bank], rule=True)
    y = _title(ctx, st.ml, st.mt, size_delta=11)
    pairs = meta_pairs(st, inv, max_pairs=6)
    y_meta = meta_lines(doc, st, pairs, 0, y + 2, label_x=st.ml, value_align="left")
    vlines = vendor_lines(st, inv, doc, name_size=st.fs(2), contact=True, tax=True)
    x_v = doc.w - st.mr - lines_width(vlines)
    if x_v < st.ml + meta_width(st, pairs) + 20:  # no room beside the meta block: put the vendor below it
        y_v = draw_lines(doc, st, st.ml, y_meta + 8, vlines)
    else:
        y_v = draw_lines(doc, st, x_v, st.mt, vlines)
    y = max(y_meta, y_v) + 16
    y = customer_block(doc, st, inv, st.ml, y)
    y = _items_and_totals(ctx, y + 16, "table")
    _finish(ctx, y, bank_block=ctx.footer is None)


def layout_minimal(ctx: Ctx) -> None:
    """Title, meta and customer on top; the vendor appears only in the footer, with its bank details."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    v = inv.vendor
    lines: list[tuple[str, str]] = [(v.name, st.bold), (", ".join(v.address_lines), st.font)]
    doc.mark("VendorName", "VendorAddress")
    extra = []
    if v.tax:
        extra.append(f"{st.labc('vendor_tax_id')} {v.tax.vat}")
        doc.mark("VendorTaxId")
    if v.email:
        extra.append(v.email)
    if extra:
        lines.append((" · ".join(extra), st.font))
    blines = bank_lines(st, inv, doc, heading=False)
    lines.append((" · ".join(t for t, _, _ in blines), st.font))
    ctx.footer = _page_footer(ctx, [lines], center=True, rule=True)
    y = _title(ctx, st.ml, st.mt, size_delta=6)
    y = meta_lines(doc, st, meta_pairs(st, inv, max_pairs=5), 0, y, label_x=st.ml, value_align="left")
    y_c = customer_block(doc, st, inv, 0, st.mt + 4, heading=chance(st.rng, 0.5), right_edge=doc.w - st.mr)
    y = _items_and_totals(ctx, max(y, y_c) + 20, "lines")
    _finish(ctx, y, bank_block=False)


def layout_two_page(ctx: Ctx) -> None:
    """Classic header, items forced to continue on page 2 (header row repeated), totals on the last page."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    ctx.footer = _page_footer(ctx, _vendor_footer_columns(ctx, bank=True, tax=True, contact=False),
                              pageno=True)
    vlines = vendor_lines(st, inv, doc, name_size=st.fs(4), contact=True, tax=False)
    y = _vendor_left_meta_right(ctx, vlines, 16)
    y = customer_block(doc, st, inv, st.ml, y)
    if chance(st.rng, 0.6):
        y = paragraph(doc, st, st.rng.choice(l10n.TEXTS[inv.lang]["intro"]), st.ml, y + 8, doc.w - st.mr - st.ml,
                      st.fs())
    k = max(1, min(len(inv.items) - 2, int(len(inv.items) * st.rng.uniform(0.45, 0.7))))
    y = _items_and_totals(ctx, y + 14, st.rng.choice(["lines", "box", "table"]), break_after=k)
    _finish(ctx, y, bank_block=False)


def layout_band(ctx: Ctx) -> None:
    """Coloured band with the vendor in white, meta as label-over-value cells without grid, totals box."""
    doc, st, inv = ctx.doc, ctx.st, ctx.inv
    cols = _vendor_footer_columns(ctx, bank=True, tax=True, contact=False)[1:]  # the band shows the rest
    ctx.footer = _page_footer(ctx, cols, rule=False)
    band_h = 80.0
    band_color = st.accent if sum(st.accent) < 1.2 else (0.15, 0.2, 0.3)
    doc.rect(0, 0, doc.w, band_h + st.mt * 0.4, fill=band_color)
    v = inv.vendor
    right = v.address_lines + ([v.phone] if v.phone else [])
    right_w = max(pdfmetrics.stringWidth(ln, st.font, st.fs(-0.5)) for ln in right)
    name_size = st.fs(7)
    while name_size > st.fs(1) and \
            st.ml + pdfmetrics.stringWidth(v.name, st.bold, name_size) + 20 > doc.w - st.mr - right_w:
        name_size -= 1
    doc.text(st.ml, st.mt * 0.4 + 38, v.name, st.bold, name_size, WHITE)
    doc.mark("VendorName")
    y = st.mt * 0.4 + 14
    for ln in right:
        y += st.fs(-0.5) * 1.3
        doc.text(doc.w - st.mr, y, ln, st.font, st.fs(-0.5), WHITE, "right")
    doc.mark("VendorAddress")
    y = band_h + st.mt * 0.4 + 16
    y = _title(ctx, st.ml, y, size_delta=10)
    y = meta_grid(doc, st, meta_pairs(st, inv, max_pairs=5), st.ml, y + 4, doc.w - st.ml - st.mr, grid=False)
    y_c, y_s = parties_row(doc, st, inv, y + 4, 0.5)
    y = _items_and_totals(ctx, max(y_c, y_s) + 16, "box")
    _finish(ctx, y, bank_block=False)


LAYOUT_FUNCS: dict[str, Callable[[Ctx], None]] = {
    "classic": layout_classic, "meta_table": layout_meta_table, "stacked": layout_stacked,
    "letter": layout_letter, "totals_table": layout_totals_table, "minimal": layout_minimal,
    "two_page": layout_two_page, "band": layout_band,
}


def render_invoice(rng: random.Random, inv: Invoice, layout: str, min_size: float,
                   wording: dict[tuple[str, str | None, str | None], str] | None = None) -> Ctx:
    """Draw ``inv`` in ``layout``. ``wording`` (vendor streams only) is a synonym memo shared by all invoices of
    one vendor, so that each label is worded the same on every one of them, as a vendor's template does."""
    loc = l10n.LOCALES[inv.locale]
    size_name = wchoice(rng, loc.page_sizes)
    w, h = LETTER if size_name == "letter" else A4
    st = make_style(rng, inv, min_size)
    if wording is not None:
        st.picked = wording
    ctx = Ctx(doc=Doc(w, h), st=st, inv=inv)
    LAYOUT_FUNCS[layout](ctx)
    if ctx.footer is not None:
        for p in range(len(ctx.doc.pages)):
            ctx.doc.goto(p)
            ctx.footer.draw(ctx.doc, st)
    if "CurrencyCode" not in ctx.doc.printed:
        ctx.doc.mark("CurrencyCode")  # the total always carries the currency; kept for clarity
    return ctx


def layout_problems(doc: Doc) -> list[str]:
    """Text boxes that overlap each other or leave the page: a layout bug that would corrupt reading order."""
    out = []
    for pno, tb in enumerate(doc.text_boxes):
        for i, a in enumerate(tb):
            if a[0] < 1 or a[2] > doc.w - 1 or a[1] < 1 or a[3] > doc.h - 1:
                out.append(f"p{pno + 1}: off page {a}")
            for b in tb[i + 1:]:
                ox = min(a[2], b[2]) - max(a[0], b[0])
                oy = min(a[3], b[3]) - max(a[1], b[1])
                if ox > 1.0 and oy > 1.0:
                    out.append(f"p{pno + 1}: overlap {a} {b}")
    return out


# ============================================================================================================
# Labels
# ============================================================================================================


def num(d: Decimal) -> float:
    return float(d)


def build_labels(ctx: Ctx) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Truth for the fields the document actually shows, in the dev set's shape."""
    inv, printed = ctx.inv, ctx.doc.printed
    v, c = inv.vendor, inv.customer
    values: dict[str, Any] = {
        "VendorName": v.name, "VendorAddress": v.address, "VendorTaxId": v.tax.vat if v.tax else None,
        "CustomerName": c.name, "CustomerId": inv.customer_id, "CustomerAddress": c.address,
        "CustomerTaxId": c.tax.vat if c.tax else None,
        "ShippingAddress": inv.ship_to.address if inv.ship_to else None,
        "InvoiceId": inv.invoice_id, "InvoiceDate": inv.invoice_date.isoformat(),
        "DueDate": inv.due_date.isoformat(), "PurchaseOrder": inv.po, "PaymentTerm": inv.term_text,
        "ServiceStartDate": inv.period[0].isoformat(), "ServiceEndDate": inv.period[1].isoformat(),
        "SubTotal": num(inv.subtotal), "TotalDiscount": num(inv.discount), "TotalTax": num(inv.tax_total),
        "InvoiceTotal": num(inv.total), "AmountDue": num(inv.amount_due),
        "PreviousUnpaidBalance": num(inv.prev_balance) if inv.prev_balance is not None else None,
        "CurrencyCode": inv.currency,
    }
    values["PaymentDetails"] = [{"IBAN": inv.iban, "SWIFT": inv.bic}] if inv.iban else None
    fields = {k: values[k] for k in FIELD_ORDER if k in printed and values.get(k) is not None}
    items = []
    for it, desc in zip(inv.items, ctx.descriptions, strict=True):
        row: dict[str, Any] = {"Description": desc, "Quantity": num(it.qty), "Unit": it.unit,
                               "UnitPrice": num(it.price), "ProductCode": it.code, "TaxRate": num(it.rate),
                               "Amount": num(it.amount)}
        items.append({k: row[k] for k in ITEM_ORDER if k in ctx.item_fields})
    return fields, items


# ============================================================================================================
# Scans and photos: rasterise with pdfium, then degrade with Pillow/numpy (hard but readable)
# ============================================================================================================

_STAMP_WORDS = {"en": ("RECEIVED", "PAID", "ENTERED"), "de": ("EINGEGANGEN", "BEZAHLT", "GEBUCHT"),
                "fr": ("REÇU LE", "PAYÉ", "ARRIVÉE"), "nl": ("ONTVANGEN", "BETAALD", "GEBOEKT"),
                "es": ("RECIBIDO", "PAGADO", "ENTRADA"), "it": ("PERVENUTO", "PAGATO", "ARRIVO")}


def _stamp_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _RL_FONTS / "VeraBd.ttf"
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default()


def add_stamp(img: Image.Image, rng: random.Random, boxes: Sequence[tuple[float, float, float, float]],
              scale: float, lang: str, date_text: str) -> str | None:
    """A rubber "received/paid" stamp with a date, placed only on blank paper so that it never hides
    labelled text."""
    word = rng.choice(_STAMP_WORDS[lang])
    fsize = int(15 * scale)
    font = _stamp_font(fsize)
    lines = [word, date_text]
    tw = int(max(font.getlength(t) for t in lines)) + int(16 * scale)
    th = int(fsize * 2.7) + int(10 * scale)
    pw, ph = img.size
    margin = 8 * scale
    candidates = []
    for gy in range(int(0.08 * ph), int(ph - th - 0.05 * ph), max(int(12 * scale), 1)):
        for gx in range(int(0.05 * pw), int(pw - tw - 0.05 * pw), max(int(24 * scale), 1)):
            r = (gx - margin, gy - margin, gx + tw + margin, gy + th + margin)
            if all(r[2] < b[0] * scale or r[0] > b[2] * scale or r[3] < b[1] * scale or r[1] > b[3] * scale
                   for b in boxes):
                candidates.append((gx, gy))
    if not candidates:
        return None
    gx, gy = rng.choice(candidates)
    color = rng.choice([(40, 60, 170), (170, 35, 35), (30, 110, 60)])
    layer = Image.new("RGB", (tw, th), (255, 255, 255))
    d = ImageDraw.Draw(layer)
    d.rectangle((1, 1, tw - 2, th - 2), outline=color, width=max(2, int(1.5 * scale)))
    for k, t in enumerate(lines):
        d.text((tw // 2, int(6 * scale) + k * int(fsize * 1.3)), t, fill=color, font=font, anchor="ma")
    layer = layer.rotate(rng.uniform(-7, 7), resample=Image.Resampling.BICUBIC, expand=False,
                         fillcolor=(255, 255, 255))
    region = img.crop((gx, gy, gx + tw, gy + th)).convert("RGB")
    img.paste(ImageChops.multiply(region, layer), (gx, gy))
    return word


def _perspective_coeffs(dst: Sequence[tuple[float, float]],
                        src: Sequence[tuple[float, float]]) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform mapping output points ``dst`` to input points ``src``."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float))]


@dataclass
class Degrade:
    """Parameters of one scan/photo, drawn once per document (pages share the scanner settings)."""

    kind: str
    dpi: int
    gray: bool
    binarize: bool
    angle: float
    quarter: int
    blur: float
    noise: float
    contrast: float
    brightness: float
    jpeg_q: int
    fmt: str
    stamp: bool
    holes: bool

    def describe(self) -> str:
        parts = [self.kind, f"{self.dpi} dpi", f"rotation {self.angle:+.1f}°"]
        if self.quarter:
            parts.append(f"turned {self.quarter * 90}°")
        if self.blur:
            parts.append(f"blur {self.blur:.1f}")
        parts.append(f"noise {self.noise:.0f}")
        if self.binarize:
            parts.append("bilevel")
        elif self.gray:
            parts.append("grayscale")
        parts.append(self.fmt + (f" q{self.jpeg_q}" if self.fmt in ("jpg", "pdf") else ""))
        return ", ".join(parts)


#: Rarely a page is fed sideways or upside down (0: upright; 1..3: quarter turns).
QUARTER_TURNS: tuple[tuple[int, float], ...] = ((0, 93), (1, 2), (2, 3), (3, 2))


def draw_degrade(rng: random.Random, kind: str, pages: int) -> Degrade:
    if kind == "photo":
        fmt = "pdf" if pages > 1 else wchoice(rng, [("jpg", 9), ("png", 1)])
        return Degrade(kind="photo", dpi=rng.choice([150, 170, 200, 220]), gray=False, binarize=False,
                       angle=rng.uniform(-3, 3), quarter=0, blur=rng.uniform(0.4, 1.1),
                       noise=rng.uniform(3, 8),
                       contrast=rng.uniform(0.8, 1.05), brightness=rng.uniform(0.92, 1.08),
                       jpeg_q=rng.randint(55, 88), fmt=fmt, stamp=False, holes=False)
    dpi = rng.choice([150, 200, 200, 240, 300, 300])
    binarize = dpi >= 200 and chance(rng, 0.08)
    sign = rng.choice([-1, 1])
    if pages > 1:
        fmt = wchoice(rng, [("pdf", 8), ("tif", 2)])
    else:
        fmt = wchoice(rng, [("jpg", 11), ("png", 4), ("tif", 3), ("pdf", 2)])
    return Degrade(kind="scan", dpi=dpi, gray=binarize or chance(rng, 0.5), binarize=binarize,
                   angle=sign * rng.uniform(0.3, 3.0), quarter=wchoice(rng, QUARTER_TURNS),
                   blur=0.0 if chance(rng, 0.35) else rng.uniform(0.3, 1.0), noise=rng.uniform(2, 12),
                   contrast=rng.uniform(0.75, 1.15), brightness=rng.uniform(0.9, 1.08),
                   jpeg_q=rng.randint(40, 90), fmt=fmt, stamp=chance(rng, 0.3), holes=chance(rng, 0.1))


def _tone_lut(contrast: float, brightness: float, paper: int = 255, bands: int = 1) -> list[int]:
    """One lookup table for paper tone, contrast and brightness (far cheaper than three passes)."""
    lut = []
    for v in range(256):
        x = v * paper / 255
        x = (x - 160) * contrast + 160
        lut.append(int(min(255, max(0, round(x * brightness)))))
    return lut * bands


def _add_noise(img: Image.Image, sigma: float, nrng: np.random.Generator) -> Image.Image:
    """Gaussian sensor noise (same on all channels). A random 509x503 tile is repeated over the page instead
    of drawing ~9 million normals per 300 dpi page: the repetition is invisible to a reader and it is the
    difference between ~80 ms and ~15 ms per page."""
    arr = np.asarray(img).astype(np.int16)
    h, w = arr.shape[:2]
    tile = (nrng.standard_normal((509, 503), dtype=np.float32) * sigma).astype(np.int16)
    oy, ox = int(nrng.integers(0, 509)), int(nrng.integers(0, 503))
    noise = np.tile(tile, (h // 509 + 2, w // 503 + 2))[oy:oy + h, ox:ox + w]
    arr += noise if arr.ndim == 2 else noise[..., None]
    np.clip(arr, 0, 255, out=arr)
    return Image.fromarray(arr.astype(np.uint8), img.mode)


def degrade_page(img: Image.Image, d: Degrade, rng: random.Random, nrng: np.random.Generator) -> Image.Image:
    """Apply one scanner's or phone's artefacts to a rendered page."""
    scale = d.dpi / 72
    if d.kind == "photo":
        w, h = img.size
        pad = int(max(w, h) * rng.uniform(0.04, 0.09))
        desk = tuple(int(c) for c in rng.choice([(120, 100, 80), (90, 90, 95), (160, 150, 135),
                                                 (60, 60, 60)]))
        canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), desk)  # type: ignore[arg-type]
        canvas.paste(img.convert("RGB"), (pad, pad))
        cw, ch = canvas.size
        j = 0.045
        corners = [(pad, pad), (pad + w, pad), (pad + w, pad + h), (pad, pad + h)]
        dst = [(x + rng.uniform(-j, j) * w, y + rng.uniform(-j, j) * h) for x, y in corners]
        # small overall rotation folded into the quad
        cx, cy = cw / 2, ch / 2
        a = np.deg2rad(d.angle)
        dst = [(cx + (x - cx) * np.cos(a) - (y - cy) * np.sin(a),
                cy + (x - cx) * np.sin(a) + (y - cy) * np.cos(a))
               for x, y in dst]
        coeffs = _perspective_coeffs(dst, corners)
        img = canvas.transform((cw, ch), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                               fillcolor=desk)
        # uneven lighting (linear gradient + soft off-centre highlight) and a warm cast, computed on a
        # coarse grid and upscaled: lighting is smooth, so this costs nothing visible
        sw, sh = max(cw // 16, 8), max(ch // 16, 8)
        yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
        gx, gy = rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25)
        light = 1.0 + gx * (xx / sw - 0.5) + gy * (yy / sh - 0.5)
        hx, hy = rng.uniform(0.2, 0.8) * sw, rng.uniform(0.2, 0.8) * sh
        light += 0.12 * np.exp(-(((xx - hx) / (0.5 * sw)) ** 2 + ((yy - hy) / (0.5 * sh)) ** 2))
        light = light / light.max() * rng.uniform(0.85, 1.0)
        cast = np.array([1.0, rng.uniform(0.95, 0.99), rng.uniform(0.86, 0.95)], dtype=np.float32)
        lmap = Image.fromarray((light[..., None] * cast * 255).astype(np.uint8), "RGB")
        img = ImageChops.multiply(img, lmap.resize((cw, ch), Image.Resampling.BILINEAR))
        img = _add_noise(img, d.noise, nrng)
        img = img.filter(ImageFilter.GaussianBlur(d.blur * scale / 2.5))
        return img.point(_tone_lut(d.contrast, d.brightness * 1.08, bands=3))

    img = img.convert("L" if d.gray else "RGB")
    paper = 255 if chance(rng, 0.6) else rng.randint(232, 250)
    img = img.point(_tone_lut(d.contrast, d.brightness, paper, bands=len(img.getbands())))
    if d.holes:
        dr = ImageDraw.Draw(img)
        r = int(3 * scale)
        for yc in (img.size[1] // 2 - int(40 * scale), img.size[1] // 2 + int(40 * scale)):
            fill = 70 if img.mode == "L" else (70, 70, 70)
            dr.ellipse((int(10 * scale) - r, yc - r, int(10 * scale) + r, yc + r), fill=fill)
    bg: Any = paper if img.mode == "L" else (paper, paper, paper)
    img = img.rotate(d.angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=bg)
    if d.blur:
        img = img.filter(ImageFilter.GaussianBlur(d.blur * scale / 2.8))
    img = _add_noise(img, d.noise, nrng)
    # a few specks of dust
    dr = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(rng.randint(0, 40)):
        x0, y0, v = rng.randrange(w), rng.randrange(h), rng.randint(0, 90)
        speck: Any = v if img.mode == "L" else (v, v, v)
        dr.rectangle((x0, y0, x0 + rng.randint(0, 2), y0 + rng.randint(0, 2)), fill=speck)
    if d.binarize:
        thr = rng.randint(150, 185)
        img = img.point([255 if p > thr else 0 for p in range(256)]).convert("1")
    if d.quarter:
        img = img.transpose([Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                             Image.Transpose.ROTATE_270][d.quarter - 1])
    return img


def write_raster(path_stem: Path, pages: list[Image.Image], d: Degrade, when: dt.date) -> Path:
    """Save as the chosen container: JPEG, PNG, (multi-page) TIFF or an image-only PDF (as scanners do)."""
    if d.fmt == "jpg":
        path = path_stem.with_suffix(".jpg")
        pages[0].convert("L" if d.gray else "RGB").save(path, "JPEG", quality=d.jpeg_q, dpi=(d.dpi, d.dpi))
    elif d.fmt == "png":
        path = path_stem.with_suffix(".png")
        pages[0].save(path, "PNG", dpi=(d.dpi, d.dpi), compress_level=3)
    elif d.fmt == "tif":
        path = path_stem.with_suffix(".tif")
        comp = "group4" if d.binarize else "tiff_lzw"
        pages[0].save(path, "TIFF", compression=comp, dpi=(d.dpi, d.dpi), save_all=True,
                      append_images=pages[1:])
    else:
        path = path_stem.with_suffix(".pdf")
        stamp = dt.datetime(when.year, when.month, when.day, 9, 30).timetuple()
        conv = [p.convert("L" if d.gray else "RGB") for p in pages]
        conv[0].save(path, "PDF", save_all=True, append_images=conv[1:], resolution=float(d.dpi),
                     quality=d.jpeg_q, creationDate=stamp, modDate=stamp, producer="Scanner")
    return path


def rasterise(pdf_bytes: bytes, dpi: int, gray: bool = False) -> list[Image.Image]:
    """Render every page with pdfium (grayscale directly when the scan is gray: a third of the work)."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=gray).to_pil() for i in range(len(pdf))]
    finally:
        pdf.close()


# ============================================================================================================
# Driver
# ============================================================================================================


def _doc_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"invoice-synth:{seed}:{index}")


def make_document(out_dir: Path, seed: int, index: int, scans_fraction: float,
                  locales: Sequence[str]) -> dict[str, Any]:
    """Generate document ``index`` of ``seed``: write its file(s) and return its label record."""
    rng = _doc_rng(seed, index)
    locale = rng.choice(list(locales))
    layout = wchoice(rng, [(name, 0.8 if name == "two_page" else 1.0) for name in LAYOUTS])
    raster = rng.random() < scans_fraction
    kind = ("photo" if chance(rng, 0.25) else "scan") if raster else "digital_pdf"
    # rasters at low resolution get a slightly larger minimum font: hard but fair
    min_size = 6.5 if kind == "digital_pdf" else 7.0
    inv = make_invoice(rng, locale, layout)
    ctx = render_invoice(rng, inv, layout, min_size)
    pdf_bytes = ctx.doc.render()
    doc_id = f"synth-{seed}-{index:05d}"
    notes = f"synthetic ({locale}, layout {layout}, {len(ctx.doc.pages)} page(s))"
    if kind == "digital_pdf":
        path = out_dir / f"{doc_id}.pdf"
        path.write_bytes(pdf_bytes)
    else:
        d = draw_degrade(rng, "photo" if kind == "photo" else "scan", len(ctx.doc.pages))
        nrng = np.random.default_rng(rng.getrandbits(64))
        pages = rasterise(pdf_bytes, d.dpi, gray=d.gray and not d.stamp)
        out_pages = []
        for pno, page in enumerate(pages):
            if d.stamp and pno == 0:
                page = page.convert("RGB")
                when = inv.invoice_date + dt.timedelta(days=rng.randint(1, 12))
                if add_stamp(page, rng, ctx.doc.boxes[0], d.dpi / 72, inv.lang,
                             ctx.st.fmt.date(when)) is None:
                    d.stamp = False
            out_pages.append(degrade_page(page, d, rng, nrng))
        path = write_raster(out_dir / doc_id, out_pages, d, inv.invoice_date)
        notes += "; " + d.describe() + ("; received stamp" if d.stamp else "")
    fields, items = build_labels(ctx)
    return {
        "file": path.name, "fields": fields, "items": items, "modality": kind, "language": inv.lang,
        "locale": locale, "layout": layout, "doc_type": "invoice", "label_kind": "synthetic",
        "pages": len(ctx.doc.pages), "source": f"bench/synth.py seed={seed} index={index}", "notes": notes,
    }


def generate(out_dir: Path, n: int, seed: int, scans_fraction: float = 0.4,
             locales: list[str] | None = None) -> list[dict[str, Any]]:
    """Write ``n`` documents and ``labels.jsonl`` into ``out_dir``; returns the label records.

    Deterministic for a given ``seed``; document ``i`` does not depend on ``n`` or on other documents.
    """
    locs = list(locales) if locales else list(l10n.LOCALES)
    unknown = [loc for loc in locs if loc not in l10n.LOCALES]
    if unknown:
        raise ValueError(f"unknown locale(s) {unknown}; known: {sorted(l10n.LOCALES)}")
    if not 0.0 <= scans_fraction <= 1.0:
        raise ValueError("scans_fraction must be within [0, 1]")
    if n < 0:
        raise ValueError("n must not be negative")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = [make_document(out_dir, seed, i, scans_fraction, locs) for i in range(n)]
    with (out_dir / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return records



# ============================================================================================================
# Vendor streams: several invoices of one vendor (for measuring learning from corrections)
# ============================================================================================================


def _regime(inv: Invoice) -> tuple[bool, bool, bool, bool, bool]:
    """What makes two invoices of one vendor to one customer alike in their tax wording."""
    return (inv.reverse_charge, inv.small_business, inv.customer.person, inv.no_tax_line,
            any(g.rate for g in inv.groups))


def make_stream(out_dir: Path, seed: int, vendor: int, n: int, kind: str = "digital_pdf",
                locale: str | None = None, layout: str | None = None) -> list[dict[str, Any]]:
    """Write ``n`` invoices of one vendor to one customer and return their label records, in issue order.

    Why: a vendor prints every invoice from one template, so an extractor's mistakes on a vendor repeat; this
    is what learning from a clerk's corrections works on. Vendor-level things are drawn once: locale, layout,
    the parties, currency, bank account, our customer number, the payment term, the invoice-number style and
    the look (fonts, label wording, number/date/currency formats: the style generator starts from the same
    state for every invoice and label synonyms are shared). Each invoice draws its own number, dates (about a
    month apart), order number, items and totals; its tax regime matches the vendor's. Layout choices made
    after the item table (which optional total lines to print) may still differ between invoices. ``kind`` is
    "digital_pdf", "scan" or "photo". Deterministic in ``(seed, vendor, n, kind, locale, layout)`` and
    independent of ``generate``'s documents.
    """
    vrng = random.Random(f"invoice-synth-stream:{seed}:{vendor}")
    locale = locale or vrng.choice(list(l10n.LOCALES))
    layout = layout or wchoice(vrng, [(name, 0.8 if name == "two_page" else 1.0) for name in LAYOUTS])
    base = make_invoice(vrng, locale, layout)
    template, day_choices, eom = vrng.choice(l10n.TERMS[base.lang])
    days = vrng.choice(day_choices)
    id_style, id_prefix = vrng.choice(INVOICE_ID_STYLES), vrng.choice(ID_PREFIX[base.lang])
    style_seed = f"invoice-synth-stream-style:{seed}:{vendor}"
    start = dt.date(2022, 1, 1) + dt.timedelta(days=vrng.randint(0, 900))
    min_size = 6.5 if kind == "digital_pdf" else 7.0
    wording: dict[tuple[str, str | None, str | None], str] = {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for k in range(n):
        for attempt in range(200):
            irng = random.Random(f"invoice-synth-stream:{seed}:{vendor}:{k}:{attempt}")
            inv = make_invoice(irng, locale, layout)
            if _regime(inv) == _regime(base):
                break
        when = start + dt.timedelta(days=30 * k + irng.randint(-6, 6))
        shift = when - inv.invoice_date
        due = when + dt.timedelta(days=days)
        if eom:
            due = dt.date(due.year, due.month, calendar.monthrange(due.year, due.month)[1])
        first_of_month = dt.date(when.year, when.month, 1)
        inv = replace(
            inv, vendor=base.vendor, customer=base.customer, ship_to=base.ship_to, currency=base.currency,
            bank=base.bank, iban=base.iban, bic=base.bic, us_account=base.us_account, customer_id=base.customer_id,
            contact=base.contact, manager=base.manager, term_text=template.format(days=days),
            invoice_id=_id_from(irng, (id_style,), when, id_prefix), invoice_date=when, due_date=due,
            delivery_date=inv.delivery_date + shift, order_date=inv.order_date + shift,
            period=(_add_months(first_of_month, -1), first_of_month - dt.timedelta(days=1)),
        )
        ctx = render_invoice(random.Random(style_seed), inv, layout, min_size, wording)
        stem = out_dir / f"stream-{seed}-{vendor:03d}-{k:02d}"
        notes = f"synthetic vendor stream {vendor} #{k + 1} ({locale}, layout {layout})"
        if kind != "digital_pdf":  # scanner settings drawn as in make_document, without a "received" stamp
            d = draw_degrade(irng, kind, len(ctx.doc.pages))
            d.stamp = False
            nrng = np.random.default_rng(irng.getrandbits(64))
            pages = [degrade_page(p, d, irng, nrng) for p in rasterise(ctx.doc.render(), d.dpi, gray=d.gray)]
            path = write_raster(stem, pages, d, when)
            notes += "; " + d.describe()
        else:
            path = stem.with_suffix(".pdf")
            path.write_bytes(ctx.doc.render())
        fields, items = build_labels(ctx)
        records.append({
            "file": path.name, "fields": fields, "items": items, "modality": kind, "language": inv.lang,
            "locale": locale, "layout": layout, "doc_type": "invoice", "label_kind": "synthetic",
            "pages": len(ctx.doc.pages), "stream": vendor, "position": k + 1,
            "source": f"bench/synth.py make_stream seed={seed} vendor={vendor} index={k}", "notes": notes,
        })
    return records


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument("--n", type=int, default=100, help="number of documents")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scans-fraction", type=float, default=0.4,
                    help="share of scans/photos (rest: digital PDF)")
    ap.add_argument("--locales", default=None, help=f"comma-separated subset of {','.join(l10n.LOCALES)}")
    args = ap.parse_args(argv)
    locales = [s.strip() for s in args.locales.split(",") if s.strip()] if args.locales else None
    t0 = time.perf_counter()
    try:
        records = generate(args.out, args.n, args.seed, args.scans_fraction, locales)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dt_s = time.perf_counter() - t0
    kinds: dict[str, int] = {}
    for r in records:
        kinds[r["modality"]] = kinds.get(r["modality"], 0) + 1
    print(f"wrote {len(records)} documents to {args.out} in {dt_s:.1f}s "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
