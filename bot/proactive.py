"""Keep every posted card current, and tell people when something waits for them.

Listens to the review service: after any change commits, each card posted for that invoice (the clerk's chat,
the approver's 1:1) is replaced in place with the card for the new state, built for the person it was posted
to, so everyone in those chats sees who did what and the buttons that no longer apply disappear. An escalation
also posts the card into the approver's 1:1 chat (the conversation reference stored on install or first contact);
a reminder posts it again to the approver, and later to the managers, with how long it has waited.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.handler import InvoiceBot
from bot.render import CardContext, card_context
from cards import problems
from invoice_capture.review.service import Change

log = logging.getLogger(__name__)

#: Invoices from Graph sources: nobody dropped them into a chat, so their first card is posted into the source's
#: conversation once the file is read (one card per invoice: a duplicate or re-notified file gets none).
SOURCE_CHANNELS = ("sharepoint", "mailbox")


class CardKeeper:
    def __init__(self, bot: InvoiceBot) -> None:
        self.bot = bot
        self._locks: dict[str, asyncio.Lock] = {}
        self._shown: dict[str, int] = {}  # invoice id -> newest version whose cards were put up

    async def __call__(self, change: Change) -> None:
        """One invoice's changes are applied one at a time, in order, and an older one than what is already shown
        is skipped: two changes close together (a Retry and the extraction it starts) are built concurrently, and
        the slower one must not put the older card back."""
        invoice_id = change.invoice["id"]
        lock = self._locks.setdefault(invoice_id, asyncio.Lock())
        async with lock:
            version = int(change.invoice.get("version") or 0)
            if change.verb != "remind" and version < self._shown.get(invoice_id, 0):
                return
            self._shown[invoice_id] = max(version, self._shown.get(invoice_id, 0))
            await self._apply(change)
        if len(self._shown) > 10_000:  # forget the oldest invoices; changes that old are not in flight any more
            for key in list(self._shown)[:5_000]:
                self._shown.pop(key, None)
                held = self._locks.get(key)
                if held is not None and not held.locked():
                    self._locks.pop(key, None)

    async def _apply(self, change: Change) -> None:
        view = change.invoice
        if change.verb == "received":
            return  # the "Reading…" card is already up (files from Graph sources get theirs when read)
        if (view.get("source") in SOURCE_CHANNELS and change.verb in ("extracted", "failed")
                and await self._post_for_source(view)):
            return
        if change.verb == "remind":
            await self._remind(view, change.extra)
            return
        context = await card_context(self.bot.service, view)  # shared by every viewer's card
        cards: dict[str, dict] = {}  # built once per viewer, only for viewers that have a card posted
        for ref in await self.bot.service.cards(view["id"]):
            viewer_id = self._viewer_id(view, ref)
            if viewer_id not in cards:
                viewer = await self.bot.service.known_actor(view["tenant_id"], viewer_id, view.get("uploaded_by") or "")
                cards[viewer_id] = await self.bot.card_for(view, viewer, context=context)
            try:
                await self.bot.replace_card(ref, cards[viewer_id])
            except Exception:  # one chat that cannot be reached must not stop the others
                log.exception("could not update the card in %s", ref.get("conversation_id"))
        if change.verb == "escalate" and view.get("escalated_to"):
            await self._tell_approver(view, change.actor.name)

    @staticmethod
    def _viewer_id(view: dict, ref: dict) -> str:
        """Who a posted card is for: recorded with the card (cards posted before that was recorded: the approver in
        their 1:1, else the uploader)."""
        return str(ref.get("viewer_id") or ((view.get("escalated_to") or {}).get("id") if ref.get("kind") ==
                                            "approver" else view.get("uploaded_by_id")) or "")

    async def _post_to(self, view: dict, person: dict[str, str], notice: str, kind: str,
                       context: CardContext | None = None) -> bool:
        """Post the invoice's card into ``person``'s 1:1 chat and remember it; False when they never opened one."""
        reference = await self.bot.service.personal_conversation(view["tenant_id"], person["id"])
        if reference is None:
            return False
        viewer = await self.bot.service.known_actor(view["tenant_id"], person["id"], person.get("name", ""))
        card = await self.bot.card_for(view, viewer, notice=notice, context=context)
        activity_id = await self.bot.send_card(reference, card)
        await self.bot.service.record_card(view["id"], {
            "conversation_id": reference.get("conversation", {}).get("id", ""), "activity_id": activity_id,
            "reference": reference, "kind": kind, "viewer_id": person["id"]})
        return True

    async def _post_for_source(self, view: dict) -> bool:
        """Post a Graph-sourced invoice's first card into its source's conversation; False when it has one."""
        if await self.bot.service.cards(view["id"]):
            return False
        ref = await self.bot.service.source_ref(view["id"])
        conversation_id = str(ref.get("conversation_id") or "")
        reference = await self.bot.service.conversation(view["tenant_id"], conversation_id) if conversation_id \
            else None
        if reference is None:
            log.warning("invoice %s from %s: the bot is not in conversation %r, so no card was posted (add the bot "
                        "there, then `show <invoice number>`)", view["id"], view.get("uploaded_by"), conversation_id)
            return True
        viewer = await self.bot.service.known_actor(view["tenant_id"], view.get("uploaded_by_id") or "",
                                                    view.get("uploaded_by") or "")
        card = await self.bot.card_for(view, viewer)
        activity_id = await self.bot.send_card(reference, card)
        await self.bot.service.record_card(view["id"], {
            "conversation_id": conversation_id, "activity_id": activity_id, "reference": reference,
            "kind": "review", "viewer_id": viewer.id})
        return True

    async def tell_admins(self, tenant_id: str, message: str) -> None:
        """A problem only an admin can fix (e.g. Graph credentials expired), in each admin's 1:1 chat."""
        told = 0
        for admin in await self.bot.service.people(tenant_id, ("admin",)):
            reference = await self.bot.service.personal_conversation(tenant_id, admin["id"])
            if reference is not None:
                await self.bot.send_card(reference, problems.notice_card(message, title="Needs an admin"))
                told += 1
        if not told:
            log.error("no admin of tenant %s can be told (none has talked to the bot): %s", tenant_id, message)

    async def _tell_approver(self, view: dict, by: str) -> None:
        approver = view["escalated_to"]
        reason = view.get("escalation_reason")
        notice = f"{by} escalated this invoice to you" + (f": {reason}" if reason else ".")
        if await self._post_to(view, approver, notice, "approver"):
            return
        log.warning("cannot reach approver %s: they have not installed or talked to the bot yet", approver)
        await self._tell_chats(view, f"{approver['name']} has not opened a chat with me yet, so I could not message "
                               "them. Ask them to install Invoice Capture in Teams (or say hi to it); the invoice "
                               "waits for them meanwhile.", "Approver not reachable")

    async def _remind(self, view: dict, extra: dict[str, Any]) -> None:
        hours = extra.get("waited_hours", 0)
        approver = (view.get("escalated_to") or {}).get("name") or "the approver"
        unreachable = []
        context = await card_context(self.bot.service, view)
        for person in extra.get("to") or []:
            if extra.get("step") == 1:
                notice = f"Reminder: this invoice has waited {hours} hours for your decision."
            else:
                notice = f"Reminder: this invoice has waited {hours} hours for {approver}. Please follow up."
            kind = "approver" if extra.get("step") == 1 else "manager"
            if not await self._post_to(view, person, notice, kind, context):
                unreachable.append(person.get("name") or person.get("id"))
        if unreachable or not extra.get("to"):
            who = ", ".join(unreachable) or "a manager (none is set up)"
            await self._tell_chats(view, f"This invoice has waited {hours} hours for {approver}; I could not remind "
                                   f"{who}.", "Reminder not delivered")

    async def _tell_chats(self, view: dict, message: str, title: str) -> None:
        for ref in await self.bot.service.cards(view["id"]):
            if ref.get("kind") in (None, "review"):
                await self.bot.send_card(ref["reference"], problems.notice_card(message, title=title))
