"""From an invoice view to the card a given person should see, wrapped as a Bot Framework attachment.

One rule lives here: which role-specific card a viewer gets, and who is listed for Universal Actions
``refresh`` (the uploader, the approver it is escalated to, and the tenant's approvers), so that when the same
card is shown to several people Teams asks the bot once per viewer and each sees their own buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment

from cards import review
from invoice_capture.review.service import ReviewService
from invoice_capture.review.workflow import Actor


def attachment(card: dict[str, Any]) -> Attachment:
    return CardFactory.adaptive_card(card)


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(attachment(card))


@dataclass(frozen=True)
class CardContext:
    """What every viewer's card of one invoice shares: the tenant's approvers and who Teams refreshes it for."""

    approvers: list[dict[str, str]]
    refresh_user_ids: list[str]


async def card_context(service: ReviewService, view: dict[str, Any]) -> CardContext:
    approvers = await service.approvers(view["tenant_id"])
    people = [x for x in (view.get("uploaded_by_id"), (view.get("escalated_to") or {}).get("id")) if x]
    refresh = list(dict.fromkeys(await service.channel_user_ids(view["tenant_id"], people)
                                 + [a["channel_user_id"] for a in approvers if a["channel_user_id"]]))
    return CardContext(approvers, refresh)


async def review_card_for(service: ReviewService, view: dict[str, Any], viewer: Actor,
                          notice: str | None = None, context: CardContext | None = None) -> dict[str, Any]:
    """The card ``viewer`` should see: the buttons are exactly what the server would accept from them.
    ``context``: read once when the same invoice's card is built for several viewers."""
    context = context or await card_context(service, view)
    allowed = await service.permissions(view, viewer, context.approvers)
    return review.review_card(view, role=viewer.role, notice=notice,
                              refresh_user_ids=context.refresh_user_ids or None, allowed=allowed)
