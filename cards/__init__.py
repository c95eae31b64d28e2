"""Adaptive Card (schema 1.5) builders for the Teams bot: plain dicts in, card content dicts out.

Cards know nothing of SQL, OCR or botbuilder; wrapping a card in an attachment is the bot's job.
"""

from cards.help import help_card
from cards.problems import notice_card, problem_card
from cards.progress import reading_card
from cards.reports import pending_card, status_card, summary_card
from cards.review import edit_card, review_card

__all__ = [
    "edit_card",
    "help_card",
    "notice_card",
    "pending_card",
    "problem_card",
    "reading_card",
    "review_card",
    "status_card",
    "summary_card",
]
