"""The answer to "help": the text commands and how to start."""

from __future__ import annotations

from cards.common import card, text

DEFAULT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "Show this list."),
    ("status", "How many invoices are waiting, escalated or failed, and the oldest one waiting."),
    ("pending [vendor]", "Invoices waiting for a decision, optionally for one vendor."),
    ("summary [today|this week|this month]", "Received, approved, rejected and totals for a period."),
    ("show <invoice number>", "Open the card of one invoice."),
)

DROP_HINT = "Drop an invoice (PDF, scan, photo, e-invoice XML) into this chat to start."


def help_card(commands: list[tuple[str, str]] | None = None) -> dict:
    """Commands as plain text runs, so ``<invoice number>`` is not taken for HTML by the markdown renderer."""
    rows = [{"type": "ColumnSet", "spacing": "small", "columns": [
        {"type": "Column", "width": 2, "items": [text(command, weight="bolder", monospace=True, limit=60)]},
        {"type": "Column", "width": 3, "items": [text(what, limit=200)]},
    ]} for command, what in (DEFAULT_COMMANDS if commands is None else commands)[:20]]
    body = [text("What I can do", size="medium", weight="bolder"),
            text(DROP_HINT, spacing="small"),
            text("Type one of these:", subtle=True, spacing="medium"),
            *rows]
    return card(body, fallback_text=DROP_HINT)
