"""The approval matrix applied to one invoice and one person: what they may do, and who it goes to next.

Policy says what each role (or named person) may approve alone and which band of amounts goes to whom. This
module answers the two questions the card and the server both ask: "what may this person do with this invoice?"
(``context_for`` + ``permissions``: the card shows exactly those buttons, and ``ReviewService.act`` refuses anything
else, so a forged action changes nothing) and "who can take it from here?" (``candidates``: approvers whose limit
covers the total, the vendor's default approver and the band's named approvers first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from invoice_capture.review.policy import Policy
from invoice_capture.review.workflow import APPROVER_ROLES, Actor, Context, buttons_for, may_act


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    channel_user_id: str = ""


def context_for(policy: Policy, view: Mapping[str, Any], actor: Actor) -> Context:
    """What the policy says about this invoice for this person (view: review/view.py's invoice view)."""
    amount = policy.to_base(view.get("total"), view.get("currency"))
    limit = policy.limit_for(actor.role, actor.id, actor.name)
    total = view.get("total")
    amount_words = f"{total:,.2f} {view.get('currency') or ''}".strip() if isinstance(total, int | float) else ""
    rules = {c.get("rule") for c in view.get("checks") or [] if isinstance(c, Mapping)}
    return Context(level=(view.get("gate") or {}).get("level", ""), amount=amount, limit=limit,
                   amount_words=amount_words, limit_words=policy.money(limit) if limit is not None else "",
                   duplicate=bool(view.get("duplicate_of")) or any(r.startswith("duplicate.") for r in rules if r),
                   bank_changed="vendor.bank_changed" in rules)


def candidates(policy: Policy, people: Sequence[Person], amount: float | None, *, exclude: str = "",
               default_approver: str = "") -> list[dict[str, Any]]:
    """Who an invoice can be escalated to, best first: ``{"id", "name", "covers", "limit"}``.

    Approvers and admins whose limit covers the amount come first (the vendor's default approver, then the band's
    named approvers, then the rest by name); when nobody's limit covers it, everyone is offered so the invoice can
    still move up, marked ``covers: False``.
    """
    band = policy.band_for(amount)
    named = [n.casefold() for n in band.approvers]
    out = []
    for p in people:
        if p.role not in APPROVER_ROLES or (exclude and p.id == exclude):
            continue
        limit = policy.limit_for(p.role, p.id, p.name)
        covers = limit is None or (amount is not None and amount <= limit)
        rank = (0 if covers else 1,
                0 if default_approver and default_approver.casefold() in (p.id.casefold(), p.name.casefold()) else 1,
                0 if p.id.casefold() in named or p.name.casefold() in named else 1,
                p.name.casefold())
        out.append((rank, {"id": p.id, "name": p.name, "covers": covers,
                           "limit": policy.money(limit) if limit is not None else "no limit"}))
    out.sort(key=lambda t: t[0])
    return [c for _, c in out]


def permissions(policy: Policy, view: Mapping[str, Any], actor: Actor, people: Sequence[Person]) -> dict[str, Any]:
    """What the card offers this person, with the sentences that explain what it does not offer."""
    ctx = context_for(policy, view, actor)
    state = str(view.get("state") or "")
    escalated_to = (view.get("escalated_to") or {}).get("id", "")
    verbs = list(buttons_for(state, actor, ctx, escalated_to=escalated_to))
    note = ""
    if "approve" not in verbs and may_act("approve", state, actor, escalated_to=escalated_to) is None:
        note = may_act("approve", state, actor, escalated_to=escalated_to, ctx=ctx) or ""
    match = view.get("vendor_match") or {}
    to = candidates(policy, people, ctx.amount, exclude=actor.id, default_approver=match.get("default_approver", ""))
    if state == "escalated":  # passing it on: only people above the one it waits for make sense
        to = [c for c in to if c["id"] != escalated_to]
    return {"verbs": verbs, "approve_note": note,
            "approve_reason": _duplicate_sentence(view) if ctx.duplicate and "approve" in verbs else "",
            "callback": ctx.bank_changed and "approve" in verbs,
            "escalate_to": to}


def _duplicate_sentence(view: Mapping[str, Any]) -> str:
    dup = view.get("duplicate_of") or {}
    number = dup.get("invoice_number") or "an earlier invoice"
    state = str(dup.get("state") or "").replace("_", " ")
    return f"This looks like a duplicate of {number}{f' ({state})' if state else ''}. Say why it is not one."
