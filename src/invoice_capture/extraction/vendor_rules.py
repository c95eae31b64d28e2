"""Declarative extra fields per vendor, from the tenant's config: "the loyalty number on Contoso's invoices".

A rule names the vendor it applies to, the field it adds, the value's type, and where the value is:
- ``label``: a regex of the printed label; the value is the first match of ``pattern`` after the label on the same
  line, else on the next line (Azure's key-value pairs, when the keyValuePairs feature ran, are tried first);
- ``region``: a page and a box in fractions of the page (``[x0, y0, x1, y1]``, origin top-left), for values
  printed without a label at a fixed place; with a ``label`` too, the label is searched inside the region.

```yaml
vendor_rules:
  - vendor: Contoso                 # contained in the vendor name as read, case-insensitive ("*": every vendor)
    field: LoyaltyNumber
    type: id                        # text | id | amount | date (date_order: DMY | MDY for numeric dates)
    label: "loyalty\\s*(?:program\\s*)?(?:number|no\\.?)"
    pattern: "[A-Z]{2}-?\\d{4,}"    # optional; each type has a default
  - vendor: Adatum
    field: CostCentre
    type: text
    region: {page: 1, box: [0.6, 0.0, 1.0, 0.15]}
```

A value a rule finds is not a guess: it had the configured label or place and the configured shape, so it gets
the rule's ``confidence`` (default 0.85: shown as "check this" until a tenant measures its own rules).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from invoice_capture.extraction.model import Page, json_value
from invoice_capture.extraction.normalize import parse_amount, parse_date

TYPES = ("text", "id", "amount", "date")
DEFAULT_PATTERNS = {
    "text": r"\S.*\S|\S",
    "id": r"[A-Za-z0-9][A-Za-z0-9./_-]*\d[A-Za-z0-9./_-]*",
    "amount": r"[-−]?[$€£¥]?\s?\d[\d.,' ]*\d(?:\s?[$€£¥])?|\d",
    "date": r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.?\s+[A-Za-zäéû]+\.?\s+\d{4}|[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}",
}


@dataclass(frozen=True)
class Region:
    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class VendorRule:
    vendor: str
    field: str
    type: str = "text"
    label: re.Pattern[str] | None = None
    pattern: re.Pattern[str] | None = None
    region: Region | None = None
    confidence: float = 0.85
    #: "DMY" or "MDY": how this vendor writes numeric dates (without it, 03/04/2024 is left out, not guessed).
    date_order: str | None = None

    @property
    def value_re(self) -> re.Pattern[str]:
        return self.pattern or re.compile(DEFAULT_PATTERNS[self.type])


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold().strip()


def vendor_matches(rule_vendor: str, vendor: str) -> bool:
    """A rule's vendor applies when it is contained in the vendor name as read (``*`` applies to all)."""
    return rule_vendor == "*" or (bool(vendor) and _fold(rule_vendor) in _fold(vendor))


def _compile(raw: Any, what: str, i: int) -> re.Pattern[str] | None:
    if raw in (None, ""):
        return None
    try:
        return re.compile(str(raw), re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"vendor_rules[{i}].{what}: not a valid regular expression ({exc})") from exc


def _region(raw: Any, i: int) -> Region | None:
    if raw is None:
        return None
    box = raw.get("box") if isinstance(raw, Mapping) else None
    if not (isinstance(box, Sequence) and len(box) == 4 and all(isinstance(x, int | float) for x in box)
            and 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1):
        raise ValueError(f"vendor_rules[{i}].region: needs 'box: [x0, y0, x1, y1]' in fractions of the page "
                         "(0..1, x0 < x1, y0 < y1)")
    return Region(int(raw.get("page", 1)), (float(box[0]), float(box[1]), float(box[2]), float(box[3])))


def parse_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[VendorRule, ...]:
    """Rules from the config; a rule that cannot work raises ValueError naming it (at start, not on an invoice)."""
    rules = []
    for i, r in enumerate(raw):
        if not isinstance(r, Mapping) or not r.get("vendor") or not r.get("field"):
            raise ValueError(f"vendor_rules[{i}]: needs at least 'vendor' and 'field'")
        kind = str(r.get("type", "text"))
        if kind not in TYPES:
            raise ValueError(f"vendor_rules[{i}].type: {kind!r} is not one of {', '.join(TYPES)}")
        rule = VendorRule(vendor=str(r["vendor"]), field=str(r["field"]), type=kind,
                          label=_compile(r.get("label"), "label", i), pattern=_compile(r.get("pattern"), "pattern", i),
                          region=_region(r.get("region"), i), confidence=float(r.get("confidence", 0.85)),
                          date_order=str(r["date_order"]).upper() if r.get("date_order") else None)
        if rule.date_order not in (None, "DMY", "MDY"):
            raise ValueError(f"vendor_rules[{i}].date_order: must be DMY or MDY")
        if rule.label is None and rule.region is None:
            raise ValueError(f"vendor_rules[{i}]: needs a 'label' or a 'region' to find the value by")
        if not 0 < rule.confidence < 1:
            raise ValueError(f"vendor_rules[{i}].confidence: must be between 0 and 1")
        rules.append(rule)
    return tuple(rules)


def _typed(rule: VendorRule, text: str) -> Any:
    text = text.strip()
    if rule.type == "amount":
        return parse_amount(text)
    if rule.type == "date":
        parsed = parse_date(text, rule.date_order)
        return parsed.value if parsed is not None and (rule.date_order or not parsed.ambiguous) else None
    return text or None


def _value_in(rule: VendorRule, text: str) -> tuple[Any, str] | None:
    m = rule.value_re.search(text)
    if not m:
        return None
    value = _typed(rule, m.group(0))
    return (value, m.group(0).strip()) if value is not None else None


def _after_label(rule: VendorRule, lines: list[str]) -> tuple[Any, str] | None:
    assert rule.label is not None
    for i, line in enumerate(lines):
        m = rule.label.search(line)
        if not m:
            continue
        rest = line[m.end():].lstrip(" \t:#.-–")
        found = _value_in(rule, rest) if rest else None
        if found is None and i + 1 < len(lines):
            found = _value_in(rule, lines[i + 1])
        if found is not None:
            return found
    return None


def _region_lines(region: Region, pages: Sequence[Page]) -> tuple[list[str], tuple[float, float, float, float]]:
    """The words whose centre lies in the region, as lines (top to bottom, left to right)."""
    page = next((p for p in pages if p.number == region.page), None)
    if page is None:
        return [], (0, 0, 0, 0)
    x0, y0, x1, y1 = (region.box[0] * page.width, region.box[1] * page.height, region.box[2] * page.width,
                      region.box[3] * page.height)
    inside = [w for w in page.words if x0 <= (w.x0 + w.x1) / 2 <= x1 and y0 <= (w.y0 + w.y1) / 2 <= y1]
    inside.sort(key=lambda w: (round((w.y0 + w.y1) / 2 / 4), w.x0))
    lines: list[list[str]] = []
    last = None
    for w in inside:
        row = round((w.y0 + w.y1) / 2 / 4)
        if row != last:
            lines.append([])
            last = row
        lines[-1].append(w.text)
    return [" ".join(ln) for ln in lines], (x0, y0, x1, y1)


def _field(rule: VendorRule, value: Any, text: str, page: int | None, bbox: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"value": json_value(value), "text": text, "confidence": rule.confidence,
                           "method": "rule"}
    if page is not None:
        out["page"] = page
    if bbox is not None:
        out["bbox"] = [round(float(c), 1) for c in bbox]
    return out


def apply_rules(result: Mapping[str, Any], rules: Sequence[VendorRule], pages: Sequence[Page] = ()
                ) -> dict[str, dict[str, Any]]:
    """The fields the rules for this result's vendor find (contract JSON), by field name; the first rule that
    finds a value for a field wins."""
    vendor = str(((result.get("fields") or {}).get("VendorName") or {}).get("value") or "")
    lines = [ln for ln in str(result.get("content") or "").splitlines() if ln.strip()]
    out: dict[str, dict[str, Any]] = {}
    for rule in rules:
        if rule.field in out or not vendor_matches(rule.vendor, vendor):
            continue
        if rule.region is not None:
            region_lines, box = _region_lines(rule.region, pages)
            found = _after_label(rule, region_lines) if rule.label else _value_in(rule, "\n".join(region_lines))
            if found is not None:
                out[rule.field] = _field(rule, found[0], found[1], rule.region.page, box)
            continue
        for kv in result.get("key_values") or []:
            if rule.label is not None and rule.label.search(str(kv.get("key", ""))):
                found = _value_in(rule, str(kv.get("value", "")))
                if found is not None:
                    out[rule.field] = _field(rule, found[0], found[1], kv.get("page"), kv.get("bbox"))
                    break
        if rule.field not in out and (found := _after_label(rule, lines)) is not None:
            out[rule.field] = _field(rule, found[0], found[1], None, None)
    return out


def text_layer_pages(path: Any) -> list[Page]:
    """Words of a PDF's text layer, for region rules (other files: none; a scan's words live in the worker)."""
    from pathlib import Path

    from invoice_capture.extraction.pdf import open_pdf, text_layer_words

    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF"):
        return []
    pages = []
    with open_pdf(data) as pdf:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                pages.append(text_layer_words(page, i + 1))
            finally:
                page.close()
    return pages
