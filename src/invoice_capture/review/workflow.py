"""Invoice states and which decision may move an invoice from one to another, by whom.

Pure rules, no I/O: the service asks ``may_act(...)`` whether a verb is allowed and applies it with the optimistic
lock; the cards offer exactly the verbs ``buttons_for`` allows, so a button that is not there is also refused when
a forged action arrives. What policy says about the invoice and the person (their approval limit, the gate level,
a duplicate or a bank change) comes in as a ``Context``.
States (DESIGN.md): received -> extracting -> needs_review | auto_approved -> approved | rejected | escalated
(-> approved | rejected) -> exported; failed (with reason, retryable).
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("received", "extracting", "needs_review", "auto_approved", "approved", "rejected", "escalated",
          "exported", "failed")
WAITING = ("needs_review", "escalated")
DECIDED = ("approved", "rejected", "auto_approved", "exported")
APPROVER_ROLES = ("approver", "admin")
#: Roles a person can have in a tenant (store.repository.ROLES); anyone else may only look, retry and reopen.
PEOPLE_ROLES = ("clerk", "approver", "manager", "admin")

#: verb -> (states it applies to, resulting state; None keeps the state)
VERBS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "approve": (WAITING, "approved"),
    "reject": (WAITING, "rejected"),
    "escalate": (WAITING, "escalated"),
    "save": (WAITING, None),
    "retry": (("failed",), "received"),
    "reopen": (("auto_approved",), "needs_review"),
}
#: verbs that only show something and never change the invoice
VIEW_VERBS = ("refresh", "edit", "cancel", "show")

AUDIT_ACTION = {"approve": "approved", "reject": "rejected", "escalate": "escalated", "save": "edited",
                "retry": "retried", "reopen": "reopened"}


@dataclass(frozen=True)
class Actor:
    """Who clicks: the Entra object id (or a page/API user id), a display name and the tenant role."""

    id: str
    name: str
    role: str = "clerk"


@dataclass(frozen=True)
class Context:
    """What the policy and the checks say about one invoice, for one person."""

    level: str = ""
    #: The total in the policy's base currency; None when it cannot be known (no total, no exchange rate).
    amount: float | None = None
    #: What this person may approve alone (base currency); None: no limit.
    limit: float | None = None
    amount_words: str = ""
    limit_words: str = ""
    duplicate: bool = False
    bank_changed: bool = False


class Refused(Exception):
    """The action is not allowed (wrong state, role or missing input); ``message`` is for the user."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def may_act(verb: str, state: str, actor: Actor, *, escalated_to: str = "", ctx: Context | None = None) -> str | None:
    """Why ``actor`` may not apply ``verb`` in ``state`` (a sentence), or None when allowed.

    Without a ``Context`` only states and roles count (the rules before any policy applies)."""
    if verb not in VERBS:
        return f"Unknown action {verb!r}."
    states, _ = VERBS[verb]
    if actor.role not in PEOPLE_ROLES and verb not in ("reopen", "retry"):
        return "Your role cannot decide invoices; ask an admin to give you one."
    if state not in states:
        if state in ("received", "extracting"):
            return "This invoice is still being read; its card will update when it is ready."
        return f"This invoice is {state.replace('_', ' ')}; it can no longer be {AUDIT_ACTION[verb]}."
    if state == "escalated" and verb in ("approve", "reject", "save") and actor.role not in APPROVER_ROLES \
            and not (escalated_to and actor.id == escalated_to):
        return "Only an approver can decide an escalated invoice."
    if verb == "escalate" and state == "escalated" and actor.role not in APPROVER_ROLES \
            and not (escalated_to and actor.id == escalated_to):
        return "Only an approver can pass an escalated invoice on."
    if verb == "approve" and ctx is not None:
        return _approve_refusal(actor, ctx)
    return None


def _approve_refusal(actor: Actor, ctx: Context) -> str | None:
    if ctx.bank_changed and actor.role not in APPROVER_ROLES:
        return ("The bank details differ from the vendor master: only an approver can approve this, after calling "
                "the vendor back. Escalate it.")
    if ctx.limit is not None:
        if ctx.amount is None:
            return "The total (or its currency) is missing, so your approval limit cannot be checked. Edit it first."
        if ctx.amount > ctx.limit:
            return (f"This invoice ({ctx.amount_words}) is above your approval limit of {ctx.limit_words}. "
                    "Escalate it to someone whose limit covers it.")
    return None


def buttons_for(state: str, actor: Actor | str, ctx: Context | None = None, *, escalated_to: str = ""
                ) -> tuple[str, ...]:
    """The verbs a card offers to a viewer (what the server would accept from them)."""
    who = actor if isinstance(actor, Actor) else Actor("", "", actor)
    return tuple(v for v in ("approve", "save", "escalate", "reject", "retry", "reopen")
                 if may_act(v, state, who, escalated_to=escalated_to, ctx=ctx) is None)
