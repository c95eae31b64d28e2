"""Text commands as managers type them in Teams: any case, with an @mention of the bot, HTML from the client,
trailing punctuation and a few natural phrasings. Whatever is not understood must fall back to help, never to a
wrong command."""

from __future__ import annotations

import pytest

from bot.commands import COMMANDS, Command, parse
from invoice_capture.reports import PERIODS

MENTION = "<at>Invoice Capture</at>"


@pytest.mark.parametrize("text", ["help", "HELP", "Help?", "?", "hi", "Hello!", "commands", "", "   ",
                                  MENTION, f"{MENTION} help", "<p>help</p>"])
def test_help(text: str) -> None:
    assert parse(text) == Command("help")


def test_none_is_help() -> None:
    """Teams sends no text at all for some messages (an attachment only)."""
    assert parse(None) == Command("help")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["status", "STATUS", "Status?", f"{MENTION} status", f"{MENTION}  Status!",
                                  "<p>status</p>", "what is status?", "status please"])
def test_status(text: str) -> None:
    assert parse(text).name == "status"


@pytest.mark.parametrize("text,vendor", [
    ("pending", ""),
    ("PENDING", ""),
    ("what's pending?", ""),
    ("What is pending?", ""),
    ("whats pending", ""),
    ("list pending", ""),
    ("pending Contoso", "Contoso"),
    ("Pending CONTOSO", "CONTOSO"),
    ("pending for Contoso", "Contoso"),
    ("pending from Contoso Ltd.", "Contoso Ltd"),
    ("pending of Fabrikam, Inc.", "Fabrikam, Inc"),
    ("what's pending for Contoso?", "Contoso"),
    ("What's pending for Contoso Ltd?", "Contoso Ltd"),
    ("show me pending for Fabrikam", "Fabrikam"),
    (f"{MENTION} what's pending for <b>Contoso</b>?", "Contoso"),
    (f"{MENTION} pending   for   Contoso   GmbH", "Contoso GmbH"),
])
def test_pending(text: str, vendor: str) -> None:
    """The vendor keeps its case as typed (it is shown in the card title); matching is case-insensitive later."""
    assert parse(text) == Command("pending", vendor)


def test_pending_vendor_with_sharp_s() -> None:
    assert parse("pending Weiß Straße") == Command("pending", "Weiß Straße")


def test_pending_with_typographic_apostrophe() -> None:
    assert parse("what’s pending for Contoso?") == Command("pending", "Contoso")


@pytest.mark.parametrize("text,period", [
    ("summary", "this week"),
    ("SUMMARY?", "this week"),
    ("summary today", "today"),
    ("summary this week", "this week"),
    ("summary this month", "this month"),
    ("Summary This Month", "this month"),
    ("summary for this month", "this month"),
    ("summary for this month?", "this month"),
    ("summary of today", "today"),
    ("summary month", "this month"),
    ("summary week", "this week"),
    ("summary day", "today"),
    (f"{MENTION} summary this month", "this month"),
])
def test_summary(text: str, period: str) -> None:
    cmd = parse(text)
    assert cmd == Command("summary", period)
    assert cmd.arg in PERIODS


@pytest.mark.parametrize("text", ["summary last year", "summary yesterday", "summary for ever"])
def test_summary_of_an_unknown_period_is_not_a_summary(text: str) -> None:
    """Better the help card (which lists the periods) than a summary of some other period."""
    assert parse(text).name == "unknown"


@pytest.mark.parametrize("text,number", [
    ("show INV-100", "INV-100"),
    ("SHOW inv-100", "inv-100"),
    ("show invoice 42", "42"),
    ("Show Invoice INV-7", "INV-7"),
    ("show #42", "42"),
    ("show # 42", "42"),
    ("show inv. 42", "inv. 42"),  # kept: the lookup normalises "inv. 42" to match INV-42
    ("show inv 42", "inv 42"),
    ("show no. 42", "42"),
    ("show number 5", "5"),
    ("show INV-100?", "INV-100"),
    (f"{MENTION} show INV-100", "INV-100"),
    ("show Rechnung 2026/0815", "Rechnung 2026/0815"),
])
def test_show(text: str, number: str) -> None:
    """The number keeps its spelling; the lookup normalises it."""
    assert parse(text) == Command("show", number)


@pytest.mark.parametrize("text", ["show", "show   ", "show?"])
def test_show_without_a_number_is_not_show(text: str) -> None:
    assert parse(text).name == "unknown"


@pytest.mark.parametrize("text", ["blah", "approve all", "showme", "statusx", "pendings", "delete INV-100"])
def test_unknown_keeps_the_text(text: str) -> None:
    cmd = parse(text)
    assert cmd == Command("unknown", text)


def test_command_list_for_help_names_every_command() -> None:
    names = {usage.split()[0] for usage, _ in COMMANDS}
    assert names == {"help", "status", "pending", "summary", "show", "admin"}
    for usage, _ in COMMANDS:
        first = usage.split()[0]
        assert parse(first).name in (first, "unknown")  # "show" alone needs a number, "admin" a topic
    assert parse("admin policy").name == "policy" and parse("Admin Policy?").name == "policy"
