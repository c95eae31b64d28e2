"""Text commands managers type: help, status, pending [vendor], summary [period], show <invoice number>,
admin policy, admin sources.

Case-insensitive; an @mention of the bot, HTML from the Teams editor, typographic apostrophes and punctuation
around the words are ignored, and a few natural forms are understood ("what's pending for Contoso?", "summary for
this month", "show me INV-100"). Anything else gets the help card.
"""

from __future__ import annotations

import html
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
    ("admin policy", "The approval policy in force (admins and managers)."),
    ("admin sources", "The SharePoint folders and mailboxes I watch, and this conversation's id (admins)."),
)


@dataclass(frozen=True)
class Command:
    name: str  # help | status | pending | summary | show | policy | sources | unknown
    arg: str = ""


_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_LEAD = re.compile(r"^(?:what'?s|what is|show me|list|please)\s+(?=(?:status|pending|summary)\b)", re.IGNORECASE)
_SHOW_ME = re.compile(r"^show\s+me\s+", re.IGNORECASE)


def parse(text: str) -> Command:
    s = _MENTION.sub(" ", text or "")
    s = html.unescape(re.sub(r"<[^>]+>", " ", s))  # Teams sends HTML for formatted text
    s = s.replace("\u2019", "'").replace("\u00a0", " ")
    s = re.sub(r"\s+", " ", s).strip().strip("?!.").strip()
    s = _LEAD.sub("", s)
    s = _SHOW_ME.sub("show ", s)
    if s.casefold() in ("", "help", "?", "hi", "hello", "commands"):
        return Command("help")
    word, _, rest = s.partition(" ")
    word, rest = word.casefold(), rest.strip()
    if word == "status":
        return Command("status")
    if (word == "admin" and rest.casefold() in ("policy", "policies")) or s.casefold() == "policy":
        return Command("policy")
    if (word == "admin" and rest.casefold() in ("sources", "source")) or s.casefold() == "sources":
        return Command("sources")
    if word == "pending":
        return Command("pending", re.sub(r"^(?:for|from|of)\s+", "", rest, flags=re.IGNORECASE).strip())
    if word == "summary":
        period = re.sub(r"^(?:for|of)\s+", "", rest.casefold()).strip() or "this week"
        period = {"week": "this week", "month": "this month", "day": "today"}.get(period, period)
        return Command("summary", period) if period in PERIODS else Command("unknown", s)
    if word == "show":
        number = re.sub(r"^(?:(?:invoice|number)\s+|(?:no|nr)\.\s*|#\s*)", "", rest, flags=re.IGNORECASE).strip()
        return Command("show", number) if number else Command("unknown", s)
    return Command("unknown", s)
