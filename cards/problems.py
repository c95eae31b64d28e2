"""Cards for input the bot cannot use and for plain information, each saying what to do next."""

from __future__ import annotations

from typing import Any

from cards.common import card, execute, paragraphs
from cards.common import text as plain


def problem_card(filename: str, message: str, *, what_to_do: str | None = None, invoice_id: str | None = None,
                 version: int | None = None) -> dict:
    """What is wrong with one file and what to do; Retry only when there is a stored invoice to retry."""
    title = f"Could not process {filename}" if filename else "Could not process the file"
    body = [plain(title, size="medium", weight="bolder", color="attention", limit=120),
            *paragraphs(message or "Something went wrong.", limit=400, max_paragraphs=4)]
    if what_to_do:
        body.append(plain("What to do", weight="bolder", spacing="medium"))
        body.extend(paragraphs(what_to_do, limit=400, max_paragraphs=4))
    actions = []
    if invoice_id:
        data: dict[str, Any] = {"invoice_id": invoice_id}
        if version is not None:
            data["version"] = version
        actions.append(execute("Retry", "retry", data))
    return card(body, actions, fallback_text=f"{title}: {message}")


def notice_card(text: str, *, title: str | None = None) -> dict:
    """A plain information card (no buttons): limits of Teams, set-up hints, confirmations."""
    body = [plain(title, size="medium", weight="bolder", limit=120)] if title else []
    body.extend(paragraphs(text, limit=600, max_paragraphs=12))
    return card(body, fallback_text=title or text)
