"""Text commands managers type: help, status, pending [vendor], summary [period], show <invoice number>.

Case-insensitive; an @mention of the bot and punctuation around the words are ignored, and a few natural forms
are understood ("what's pending for Contoso?", "summary for this month"). Anything else gets the help card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from invoice_capture.reports import PERIODS

COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "What I can do."),
    ("status", "Invoices by state, and the oldest one waiting."),
    ("pending [vendor]", "Invoices waiting for a decision, oldest first (optionally for one vendor)."),
    ("summary [today | this week | this month]", "Received, approved, rejected, escalated, totals, "
                                                 "median time to decision."),
    ("show <invoice number>", "The card of one invoice."),
)


@dataclass(frozen=True)
class Command:
    name: str  # help | status | pending | summary | show | unknown
    arg: str = ""


_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


def parse(text: str) -> Command:
    s = _MENTION.sub(" ", text or "")
    s = re.sub(r"<[^>]+>", " ", s)  # Teams sends HTML for formatted text
    s = re.sub(r"\s+", " ", s).strip().strip("?!.").strip()
    low = s.casefold()
    low = re.sub(r"^(what'?s|what is|show me|list)\s+", "", low)
    if low in ("", "help", "?", "hi", "hello", "commands"):
        return Command("help")
    word, _, rest = low.partition(" ")
    rest_orig = s[len(s) - len(rest):].strip() if rest else ""
    if word == "status":
        return Command("status")
    if word == "pending":
        vendor = re.sub(r"^(for|from|of)\s+", "", rest_orig, flags=re.IGNORECASE).strip()
        return Command("pending", vendor)
    if word == "summary":
        period = re.sub(r"^(for|of)\s+", "", rest).strip() or "this week"
        period = {"week": "this week", "month": "this month", "day": "today"}.get(period, period)
        return Command("summary", period) if period in PERIODS else Command("unknown", s)
    if word == "show" and rest_orig:
        return Command("show", re.sub(r"^(?:(?:invoice|number)\s+|(?:inv|no)\.\s*|(?:inv|no)\s+|#\s*)", "", rest_orig,
                                      flags=re.IGNORECASE).strip())
    return Command("unknown", s)
