"""The vendor master: reading it from a CSV file, and finding the vendor an invoice comes from.

Matching goes from the strongest evidence to the weakest: a tax id names one legal entity, an IBAN names one
account (usually one vendor), and only then the printed name, compared fuzzily after the noise that differs
between a master file and a letterhead (case, punctuation, accents, "GmbH" vs "AG") is taken out. The scorer is
whole-string (``token_sort_ratio``), not a subset/partial one: "Contoso Ltd" must not be "Contoso Logistics Ltd"
just because one name contains the other. A name match that is not clear of the runner-up is flagged ambiguous
rather than guessed, and an id that points at one vendor while the name points clearly at another is reported:
that is how invoice fraud looks.

Everything here is pure (no database, no files): the store imports the records, the review side matches them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz

from invoice_capture.extraction.normalize.currency import ISO_4217
from invoice_capture.extraction.normalize.ids import (
    IBAN_LENGTHS,
    group_iban,
    iban_valid,
    normalize_iban,
    normalize_vat_id,
    vat_id_checksum_ok,
)

if TYPE_CHECKING:
    from invoice_capture.store.models import Vendor

#: Name scores this close (0-100) to the best one make a name match ambiguous.
AMBIGUITY_MARGIN = 5.0

#: Prefixes of VAT ids whose format the id validators know (EU member states incl. Greece as EL/GR and Northern
#: Ireland XI, plus GB, CH and NO). Only ids starting with one of these are checked as VAT ids: a US EIN or a
#: national tax number has no such prefix and is never flagged.
_VAT_PREFIX_LIST = "AT BE BG CY CZ DE DK EE EL GR ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI GB CH NO"
VAT_PREFIXES: frozenset[str] = frozenset(_VAT_PREFIX_LIST.split())

# column lengths of store.models.Vendor: longer values would fail on PostgreSQL, so they are line errors here
_MAX_LEN = {"name": 300, "tax_id": 64, "iban": 64, "default_approver": 128}


@dataclass(frozen=True)
class VendorRecord:
    """One vendor as the matcher sees it: from a CSV line (``id`` None) or from the store (``from_row``)."""

    id: int | None
    name: str
    aliases: tuple[str, ...] = ()
    tax_id: str = ""
    iban: str = ""
    currency: str = ""
    default_approver: str = ""

    @classmethod
    def from_row(cls, row: Vendor) -> VendorRecord:
        return cls(id=row.id, name=row.name, aliases=tuple(str(a) for a in (row.aliases or []) if str(a).strip()),
                   tax_id=row.tax_id or "", iban=row.iban or "", currency=row.currency or "",
                   default_approver=row.default_approver or "")


@dataclass(frozen=True)
class VendorMatch:
    """The vendor an invoice was matched to, how, and how sure.

    ``score`` is 100 for a tax id or IBAN match and the fuzzy name score otherwise. ``ambiguous`` means another
    vendor fits about as well (the card should ask, not assume); ``conflict`` means the id points at this vendor
    while the name points clearly at another. ``note`` says either in a plain sentence for the card.
    """

    vendor_id: int | None
    name: str
    by: Literal["tax_id", "iban", "name"]
    score: float
    vendor: VendorRecord
    ambiguous: bool = False
    conflict: bool = False
    note: str = ""
    #: Other vendors that scored close to this one (ambiguous matches), best first.
    alternatives: tuple[VendorRecord, ...] = ()


# --------------------------------------------------------------------------------------------------------------
# normalising ids and names


_TAX_STRIP_RE = re.compile(r"[\s.\-/]+")


def _compact_tax(s: str) -> str:
    return _TAX_STRIP_RE.sub("", s or "").upper()


def looks_like_vat_id(s: str) -> bool:
    """A known VAT country prefix followed by an alphanumeric body with a digit in it.

    Only such ids are checked against VAT formats: "12-3456789" (a US EIN) or "123/456/78901" (a German tax
    number) are tax ids too, but carry no VAT format to check.
    """
    v = _compact_tax(s)
    body = v[2:]
    return v[:2] in VAT_PREFIXES and len(body) >= 2 and body.isalnum() and any(c.isdigit() for c in body)


def tax_parts(s: str) -> tuple[str, str]:
    """(country prefix or "", the rest), without spaces, dots or dashes, upper case: "de 281.097.313" ->
    ("DE", "281097313"), "12-3456789" -> ("", "123456789"); Greece is EL, as VIES writes it."""
    v = _compact_tax(s)
    canon = normalize_vat_id(v)
    if canon is not None:
        return canon[:2], canon[2:]
    if looks_like_vat_id(v):
        return ("EL" if v[:2] == "GR" else v[:2]), v[2:]
    return "", v


def tax_key(s: str) -> str:
    """The part of a tax id that two spellings share, for indexing: no separators, no country prefix."""
    return tax_parts(s)[1]


def same_tax_id(a: str, b: str) -> bool:
    """Whether two tax ids name the same entity, with or without the country prefix.

    "DE 281 097 313", "de281097313" and "281097313" are the same id; "DE123456789" and "PT123456789" are not
    (both prefixes given and different). Ids shorter than 5 characters never match: too little to identify.
    """
    ca, ba = tax_parts(a)
    cb, bb = tax_parts(b)
    return len(ba) >= 5 and ba == bb and (not ca or not cb or ca == cb)


# Legal forms as token sequences, after dots are removed and case folded ("S.p.A." -> "spa", "Sp. z o.o." ->
# "sp z oo"). Only stripped from the end of a name, repeatedly ("GmbH & Co. KG").
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(f.split())
    for f in (
        "gmbh", "mbh", "ag", "kg", "cokg", "kgaa", "ohg", "ug", "ek", "gbr", "ev", "se",
        "ltd", "limited", "inc", "incorporated", "corp", "corporation", "llc", "llp", "lp", "plc", "co",
        "company", "pty", "pte", "bhd", "sdn", "kk", "gk",
        "sa", "s a", "sas", "sasu", "sarl", "eurl", "sca", "scs", "snc", "cie",
        "bv", "b v", "nv", "n v", "bvba", "vof", "cv",
        "spa", "s p a", "srl", "s r l", "sapa", "sl", "s l", "slu", "sau", "ltda", "lda",
        "oy", "oyj", "ab", "as", "asa", "aps", "a s", "sro", "s r o", "sp z oo", "zrt", "kft", "doo",
        "and", "und", "et", "&",
    )
)
_LEGAL_FORMS_LONGEST_FIRST = tuple(sorted(set(_LEGAL_FORMS), key=len, reverse=True))
# letters NFKD does not decompose
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_DROP_RE = re.compile(r"[.'’`´]")
_SPLIT_RE = re.compile(r"[^0-9a-z&]+")


_AND_WORDS = frozenset({"and", "und", "et"})


@functools.lru_cache(maxsize=8192)
def normalize_name(name: str) -> str:
    """A company name without case, accents, punctuation or trailing legal form: what two spellings share.

    "Müller & Söhne GmbH & Co. KG" -> "muller & sohne"; "ACME, Inc." -> "acme". A name that is nothing but a
    legal form keeps it (the vendor "AG" stays "ag").
    """
    s = unicodedata.normalize("NFKD", (name or "").casefold().translate(_FOLD))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _DROP_RE.sub("", s).replace("/", "").replace("&", " & ")
    tokens = [t for t in _SPLIT_RE.split(s) if t]
    # "Müller und Söhne", "Müller and Söhne" and "Müller & Söhne" are one name (not at either end: "Et Cie")
    tokens = [("&" if 0 < i < len(tokens) - 1 and t in _AND_WORDS else t) for i, t in enumerate(tokens)]
    while tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    stripped = list(tokens)
    changed = True
    while changed and stripped:
        changed = False
        for form in _LEGAL_FORMS_LONGEST_FIRST:
            n = len(form)
            if len(stripped) > n and tuple(stripped[-n:]) == form:
                stripped = stripped[:-n]
                changed = True
                break
    return " ".join(stripped or tokens)


def name_score(a: str, b: str) -> float:
    """0-100 similarity of two company names after ``normalize_name``.

    token_sort_ratio compares the whole strings (word order ignored), so a name contained in a longer one
    scores low ("contoso" vs "contoso logistics": 58), unlike partial/token_set scorers which give 100.
    """
    na, nb = normalize_name(a), normalize_name(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 100.0
    return float(fuzz.token_sort_ratio(na, nb))


def mask_iban(iban: str) -> str:
    """Country, check digits and the last four characters: enough to recognise an account in a card, not
    enough to copy it out of a chat."""
    v = normalize_iban(iban)
    if len(v) <= 8:
        return v
    return f"{v[:4]} … {v[-4:]}"


# --------------------------------------------------------------------------------------------------------------
# reading the extraction contract


def _value(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else f


def _text(v: Any) -> str:
    if isinstance(v, dict):
        v = v.get("value")
    return v.strip() if isinstance(v, str) else ""


def invoice_ibans(fields: dict[str, Any]) -> list[str]:
    """The IBANs in PaymentDetails, compact and de-duplicated, in document order.

    Entries may be {"IBAN": "DE..", "SWIFT": ".."}, {"IBAN": {"value": "DE.."}}, {"value": {"IBAN": ..}} (Azure's
    object shape) or a plain string.
    """
    details = _value(fields, "PaymentDetails")
    if isinstance(details, dict | str):
        details = [details]
    out: list[str] = []
    for entry in details if isinstance(details, list) else []:
        if isinstance(entry, dict) and "IBAN" not in entry and isinstance(entry.get("value"), dict | str):
            entry = entry["value"]  # {"value": {...}} or {"value": "DE.."}
        if isinstance(entry, dict):
            entry = entry.get("IBAN")
        iban = normalize_iban(_text(entry))
        if iban and iban not in out:
            out.append(iban)
    return out


# --------------------------------------------------------------------------------------------------------------
# CSV


_COLUMNS = ("name", "aliases", "tax_id", "iban", "currency", "default_approver")
_COLUMN_SYNONYMS = {
    "vendor": "name", "vendor_name": "name", "company": "name", "supplier": "name", "supplier_name": "name",
    "alias": "aliases", "vat": "tax_id", "vat_id": "tax_id", "vat_number": "tax_id", "taxid": "tax_id",
    "approver": "default_approver", "defaultapprover": "default_approver",
}
_ALIAS_SPLIT_RE = re.compile(r"[;|]")
_SPACES_RE = re.compile(r"\s+")


def _column(header: str) -> str:
    key = re.sub(r"[\s\-]+", "_", header.strip().strip("\ufeff").casefold()).strip("_")
    return _COLUMN_SYNONYMS.get(key, key)


def _delimiter(header_line: str) -> str:
    """Comma or semicolon (Excel in most of Europe saves CSV with ";"), whichever the header uses more."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_iban(raw: str) -> tuple[str, str | None]:
    iban = normalize_iban(raw)
    if iban_valid(iban):
        return iban, None
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return iban, f"the IBAN {raw.strip()} has {len(iban)} characters, but a {iban[:2]} IBAN has {expected}"
    if expected is None:
        return iban, f"the IBAN {raw.strip()} does not start with a country code that has IBANs"
    return iban, f"the IBAN {raw.strip()} fails its checksum (a digit is wrong or two are swapped)"


def vat_problem(raw: str, whose: str = "the VAT id") -> str | None:
    """Why a VAT-looking id is wrong ("... does not have the format of a DE VAT id"), or None if it is fine or is
    not a VAT id at all (no known country prefix)."""
    if not raw or not looks_like_vat_id(raw):
        return None
    compact = _compact_tax(raw)
    country = "EL" if compact[:2] == "GR" else compact[:2]
    if normalize_vat_id(compact) is None:
        return f"{whose} {raw.strip()} does not have the format of a {country} VAT id"
    if vat_id_checksum_ok(compact) is False:
        return f"{whose} {raw.strip()} fails its check digit (a digit is wrong or two are swapped)"
    return None


def _clean_tax_id(raw: str) -> str:
    """VAT ids in their canonical compact form (what the store compares); other tax ids as written."""
    return normalize_vat_id(raw) or _SPACES_RE.sub(" ", raw.strip())


def _sentence(line: int, problems: list[str]) -> str:
    text = "; ".join(problems)
    return f"Line {line}: {text[0].upper()}{text[1:]}."


def read_csv(text: str) -> tuple[list[VendorRecord], list[str]]:
    """Vendor records from a CSV export, and one plain sentence per line that could not be used.

    The header row is required (names case- and space-insensitive: "Tax ID" is ``tax_id``); the delimiter is
    sniffed from it (comma or semicolon); aliases are split on ";" or "|". Bad lines are reported with their line
    number in the file and left out; good lines are still returned, so one typo does not block the import. An
    empty result with errors means the file as a whole was not usable.
    """
    text = (text or "").lstrip("\ufeff")
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        return [], ["The file is empty: it needs a header row (name, aliases, tax_id, iban, currency, "
                    "default_approver) and one line per vendor."]
    delim = _delimiter(lines[first])
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    header_line = 0
    columns: list[str] = []
    for row in reader:
        if any(c.strip() for c in row):
            header_line = reader.line_num
            columns = [_column(c) for c in row]
            break
    if "name" not in columns:
        return [], [f"Line {header_line}: the header row has no 'name' column (found: "
                    f"{', '.join(c for c in columns if c) or 'nothing'}); the columns are {', '.join(_COLUMNS)}."]

    records: list[VendorRecord] = []
    errors: list[str] = []
    seen_names: dict[str, int] = {}
    seen_tax: dict[str, list[tuple[str, int]]] = {}
    prev_end = reader.line_num
    for row in reader:
        line, prev_end = prev_end + 1, reader.line_num
        cells = {col: row[i].strip() for i, col in enumerate(columns) if col in _COLUMNS and i < len(row)}
        if not any(c.strip() for c in row):
            continue
        problems: list[str] = []
        name = _SPACES_RE.sub(" ", cells.get("name", ""))
        if not name:
            problems.append("the vendor name is missing (the name column is empty)")
        iban = ""
        if cells.get("iban"):
            iban, why = _check_iban(cells["iban"])
            if why:
                problems.append(why)
        tax_id = cells.get("tax_id", "")
        why = vat_problem(tax_id)
        if why:
            problems.append(why)
        currency = cells.get("currency", "").upper()
        if currency and currency not in ISO_4217:
            problems.append(f"the currency {cells['currency']} is not an ISO 4217 code (EUR, USD, GBP, ...)")
        tax_id = _clean_tax_id(tax_id) if tax_id else ""
        values = {"name": name, "tax_id": tax_id, "iban": iban, "default_approver": cells.get("default_approver", "")}
        problems += [f"the {col.replace('_', ' ')} is longer than {limit} characters"
                     for col, limit in _MAX_LEN.items() if len(values[col]) > limit]
        if not problems and name.casefold() in seen_names:
            problems.append(f"the vendor {name} is already on line {seen_names[name.casefold()]}")
        tkey = tax_key(tax_id) if tax_id else ""
        earlier = next((ln for t, ln in seen_tax.get(tkey, []) if same_tax_id(t, tax_id)), None)
        if not problems and earlier is not None:
            problems.append(f"the tax id {tax_id} is already on line {earlier}")
        if problems:
            errors.append(_sentence(line, problems))
            continue
        seen_names[name.casefold()] = line
        if tkey:
            seen_tax.setdefault(tkey, []).append((tax_id, line))
        aliases: list[str] = []
        for a in _ALIAS_SPLIT_RE.split(cells.get("aliases", "")):
            a = _SPACES_RE.sub(" ", a.strip())
            if a and a.casefold() != name.casefold() and a.casefold() not in (x.casefold() for x in aliases):
                aliases.append(a)
        records.append(VendorRecord(id=None, name=name, aliases=tuple(aliases), tax_id=tax_id, iban=iban,
                                    currency=currency, default_approver=values["default_approver"]))
    return records, errors


# --------------------------------------------------------------------------------------------------------------
# matching


def _best_name_score(vendor: VendorRecord, names: Sequence[str]) -> float:
    return max((name_score(n, cand) for n in names for cand in (vendor.name, *vendor.aliases)), default=0.0)


def _invoice_names(fields: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("VendorName", "VendorAddressRecipient"):
        t = _text(_value(fields, key))
        if t and t not in out:
            out.append(t)
    return out


def _pick(candidates: list[VendorRecord], names: Sequence[str], ibans: Sequence[str]) -> tuple[VendorRecord, bool]:
    """Of several vendors sharing an id (branches under one VAT id, vendors paid through one factoring account),
    the one whose IBAN and then name fit best; ambiguous when that does not separate them."""
    if len(candidates) == 1:
        return candidates[0], False

    def fit(v: VendorRecord) -> tuple[bool, float]:
        return bool(v.iban) and normalize_iban(v.iban) in ibans, _best_name_score(v, names)

    ranked = sorted(candidates, key=fit, reverse=True)
    (a_iban, a_name), (b_iban, b_name) = fit(ranked[0]), fit(ranked[1])
    return ranked[0], a_iban == b_iban and a_name - b_name < AMBIGUITY_MARGIN


def _id_match(by: Literal["tax_id", "iban"], what: str, candidates: list[VendorRecord], vendors: Sequence[VendorRecord],
              names: Sequence[str], ibans: Sequence[str], threshold: float) -> VendorMatch:
    vendor, ambiguous = _pick(candidates, names, ibans)
    note, conflict = "", False
    others = tuple(v for v in candidates if v is not vendor)
    if ambiguous:
        note = (f"The {what} on this invoice is on file for {len(candidates)} vendors ("
                f"{', '.join(v.name for v in candidates)}); pick the right one.")
    elif names and _best_name_score(vendor, names) < threshold:
        scored = [(v, _best_name_score(v, names)) for v in vendors if v is not vendor]
        other, score = max(scored, key=lambda t: t[1], default=(None, 0.0))
        if other is not None and score >= threshold:
            conflict = True
            note = (f"The {what} on this invoice belongs to {vendor.name}, but the vendor name on it, "
                    f"“{names[0]}”, matches {other.name}. Check who sent it before paying.")
    return VendorMatch(vendor_id=vendor.id, name=vendor.name, by=by, score=100.0, vendor=vendor,
                       ambiguous=ambiguous, conflict=conflict, note=note, alternatives=others if ambiguous else ())


def match_vendor(vendors: Sequence[VendorRecord], fields: dict[str, Any], *,
                 threshold: float = 88) -> VendorMatch | None:
    """The master vendor this invoice comes from: by tax id, else IBAN, else fuzzy name; None when none fits.

    ``fields`` is the extraction contract's field dict. A name match must reach ``threshold`` (0-100); when a
    second vendor scores within ``AMBIGUITY_MARGIN`` of the best, the match is returned with ``ambiguous`` set
    and the alternatives listed, so the card asks instead of guessing.
    """
    if not vendors:
        return None
    names = _invoice_names(fields)
    ibans = invoice_ibans(fields)

    raw_tax = _text(_value(fields, "VendorTaxId"))
    if raw_tax:
        hits = [v for v in vendors if v.tax_id and same_tax_id(v.tax_id, raw_tax)]
        if hits:
            return _id_match("tax_id", f"tax id {raw_tax}", hits, vendors, names, ibans, threshold)

    for iban in ibans:
        hits = [v for v in vendors if v.iban and normalize_iban(v.iban) == iban]
        if hits:
            return _id_match("iban", f"IBAN {mask_iban(iban)}", hits, vendors, names, ibans, threshold)

    if not names:
        return None
    scored = sorted(((v, _best_name_score(v, names)) for v in vendors), key=lambda t: t[1], reverse=True)
    best, score = scored[0]
    if score < threshold:
        return None
    close = tuple(v for v, s in scored[1:] if s >= threshold - AMBIGUITY_MARGIN and score - s < AMBIGUITY_MARGIN)
    note, conflict = "", False
    if close:
        note = (f"The vendor name “{names[0]}” fits {best.name} and also {', '.join(v.name for v in close)}; "
                "pick the right one.")
    elif len(tax_key(raw_tax)) >= 5 and best.tax_id and not same_tax_id(best.tax_id, raw_tax):
        conflict = True
        note = (f"The vendor name matches {best.name}, but the tax id on this invoice ({raw_tax}) is not the one on "
                f"file ({best.tax_id}). Check who sent it before paying.")
    return VendorMatch(vendor_id=best.id, name=best.name, by="name", score=round(score, 1), vendor=best,
                       ambiguous=bool(close), conflict=conflict, note=note, alternatives=close)


def bank_mismatch(vendor: VendorRecord, fields: dict[str, Any]) -> str | None:
    """A sentence for the card when the invoice asks to be paid into an account that is not the vendor's on file.

    Changed bank details are the classic invoice fraud, so the advice is the standard control: confirm by phone
    on a number already known, never one printed on the invoice. Formatting (spaces, case) is not a difference.
    No sentence when the master has no IBAN or the invoice shows none: there is nothing to compare.
    """
    master = normalize_iban(vendor.iban)
    ibans = invoice_ibans(fields)
    if not master or not ibans or master in ibans:
        return None
    shown = ", ".join(mask_iban(i) for i in ibans)
    on_file = mask_iban(master)
    if on_file in {mask_iban(i) for i in ibans}:
        on_file += "; they differ in the middle digits"
    plural = len(ibans) > 1
    misread = ""
    if not any(iban_valid(i) for i in ibans):
        misread = (" The invoice's IBAN also fails its checksum, so it may be a misread, but check it."
                   if not plural else " The invoice's IBANs also fail their checksums, so they may be misreads.")
    return (f"The IBAN{'s' if plural else ''} on this invoice ({shown}) {'are' if plural else 'is'} not the one on "
            f"file for {vendor.name} ({on_file}). Call the vendor on a number you already have before paying."
            f"{misread}")


def validate_invoice_ids(fields: dict[str, Any]) -> list[str]:
    """Sentences for ids on the invoice that cannot be right: an IBAN failing its checksum, a vendor or customer
    VAT id that does not have its country's format or check digit.

    Only ids that look like VAT ids (a known country prefix) are checked, so a US EIN or a national tax number
    is never flagged.
    """
    out: list[str] = []
    for iban in invoice_ibans(fields):
        if not iban_valid(iban):
            out.append(f"The IBAN {group_iban(iban)} on this invoice fails its checksum: a character was probably "
                       "misread or mistyped. Compare it with the document before paying.")
    for name, whose in (("VendorTaxId", "The vendor's VAT id"), ("CustomerTaxId", "The customer VAT id")):
        why = vat_problem(_text(_value(fields, name)), whose)
        if why:
            out.append(why + ".")
    return out

