"""The placeholder posted the moment a file arrives, so the sender knows it was picked up."""

from __future__ import annotations

from cards.common import card, text


def reading_card(filename: str, *, pages: int | None = None) -> dict:
    """"Reading invoice.pdf…"; the bot later updates this same message with the review card."""
    size = f"{pages} page{'s' if pages != 1 else ''}. " if isinstance(pages, int) and pages > 0 else ""
    body = [
        text(f"Reading {filename or 'the file'}…", size="medium", weight="bolder", limit=120),
        text(f"{size}This card updates in place when the fields are ready.", subtle=True, spacing="small"),
    ]
    return card(body, fallback_text=f"Reading {filename or 'the file'}…")
