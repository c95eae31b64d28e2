"""The approval matrix for one invoice and one person (review/routing.py) and the server's own check
(review/workflow.py ``may_act`` with a ``Context``): what the card offers is what the server accepts, a clerk cannot
approve above their limit or a bank-changed invoice, and escalation goes to someone whose limit covers the total."""

from __future__ import annotations

from typing import Any

import pytest

from invoice_capture.review.policy import Policy, parse
from invoice_capture.review.routing import Person, candidates, context_for, permissions
from invoice_capture.review.workflow import Actor, Context, buttons_for, may_act

ANA = Actor("aad-ana", "Ana Clerk", "clerk")
BO = Actor("aad-bo", "Bo Approver", "approver")
CY = Actor("aad-cy", "Cy Chief", "admin")
MAX = Actor("aad-max", "Max Manager", "manager")

#: "Al Low" sorts first by name but has a named limit of 3,000 EUR: ranking by limit must put her after Bo and Cy.
POLICY = parse({"approval": {"people": {"Al Low": 3000}}})
PEOPLE = [Person("aad-al", "Al Low", "approver"), Person("aad-ana", "Ana Clerk", "clerk"),
          Person("aad-bo", "Bo Approver", "approver"), Person("aad-cy", "Cy Chief", "admin"),
          Person("aad-max", "Max Manager", "manager")]
BANK_CHECK = {"rule": "vendor.bank_changed", "message": "The IBAN differs from the vendor master's.",
              "severity": "fraud", "ref": {}}


def view(state: str = "needs_review", total: float | None = 500.0, currency: str = "EUR", **extra: Any
         ) -> dict[str, Any]:
    """The parts of review/view.py's invoice view that routing reads."""
    return {"id": "inv-1", "tenant_id": "t-1", "state": state, "version": 2, "total": total, "currency": currency,
            "gate": {"level": "L2", "reasons": ["new vendor (not in the vendor master)"]}, "checks": [],
            "duplicate_of": None, "escalated_to": None, "vendor_match": {}, **extra}


def ids(options: list[dict[str, Any]]) -> list[str]:
    return [o["id"] for o in options]


# ------------------------------------------------------------------------------------------ context_for


def test_context_amount_is_in_the_base_currency() -> None:
    ctx = context_for(POLICY, view(total=1000.0, currency="USD"), ANA)
    assert ctx.amount == pytest.approx(920.0)


def test_context_amount_words_keep_the_invoice_currency() -> None:
    ctx = context_for(POLICY, view(total=1000.0, currency="USD"), ANA)
    assert ctx.amount_words == "1,000.00 USD"


def test_context_amount_unknown_without_a_rate() -> None:
    assert context_for(POLICY, view(total=1000.0, currency="BRL"), ANA).amount is None


def test_context_amount_unknown_without_a_total() -> None:
    ctx = context_for(POLICY, view(total=None), ANA)
    assert (ctx.amount, ctx.amount_words) == (None, "")


def test_context_carries_the_actors_role_limit() -> None:
    ctx = context_for(POLICY, view(), ANA)
    assert (ctx.limit, ctx.limit_words) == (1000.0, "1,000 EUR")


def test_context_carries_a_named_persons_limit() -> None:
    ctx = context_for(POLICY, view(), Actor("aad-al", "Al Low", "approver"))
    assert (ctx.limit, ctx.limit_words) == (3000, "3,000 EUR")


def test_context_admin_has_no_limit() -> None:
    ctx = context_for(POLICY, view(), CY)
    assert (ctx.limit, ctx.limit_words) == (None, "")


def test_context_level_from_the_gate() -> None:
    assert context_for(POLICY, view(), ANA).level == "L2"
    assert context_for(POLICY, view(gate=None), ANA).level == ""


def test_context_duplicate_flag_from_duplicate_of() -> None:
    assert context_for(POLICY, view(), ANA).duplicate is False
    dup = {"id": "inv-0", "invoice_number": "INV-99", "state": "approved"}
    assert context_for(POLICY, view(duplicate_of=dup), ANA).duplicate is True


def test_context_bank_changed_flag_from_the_checks() -> None:
    assert context_for(POLICY, view(checks=[BANK_CHECK]), ANA).bank_changed is True


def test_context_other_checks_are_not_a_bank_change() -> None:
    other = {"rule": "arithmetic.totals", "message": "...", "severity": "warning", "ref": {}}
    assert context_for(POLICY, view(checks=[other]), ANA).bank_changed is False


# ------------------------------------------------------------------------------------------ candidates


def test_candidates_are_only_approvers_and_admins() -> None:
    assert set(ids(candidates(POLICY, PEOPLE, 500.0))) == {"aad-al", "aad-bo", "aad-cy"}


def test_candidates_exclude_the_actor() -> None:
    assert "aad-bo" not in ids(candidates(POLICY, PEOPLE, 500.0, exclude="aad-bo"))


def test_candidates_whose_limit_covers_come_first() -> None:
    """10,000 EUR: Bo (25,000) and Cy (no limit) cover it, Al (3,000) does not, although her name sorts first."""
    options = candidates(POLICY, PEOPLE, 10_000.0)
    assert ids(options) == ["aad-bo", "aad-cy", "aad-al"]
    assert [o["covers"] for o in options] == [True, True, False]


def test_candidates_covering_rest_sorted_by_name() -> None:
    assert ids(candidates(POLICY, PEOPLE, 500.0)) == ["aad-al", "aad-bo", "aad-cy"]


def test_candidates_show_each_limit() -> None:
    options = {o["id"]: o["limit"] for o in candidates(POLICY, PEOPLE, 500.0)}
    assert options == {"aad-al": "3,000 EUR", "aad-bo": "25,000 EUR", "aad-cy": "no limit"}


def test_vendors_default_approver_ranks_first_among_those_who_cover() -> None:
    assert ids(candidates(POLICY, PEOPLE, 10_000.0, default_approver="Cy Chief"))[0] == "aad-cy"


def test_vendors_default_approver_by_id_any_case() -> None:
    assert ids(candidates(POLICY, PEOPLE, 10_000.0, default_approver="AAD-CY"))[0] == "aad-cy"


def test_default_approver_who_does_not_cover_stays_behind_those_who_do() -> None:
    assert ids(candidates(POLICY, PEOPLE, 10_000.0, default_approver="Al Low")) == ["aad-bo", "aad-cy", "aad-al"]


def test_bands_named_approvers_rank_first_among_those_who_cover() -> None:
    policy = parse({"approval": {"bands": [{"up_to": 1000, "role": "clerk"},
                                           {"up_to": None, "role": "approver", "approvers": ["cy chief"]}]}})
    assert ids(candidates(policy, PEOPLE, 5000.0)) == ["aad-cy", "aad-al", "aad-bo"]


def test_bands_named_approvers_by_id() -> None:
    policy = parse({"approval": {"bands": [{"up_to": None, "role": "approver", "approvers": ["AAD-CY"]}]}})
    assert ids(candidates(policy, PEOPLE, 500.0))[0] == "aad-cy"


def test_only_the_bands_named_approvers_of_the_amounts_band_count() -> None:
    policy = parse({"approval": {"bands": [{"up_to": 1000, "role": "clerk", "approvers": ["Cy Chief"]},
                                           {"up_to": None, "role": "approver"}]}})
    assert ids(candidates(policy, PEOPLE, 5000.0)) == ["aad-al", "aad-bo", "aad-cy"]


def test_default_approver_ranks_before_the_bands_named_approvers() -> None:
    policy = parse({"approval": {"bands": [{"up_to": None, "role": "approver", "approvers": ["Cy Chief"]}]}})
    assert ids(candidates(policy, PEOPLE, 500.0, default_approver="Bo Approver"))[:2] == ["aad-bo", "aad-cy"]


def test_when_nobody_covers_everyone_is_offered_marked_not_covering() -> None:
    people = [p for p in PEOPLE if p.role != "admin"]
    options = candidates(POLICY, people, 100_000.0)
    assert ids(options) == ["aad-al", "aad-bo"]
    assert [o["covers"] for o in options] == [False, False]


def test_unknown_amount_is_covered_only_by_no_limit() -> None:
    options = {o["id"]: o["covers"] for o in candidates(POLICY, PEOPLE, None)}
    assert options == {"aad-al": False, "aad-bo": False, "aad-cy": True}


def test_limit_exactly_the_amount_covers() -> None:
    options = {o["id"]: o["covers"] for o in candidates(POLICY, PEOPLE, 3000.0)}
    assert options["aad-al"] is True


# ------------------------------------------------------------------------------------------ permissions


def test_clerk_under_their_limit_may_approve() -> None:
    allowed = permissions(POLICY, view(total=800.0), ANA, PEOPLE)
    assert allowed["verbs"] == ["approve", "save", "escalate", "reject"]
    assert (allowed["approve_note"], allowed["approve_reason"], allowed["callback"]) == ("", "", False)


def test_clerk_at_their_limit_may_approve() -> None:
    assert "approve" in permissions(POLICY, view(total=1000.0), ANA, PEOPLE)["verbs"]


def test_clerk_over_their_limit_is_not_offered_approve() -> None:
    allowed = permissions(POLICY, view(total=1500.0), ANA, PEOPLE)
    assert allowed["verbs"] == ["save", "escalate", "reject"]


def test_clerk_over_their_limit_is_told_why_with_both_amounts() -> None:
    allowed = permissions(POLICY, view(total=1500.0), ANA, PEOPLE)
    assert allowed["approve_note"] == ("This invoice (1,500.00 EUR) is above your approval limit of 1,000 EUR. "
                                       "Escalate it to someone whose limit covers it.")


def test_clerk_over_their_limit_after_conversion() -> None:
    """1,200 USD is 1,104 EUR: above a clerk's 1,000 EUR; the note gives the invoice's own amount."""
    allowed = permissions(POLICY, view(total=1200.0, currency="USD"), ANA, PEOPLE)
    assert "approve" not in allowed["verbs"]
    assert "(1,200.00 USD)" in allowed["approve_note"] and "1,000 EUR" in allowed["approve_note"]


def test_clerk_with_an_unknown_amount_is_not_offered_approve() -> None:
    allowed = permissions(POLICY, view(total=1000.0, currency="BRL"), ANA, PEOPLE)
    assert "approve" not in allowed["verbs"]
    assert allowed["approve_note"].startswith("The total (or its currency) is missing")


def test_admin_with_an_unknown_amount_may_approve() -> None:
    assert "approve" in permissions(POLICY, view(total=None), CY, PEOPLE)["verbs"]


def test_clerk_over_their_limit_can_escalate_to_someone_who_covers() -> None:
    allowed = permissions(POLICY, view(total=1500.0), ANA, PEOPLE)
    assert allowed["escalate_to"][0]["covers"] is True


def test_clerk_on_a_bank_changed_invoice_is_not_offered_approve() -> None:
    allowed = permissions(POLICY, view(total=100.0, checks=[BANK_CHECK]), ANA, PEOPLE)
    assert "approve" not in allowed["verbs"]
    assert "escalate" in allowed["verbs"]


def test_clerk_on_a_bank_changed_invoice_is_told_an_approver_must_call_back() -> None:
    note = permissions(POLICY, view(total=100.0, checks=[BANK_CHECK]), ANA, PEOPLE)["approve_note"]
    assert "only an approver can approve this, after calling the vendor back" in note


def test_manager_on_a_bank_changed_invoice_is_not_offered_approve() -> None:
    assert "approve" not in permissions(POLICY, view(total=100.0, checks=[BANK_CHECK]), MAX, PEOPLE)["verbs"]


def test_approver_on_a_bank_changed_invoice_approves_after_a_call_back() -> None:
    allowed = permissions(POLICY, view(total=100.0, checks=[BANK_CHECK]), BO, PEOPLE)
    assert "approve" in allowed["verbs"]
    assert allowed["callback"] is True
    assert allowed["approve_note"] == ""


def test_no_call_back_without_a_bank_change() -> None:
    assert permissions(POLICY, view(total=100.0), BO, PEOPLE)["callback"] is False


def test_likely_duplicate_needs_a_reason_to_approve() -> None:
    dup = {"id": "inv-0", "invoice_number": "INV-99", "state": "auto_approved"}
    allowed = permissions(POLICY, view(total=100.0, duplicate_of=dup), ANA, PEOPLE)
    assert "approve" in allowed["verbs"]
    assert allowed["approve_reason"] == ("This looks like a duplicate of INV-99 (auto approved). Say why it is not "
                                         "one.")


def test_likely_duplicate_without_a_number() -> None:
    allowed = permissions(POLICY, view(total=100.0, duplicate_of={"id": "inv-0"}), ANA, PEOPLE)
    assert allowed["approve_reason"] == "This looks like a duplicate of an earlier invoice. Say why it is not one."


def test_no_approve_reason_when_approve_is_not_offered() -> None:
    dup = {"id": "inv-0", "invoice_number": "INV-99", "state": "approved"}
    assert permissions(POLICY, view(total=5000.0, duplicate_of=dup), ANA, PEOPLE)["approve_reason"] == ""


def test_escalate_to_excludes_the_viewer() -> None:
    assert "aad-bo" not in ids(permissions(POLICY, view(), BO, PEOPLE)["escalate_to"])


def test_escalate_to_puts_the_vendors_default_approver_first() -> None:
    allowed = permissions(POLICY, view(vendor_match={"name": "Contoso", "default_approver": "Cy Chief"}), ANA,
                          PEOPLE)
    assert ids(allowed["escalate_to"])[0] == "aad-cy"


def escalated_to_bo(**extra: Any) -> dict[str, Any]:
    return view("escalated", escalated_to={"id": "aad-bo", "name": "Bo Approver"}, **extra)


def test_escalated_invoice_seen_by_its_approver_can_be_approved() -> None:
    allowed = permissions(POLICY, escalated_to_bo(total=8000.0), BO, PEOPLE)
    assert allowed["verbs"] == ["approve", "save", "escalate", "reject"]


def test_escalated_invoice_can_be_passed_on_to_others_not_to_themselves() -> None:
    allowed = permissions(POLICY, escalated_to_bo(total=8000.0), BO, PEOPLE)
    assert ids(allowed["escalate_to"]) == ["aad-cy", "aad-al"]


def test_escalated_invoice_seen_by_another_approver_is_not_passed_back_to_its_approver() -> None:
    allowed = permissions(POLICY, escalated_to_bo(total=8000.0), CY, PEOPLE)
    assert ids(allowed["escalate_to"]) == ["aad-al"]


def test_escalated_invoice_above_its_approvers_limit_goes_up() -> None:
    allowed = permissions(POLICY, escalated_to_bo(total=30_000.0), BO, PEOPLE)
    assert "approve" not in allowed["verbs"] and "escalate" in allowed["verbs"]
    assert "above your approval limit of 25,000 EUR" in allowed["approve_note"]
    assert allowed["escalate_to"][0] == {"id": "aad-cy", "name": "Cy Chief", "covers": True, "limit": "no limit"}


def test_escalated_invoice_seen_by_a_clerk_offers_nothing() -> None:
    allowed = permissions(POLICY, escalated_to_bo(), ANA, PEOPLE)
    assert allowed["verbs"] == []
    assert allowed["approve_note"] == "", "the state rule, not the policy, says no: no limit sentence"


@pytest.mark.parametrize("actor", [ANA, BO, CY, MAX, Actor("aad-zed", "Zed Guest", "viewer")])
def test_auto_approved_invoice_can_be_reopened_by_anyone(actor: Actor) -> None:
    allowed = permissions(POLICY, view("auto_approved", total=100.0, gate={"level": "L1", "reasons": []}), actor,
                          PEOPLE)
    assert allowed["verbs"] == ["reopen"]
    assert allowed["approve_note"] == ""


def test_decided_invoice_offers_nothing_and_explains_nothing() -> None:
    allowed = permissions(POLICY, view("approved", total=5000.0), ANA, PEOPLE)
    assert (allowed["verbs"], allowed["approve_note"]) == ([], "")


# ------------------------------------------------------------------------------------------ may_act with a Context


def over_limit(**extra: Any) -> Context:
    return Context(level="L2", amount=1500.0, limit=1000.0, amount_words="1,500.00 EUR", limit_words="1,000 EUR",
                   **extra)


def test_server_refuses_a_forged_approve_above_the_limit() -> None:
    why = may_act("approve", "needs_review", ANA, ctx=over_limit())
    assert why == ("This invoice (1,500.00 EUR) is above your approval limit of 1,000 EUR. Escalate it to someone "
                   "whose limit covers it.")


def test_server_accepts_an_approve_within_the_limit() -> None:
    assert may_act("approve", "needs_review", ANA, ctx=Context(amount=1000.0, limit=1000.0)) is None


def test_server_refuses_approve_with_an_unknown_amount_when_the_person_has_a_limit() -> None:
    why = may_act("approve", "needs_review", ANA, ctx=Context(amount=None, limit=1000.0))
    assert why == ("The total (or its currency) is missing, so your approval limit cannot be checked. Edit it "
                   "first.")


def test_server_accepts_an_unknown_amount_from_someone_without_a_limit() -> None:
    assert may_act("approve", "needs_review", CY, ctx=Context(amount=None, limit=None)) is None


def test_server_refuses_a_clerk_approving_a_bank_changed_invoice() -> None:
    why = may_act("approve", "needs_review", ANA, ctx=Context(amount=10.0, limit=1000.0, bank_changed=True))
    assert why is not None and "only an approver can approve this, after calling the vendor back" in why


def test_server_refuses_a_manager_approving_a_bank_changed_invoice() -> None:
    assert may_act("approve", "needs_review", MAX, ctx=Context(amount=10.0, limit=25000.0, bank_changed=True))


def test_server_accepts_an_approver_on_a_bank_changed_invoice() -> None:
    """The call-back itself is checked when the approval's data arrives (service), not by may_act."""
    assert may_act("approve", "needs_review", BO, ctx=Context(amount=10.0, limit=25000.0, bank_changed=True)) is None


def test_the_limit_does_not_stop_escalating_or_rejecting() -> None:
    for verb in ("escalate", "reject", "save"):
        assert may_act(verb, "needs_review", ANA, ctx=over_limit(bank_changed=True)) is None


def test_approver_passes_an_escalated_invoice_on() -> None:
    ctx = Context(amount=30_000.0, limit=25_000.0)
    assert may_act("escalate", "escalated", BO, escalated_to="aad-bo", ctx=ctx) is None


def test_the_person_escalated_to_may_pass_it_on_whatever_their_role() -> None:
    assert may_act("escalate", "escalated", ANA, escalated_to="aad-ana", ctx=over_limit()) is None


def test_a_clerk_may_not_pass_on_someone_elses_escalated_invoice() -> None:
    assert may_act("escalate", "escalated", ANA, escalated_to="aad-bo", ctx=Context()) == (
        "Only an approver can pass an escalated invoice on.")


def test_the_limit_applies_to_the_person_escalated_to() -> None:
    assert may_act("approve", "escalated", BO, escalated_to="aad-bo",
                   ctx=Context(amount=30_000.0, limit=25_000.0, amount_words="30,000.00 EUR",
                               limit_words="25,000 EUR")) is not None


def test_state_rules_come_before_the_limit() -> None:
    """An approved invoice says it is approved, not that it is above someone's limit."""
    assert may_act("approve", "approved", ANA, ctx=over_limit()) == (
        "This invoice is approved; it can no longer be approved.")


def test_buttons_for_with_a_context_drop_approve_above_the_limit() -> None:
    assert buttons_for("needs_review", ANA, over_limit()) == ("save", "escalate", "reject")
    assert buttons_for("needs_review", ANA, Context(amount=10.0, limit=1000.0)) == (
        "approve", "save", "escalate", "reject")


def test_default_policy_clerk_limit_is_what_the_server_checks() -> None:
    """End to end through the pure parts: the built-in policy, a 1,500 EUR invoice and a clerk."""
    ctx = context_for(Policy(), view(total=1500.0), ANA)
    assert may_act("approve", "needs_review", ANA, ctx=ctx) is not None
    assert may_act("approve", "needs_review", BO, ctx=context_for(Policy(), view(total=1500.0), BO)) is None
