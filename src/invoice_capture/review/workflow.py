"""Invoice states and which decision may move an invoice from one to another, by whom.

Pure rules, no I/O: the service asks ``plan(...)`` what a verb would do and applies it with the optimistic lock.
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

#: verb -> (states it applies to, resulting state; None keeps the state)
VERBS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "approve": (WAITING, "approved"),
    "reject": (WAITING, "rejected"),
    "escalate": (("needs_review",), "escalated"),
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


class Refused(Exception):
    """The action is not allowed (wrong state, role or missing input); ``message`` is for the user."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def may_act(verb: str, state: str, actor: Actor, *, escalated_to: str = "") -> str | None:
    """Why ``actor`` may not apply ``verb`` in ``state`` (a sentence), or None when allowed."""
    if verb not in VERBS:
        return f"Unknown action {verb!r}."
    states, _ = VERBS[verb]
    if state not in states:
        if state in ("received", "extracting"):
            return "This invoice is still being read; its card will update when it is ready."
        return f"This invoice is {state.replace('_', ' ')}; it can no longer be {AUDIT_ACTION[verb]}."
    if state == "escalated" and verb in ("approve", "reject", "save") and actor.role not in APPROVER_ROLES \
            and not (escalated_to and actor.id == escalated_to):
        return "Only an approver can decide an escalated invoice."
    return None


def buttons_for(state: str, role: str) -> tuple[str, ...]:
    """The verbs a card offers to a viewer with ``role`` (what the server would accept)."""
    actor = Actor("", "", role)
    return tuple(v for v in ("approve", "save", "escalate", "reject", "retry", "reopen")
                 if may_act(v, state, actor) is None)
