"""Pieces every card shares: the envelope, text blocks, formatting, confidence markers, fact rows, a header.

Text that comes from outside (anything read from a document or typed by a person) and holds anything markdown
would act on goes into a RichTextBlock TextRun, which renderers show verbatim: an invoice cannot put a link or
formatting onto our card, and ``show <invoice number>`` is not swallowed as HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

GOOD_CONFIDENCE = 0.9
CHECK_CONFIDENCE = 0.65

CARD_BUDGET = 26_000
"""Bytes a card may take: Teams refuses messages over 28 KB, and the activity around the card needs room."""

MAX_TEXT = 200
"""Characters of one external value shown on a card; keeps every card far below Teams' 28 KB."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                     "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
"""ISO 4217 currencies whose amounts are not written with two decimals (1,200 JPY, 12.500 KWD)."""

STATE_WORDS = {
    "received": "Received",
    "extracting": "Reading",
    "needs_review": "Needs review",
    "auto_approved": "Approved automatically",
    "approved": "Approved",
    "rejected": "Rejected",
    "escalated": "Escalated",
    "exported": "Exported",
    "failed": "Failed",
}


def card(body: list[dict], actions: list[dict] | None = None, *, refresh: dict | None = None,
         fallback_text: str | None = None) -> dict:
    """The top-level AdaptiveCard envelope; attachment wrapping is the bot's job."""
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA_URL, "version": CARD_VERSION, "body": body}
    if actions:
        out["actions"] = actions
    if refresh:
        out["refresh"] = refresh
    if fallback_text:
        out["fallbackText"] = truncate(fallback_text, MAX_TEXT)
    return out


def card_size(content: Mapping[str, Any]) -> int:
    """Bytes of the card as json.dumps writes it by default (non-ASCII escaped), the larger of the usual wire forms."""
    return len(json.dumps(content))


def truncate(value: Any, limit: int = MAX_TEXT) -> str:
    """One line of at most ``limit`` characters, so a runaway OCR value cannot blow the card size."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


_MARKUP = re.compile(r"[*_\[\]<>`~\\&#{}|]|^\s*(?:[-+]|\d+[.)])\s")
"""Characters (and list openers) a TextBlock's markdown or date functions would act on."""


def text(value: Any, *, size: str | None = None, weight: str | None = None, color: str | None = None,
         subtle: bool = False, monospace: bool = False, limit: int = MAX_TEXT, spacing: str | None = None,
         separator: bool = False, align: str | None = None, block_id: str | None = None) -> dict:
    """A wrapping TextBlock, or a RichTextBlock TextRun (never markdown) when the text holds anything markdown
    would act on: plain TextBlocks keep big cards small, the TextRun keeps external text inert."""
    shown = truncate(value, limit)
    style: dict[str, Any] = {}
    if size:
        style["size"] = size
    if weight:
        style["weight"] = weight
    if color:
        style["color"] = color
    if subtle:
        style["isSubtle"] = True
    if monospace:
        style["fontType"] = "monospace"
    if _MARKUP.search(shown):
        block: dict[str, Any] = {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": shown, **style}]}
    else:
        block = {"type": "TextBlock", "text": shown, "wrap": True, **style}
    if spacing:
        block["spacing"] = spacing
    if separator:
        block["separator"] = True
    if align:
        block["horizontalAlignment"] = align
    if block_id:
        block["id"] = block_id
    return block


def paragraphs(value: str, *, limit: int = 600, max_paragraphs: int = 8, **style: Any) -> list[dict]:
    """One text block per non-empty line: a TextRun does not promise to honour newlines."""
    lines = [line for line in str(value).splitlines() if line.strip()]
    blocks = [text(line, limit=limit, **style) for line in lines[:max_paragraphs]]
    return blocks or [text("", **style)]


def attention(value: Any, *, limit: int = MAX_TEXT) -> dict:
    """A line the reader must not miss (a failed check, a possible duplicate)."""
    return text(value, color="attention", weight="bolder", limit=limit)


def execute(title: str, verb: str, data: Mapping[str, Any], *, style: str | None = None,
            associated_inputs: str | None = None, tooltip: str | None = None) -> dict:
    """An Action.Execute: Teams sends it to the bot as an ``adaptiveCard/action`` invoke carrying ``verb``/``data``."""
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": dict(data)}
    if style:
        action["style"] = style
    if associated_inputs:
        action["associatedInputs"] = associated_inputs
    if tooltip:
        action["tooltip"] = truncate(tooltip, 100)
    return action


def confidence_marker(field: Mapping[str, Any] | None) -> tuple[str, str | None]:
    """(marker text, colour) for a field: a person's edit beats any confidence, absent is "missing".

    A field without a confidence is treated as "check this": the contract promises one, so its absence is a doubt.
    """
    if not field:
        return "missing", None
    if field.get("edited_by"):
        return f"edited by {truncate(field['edited_by'], 30)}", "accent"
    confidence = field.get("confidence")
    if not isinstance(confidence, int | float):
        return "check this", "warning"
    if confidence >= GOOD_CONFIDENCE:
        return "✓", "good"
    if confidence >= CHECK_CONFIDENCE:
        return "check this", "warning"
    return "unsure", "attention"


def minor_units(currency: str | None) -> int:
    """Decimals an amount in ``currency`` is written with."""
    return _MINOR_UNITS.get((currency or "").upper(), 2)


def format_number(value: Any, *, decimals: int | None = None) -> str:
    """1234.5 -> "1,234.5" (quantities) or with fixed ``decimals`` -> "1,234.50"; non-numbers as given."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return truncate(value, 40) if value not in (None, "") else ""
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


_CODE = re.compile(r"[A-Za-z]{3}")


def format_amount(value: Any, currency: str | None = None, *, with_code: bool = True) -> str:
    """110.0, "EUR" -> "110.00 EUR"; the currency's own decimals; "—" when there is no amount."""
    if value is None or value == "":
        return "—"
    code = currency_code(currency)
    amount = format_number(value, decimals=minor_units(code))
    return f"{amount} {code}" if with_code and code else amount


def currency_code(value: Any) -> str | None:
    """An ISO 4217-shaped code ("EUR"), or None: a garbled currency must not be printed after every amount."""
    return value.upper() if isinstance(value, str) and _CODE.fullmatch(value) else None


def _parse(value: Any) -> dt.date | dt.datetime | None:
    if isinstance(value, dt.datetime | dt.date):
        return value
    if not isinstance(value, str):
        return None
    raw = value.strip()
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def iso_date(value: Any) -> str | None:
    """ "2026-11-02" or a timestamp -> "2026-11-02" (what Input.Date takes); None when it is not a date."""
    parsed = _parse(value)
    if parsed is None:
        return None
    if isinstance(parsed, dt.datetime):
        parsed = parsed.date()
    return parsed.isoformat()


def format_date(value: Any) -> str:
    """ "2026-11-02" (or a timestamp) -> "2 Nov 2026"; anything unparseable is shown as given."""
    parsed = _parse(value)
    if parsed is None:
        return truncate(value, 40) if value not in (None, "") else "—"
    if isinstance(parsed, dt.datetime) and parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"


def format_datetime(value: Any) -> str:
    """ISO timestamp -> "21 Nov 2026 10:04 UTC": zone-aware times are shown in UTC and say so."""
    parsed = _parse(value)
    if parsed is None:
        return truncate(value, 40) if value not in (None, "") else "—"
    if not isinstance(parsed, dt.datetime):
        return format_date(parsed)
    zone = ""
    if parsed.tzinfo is not None:
        parsed, zone = parsed.astimezone(dt.UTC), " UTC"
    return f"{format_date(parsed)} {parsed:%H:%M}{zone}"


def format_duration(seconds: float | None) -> str:
    """5400 -> "1 h 30 min"; coarse on purpose (a reader wants the order of magnitude)."""
    if seconds is None:
        return "—"
    minutes = round(max(float(seconds), 0.0) / 60)
    if seconds < 60:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def fact_row(label: str, value: Any, *, marker: str | None = None, marker_color: str | None = None,
             row_id: str | None = None, limit: int = MAX_TEXT) -> dict:
    """Label | value | marker as a ColumnSet: fixed weights align the rows like a grid, and unlike a FactSet
    each marker can carry its own colour."""
    columns = [
        {"type": "Column", "width": 32, "items": [text(label, weight="bolder")]},
        {"type": "Column", "width": 48, "items": [text(value, limit=limit)]},
    ]
    if marker is not None:
        columns.append({"type": "Column", "width": 20, "items": [text(marker, color=marker_color, weight="bolder",
                                                                      limit=60)]})
    row: dict[str, Any] = {"type": "ColumnSet", "columns": columns, "spacing": "small"}
    if row_id:
        row["id"] = row_id
    return row


def fact_set(facts: Iterable[tuple[str, Any]]) -> dict:
    """A FactSet for figures we produce ourselves (counts, sums), where markdown cannot sneak in."""
    return {"type": "FactSet", "facts": [{"title": truncate(t, 60), "value": truncate(v, 100)} for t, v in facts]}


def header(title: Any, *, amount: str | None = None, badge: str | None = None, badge_color: str | None = None,
           lines: Iterable[str] = ()) -> dict:
    """Title (and amount on the right), a coloured status line, then small subtle lines (file, dates)."""
    title_block = text(title or "—", size="large", weight="bolder", limit=120)
    items: list[dict] = []
    if amount:
        items.append({"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [title_block]},
            {"type": "Column", "width": "auto", "verticalContentAlignment": "center",
             "items": [text(amount, size="large", weight="bolder", limit=40, align="right")]},
        ]})
    else:
        items.append(title_block)
    if badge:
        items.append(text(badge, color=badge_color, weight="bolder", spacing="small", limit=300))
    items.extend(text(line, size="small", subtle=True, spacing="none") for line in lines if line)
    return {"type": "Container", "items": items}
