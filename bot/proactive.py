"""Keep every posted card current, and tell approvers when something is escalated to them.

Listens to the review service: after any change commits, each card posted for that invoice (the clerk's chat,
the approver's 1:1) is replaced in place with the card for the new state, so everyone in those chats sees who
did what and the buttons that no longer apply disappear. An escalation also posts the card into the approver's
1:1 chat (the conversation reference stored on install or first contact) and remembers it for later updates.
"""

from __future__ import annotations

import logging

from bot.handler import InvoiceBot
from cards import problems
from invoice_capture.review.service import Change

log = logging.getLogger(__name__)


class CardKeeper:
    def __init__(self, bot: InvoiceBot) -> None:
        self.bot = bot

    async def __call__(self, change: Change) -> None:
        view = change.invoice
        if change.verb == "received":
            return  # the "Reading…" card is already up
        cards: dict[str, dict] = {}  # built once per role, only for roles that have a card posted
        for ref in await self.bot.service.cards(view["id"]):
            role = "approver" if ref.get("kind") == "approver" else "clerk"
            if role not in cards:
                cards[role] = await self.bot.card_for(view, role)
            try:
                await self.bot.replace_card(ref, cards[role])
            except Exception:  # one chat that cannot be reached must not stop the others
                log.exception("could not update the card in %s", ref.get("conversation_id"))
        if change.verb == "escalate" and view.get("escalated_to"):
            await self._tell_approver(view, change.actor.name)

    async def _tell_approver(self, view: dict, by: str) -> None:
        approver = view["escalated_to"]
        reference = await self.bot.service.personal_conversation(view["tenant_id"], approver["id"])
        reason = view.get("escalation_reason")
        notice = f"{by} escalated this invoice to you" + (f": {reason}" if reason else ".")
        if reference is None:
            log.warning("cannot reach approver %s: they have not installed or talked to the bot yet", approver)
            for ref in await self.bot.service.cards(view["id"]):
                await self.bot.send_card(ref["reference"], problems.notice_card(
                    f"{approver['name']} has not opened a chat with me yet, so I could not message them. Ask them "
                    "to install Invoice Capture in Teams (or say hi to it); the invoice waits for them meanwhile.",
                    title="Approver not reachable"))
            return
        card = await self.bot.card_for(view, "approver", notice=notice)
        activity_id = await self.bot.send_card(reference, card)
        await self.bot.service.record_card(view["id"], {
            "conversation_id": reference.get("conversation", {}).get("id", ""), "activity_id": activity_id,
            "reference": reference, "kind": "approver"})
