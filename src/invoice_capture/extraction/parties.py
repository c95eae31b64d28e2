"""Who sent the invoice and who receives it: names, addresses, and the blocks they sit in.

Invoices show parties in a few recurring ways, and each has a rule here:
- a section headed by a party word ("Verkäufer", "Seller", "Bill to", "Käufer/Leistungsempfänger") followed by
  its lines, either as "Name: X / Anschrift: Y" pairs or as a plain name line and address lines;
- the sender line above a German/European address window ("Firma GmbH - Straße 1 - 12345 Ort"): its first part is
  the vendor, and the block right under it is the recipient;
- a letterhead: the vendor's name at the top of page 1 (large type, a legal form), its address under it.
Addresses are normalised to "street, postcode city, CC" so that "DE 80333 München" and "D-80333 München" read the
same as the e-invoice form "80333 München, DE".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from invoice_capture.extraction.fields import Candidate, _is_label_only
from invoice_capture.extraction.labels import LabelHit, find_labels
from invoice_capture.extraction.layout import Layout, Line, Segment, union
from invoice_capture.extraction.model import BBox
from invoice_capture.extraction.normalize import country_from_text

_SENDER_SEP = re.compile(r"\s+[-–—·•●|]\s+|\s*[·•●|]\s*")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}[- ]?)?\d{4,5}\b|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|\b\d{4} ?[A-Z]{2}\b")
_POSTAL_CITY = re.compile(r"\b(?:[A-Z]{1,2}[- ]?)?\d{4,5}\s*[A-ZÄÖÜÉ][\w\-]+|\b\d{4}\s?[A-Z]{2}\s+[A-Z]\w+")
_CC_POSTCODE = re.compile(r"^(?P<cc>[A-Z]{1,2})[- ](?P<rest>\d{4,5}\b.*)$")
_CONTACT = re.compile(r"@|www\.|https?:|\b(tel|fax|phone|telefon|telefoon|email|e-mail|mobil|iban|bic)\b", re.I)
_COUNTRY_CODES = {"D": "DE", "A": "AT", "F": "FR", "I": "IT", "B": "BE", "L": "LU", "E": "ES", "NL": "NL",
                  "CH": "CH", "DE": "DE", "AT": "AT", "FR": "FR", "IT": "IT", "BE": "BE", "LU": "LU", "ES": "ES"}


@dataclass(slots=True)
class Party:
    role: str  # "vendor" | "customer"
    name: Candidate | None
    address: str | None
    address_bbox: BBox | None
    recipient: str | None
    lines: set[int]


def normalise_address_line(text: str) -> str:
    """'DE 80333 München' / 'D-80333 München' -> '80333 München, DE' (country code last, as e-invoices do)."""
    t = text.strip().rstrip(",")
    m = _CC_POSTCODE.match(t)
    if m and m.group("cc") in _COUNTRY_CODES:
        return f"{m.group('rest').strip()}, {_COUNTRY_CODES[m.group('cc')]}"
    return t


def _is_country_line(text: str) -> bool:
    """A line that only names a country ("Nederland", "Germany"): dropped from addresses, as labels do."""
    return len(text.split()) <= 2 and not any(c.isdigit() for c in text) and country_from_text(text) is not None


def join_address(lines: list[str]) -> str:
    """Address lines as one string, "street, postcode city, CC": a country named on its own line becomes its code."""
    parts = [normalise_address_line(x) for x in lines if x.strip()]
    if len(parts) > 1 and _is_country_line(parts[-1]):
        code = country_from_text(parts[-1])
        parts = parts[:-1]
        if code and not re.search(rf",\s*{code}$", parts[-1]):
            parts.append(code)
    return ", ".join(parts)


def _line_value(line: Line) -> tuple[str, Segment] | None:
    """The value of a "Label: value" line, or the whole line when it carries no label."""
    segs = line.segments
    first = segs[0]
    hits = find_labels(first.text)
    if hits and hits[0].start == 0:
        rest = first.text[hits[0].end:].lstrip(" :")
        if rest:
            sub = first.sub(len(first.text) - len(rest), len(first.text))
            return (rest, sub) if sub else None
        if len(segs) > 1:
            nxt = segs[1]
            return nxt.text.lstrip(": ").strip(), nxt
        return None
    return first.text.strip(), first


def _lead_label(line: Line) -> LabelHit | None:
    """The label a line starts with ("Name:", "Anschrift:", "Bill to"), if any."""
    hits = find_labels(line.segments[0].text)
    return hits[0] if hits and hits[0].start == 0 else None


def section_parties(layout: Layout) -> list[Party]:
    """Parties under a heading line that holds only a party word ("Verkäufer", "Bill to:", "Seller")."""
    out: list[Party] = []
    lines = layout.lines
    for ln in lines:
        if len(ln.segments) != 1:
            continue
        text = ln.segments[0].text
        hits = find_labels(text)
        if len(hits) != 1 or hits[0].field not in ("VendorName", "CustomerName") or not _is_label_only(text):
            continue
        if text[hits[0].end:].strip(" :"):
            continue  # "Customer: 2" is a value, not a heading
        role = "vendor" if hits[0].field == "VendorName" else "customer"
        body: list[Line] = []
        prev = ln
        for nxt in lines[ln.index + 1: ln.index + 12]:
            if nxt.page != ln.page or nxt.bbox[1] - prev.bbox[3] > 1.6 * max(prev.height, 1.0):
                break
            if abs(nxt.bbox[0] - ln.bbox[0]) > 3 * max(ln.height, 1.0) and nxt.bbox[0] < ln.bbox[0]:
                break
            lead = _lead_label(nxt)
            f = lead.field if lead else None
            if f in ("VendorName", "CustomerName") and len(nxt.segments) == 1 and _is_label_only(nxt.segments[0].text):
                break
            if len(nxt.segments) >= 3:
                break  # a table starts
            body.append(nxt)
            prev = nxt
        party = _read_block(role, body, ln.index, hits[0].field)
        if party is not None:
            out.append(party)
    return out


def _read_block(role: str, body: list[Line], header: int, own_field: str) -> Party | None:
    name: Candidate | None = None
    addr_lines: list[str] = []
    addr_boxes: list[BBox] = []
    used: set[int] = {header}
    in_address = False
    for ln in body:
        lead = _lead_label(ln)
        phrase = lead.phrase if lead else None
        if lead is not None:
            in_address = False
            val = _line_value(ln)
            if (phrase == "name" or lead.field == own_field) and val and name is None:
                name = _name_cand(role, val[0], val[1], ln, 0.9)
                used.add(ln.index)
            elif phrase in ("anschrift", "adresse", "address", "adres", "direccion", "indirizzo") and val:
                addr_lines.append(val[0])
                addr_boxes.append(val[1].bbox)
                used.add(ln.index)
                in_address = True
            else:
                used.add(ln.index)
            continue
        text = ln.segments[0].text.strip()
        if _CONTACT.search(text):
            in_address = False
            continue
        if in_address or (name is not None and any(c.isdigit() for c in text) and len(addr_lines) < 3):
            addr_lines.append(text)
            addr_boxes.append(ln.segments[0].bbox)
            used.add(ln.index)
            in_address = True
            continue
        if (name is None and any(c.isalpha() for c in text) and not text.endswith(":")
                and not text[:1].isdigit() and sum(c.isdigit() for c in text) <= 4):
            name = _name_cand(role, text, ln.segments[0], ln, 0.85)
            used.add(ln.index)
    if name is None:
        return None
    address = join_address(addr_lines) if addr_lines else None
    return Party(role, name, address, union(addr_boxes) if addr_boxes else None, None, used)


def _name_cand(role: str, text: str, seg: Segment, line: Line, score: float) -> Candidate:
    field = "VendorName" if role == "vendor" else "CustomerName"
    return Candidate(field, text.strip(), text.strip(), score, line.page, seg.bbox, "label", seg.conf, line.index,
                     extra={"section": True})


def sender_line_parties(layout: Layout) -> list[Party]:
    """'QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen' above an address window."""
    out: list[Party] = []
    for ln in layout.lines:
        if ln.page != 1:
            break
        run = [ln.segments[0]]
        for prev, s in zip(ln.segments, ln.segments[1:], strict=False):
            if s.bbox[0] - prev.bbox[2] > 3 * max(prev.height, 1.0):
                break
            run.append(s)
        whole = " ".join(s.text for s in run)
        for seg, text in [(s, s.text) for s in ln.segments] + [(ln.segments[0], whole)]:
            if len(_SENDER_SEP.findall(text)) < 2:
                continue
            parts = [p.strip() for p in _SENDER_SEP.split(text) if p.strip()]
            if len(parts) < 3 or not any(_POSTAL_CITY.search(p) for p in parts[1:]):
                continue
            if any(c.isdigit() for c in parts[0]) or len(parts[0]) < 2:
                continue
            vend = Candidate("VendorName", parts[0], parts[0], 0.86, ln.page, seg.bbox, "position", seg.conf,
                             ln.index, extra={"sender_line": True})
            address = join_address(parts[1:])
            out.append(Party("vendor", vend, address, seg.bbox, None, {ln.index}))
            recipient = _block_under(layout, ln, seg)
            if recipient is not None:
                out.append(recipient)
            return out
    return out


def _block_under(layout: Layout, line: Line, seg: Segment) -> Party | None:
    """The recipient block printed right under a sender line (name, then street and city)."""
    rows: list[tuple[Line, Segment]] = []
    prev = line
    for ln in layout.lines[line.index + 1: line.index + 8]:
        if ln.page != line.page or ln.bbox[1] - prev.bbox[3] > 3.2 * max(prev.height, 1.0):
            break
        cand = next((s for s in ln.segments if abs(s.bbox[0] - seg.bbox[0]) < 3 * max(seg.height, 1.0)), None)
        if cand is None:
            break
        if _CONTACT.search(cand.text) or sum(c.isdigit() for c in cand.text) > 8 or cand.text.lstrip()[:1] in "+(":
            prev = ln
            continue
        rows.append((ln, cand))
        prev = ln
    if not rows:
        return None
    first_ln, first_seg = rows[0]
    name = Candidate("CustomerName", first_seg.text.strip(), first_seg.text, 0.75, first_ln.page, first_seg.bbox,
                     "position", first_seg.conf, first_ln.index)
    addr = [s.text for _, s in rows[1:4] if not _CONTACT.search(s.text)]
    return Party("customer", name, join_address(addr) if addr else None,
                 union(s.bbox for _, s in rows[1:4]) if len(rows) > 1 else None, None,
                 {ln.index for ln, _ in rows})


def address_block(
    layout: Layout, line_index: int, x0: float, max_lines: int = 4
) -> tuple[str, str | None, BBox, list[int]] | None:
    """Address lines under a name: (address, recipient line if the block starts with one, bbox, lines).

    Label lines between the name and the address ("Customer ID: 123") are stepped over; a first line without
    digits followed by lines with digits is the recipient ("Contoso Headquarters", "Attn: Accounts"), which
    Azure's model reports apart from the address.
    """
    start = layout.lines[line_index]
    rows: list[tuple[str, BBox, int]] = []
    prev = start
    skipped = 0
    for ln in layout.lines[line_index + 1: line_index + 1 + max_lines + 3]:
        if ln.page != start.page or ln.bbox[1] - prev.bbox[3] > (1.3 if rows else 2.6) * max(prev.height, 1.0):
            break
        seg = next((s for s in ln.segments if abs(s.bbox[0] - x0) < 6), None)
        if seg is None:
            break
        t = seg.text.strip()
        if _lead_label(ln) is not None or (find_labels(t) and _is_label_only(t)):
            if rows or skipped >= 2:
                break
            skipped += 1
            prev = ln
            continue
        if _CONTACT.search(t):
            break
        rows.append((t.rstrip(","), seg.bbox, ln.index))
        prev = ln
        if len(rows) >= max_lines:
            break
    if not rows or not any(any(c.isdigit() for c in r[0]) for r in rows):
        return None
    recipient = None
    if len(rows) >= 2 and not any(c.isdigit() for c in rows[0][0]):
        recipient = rows[0][0]
        rows = rows[1:]
    texts = [r[0] for r in rows]
    return join_address(texts), recipient, union(r[1] for r in rows), [r[2] for r in rows]
