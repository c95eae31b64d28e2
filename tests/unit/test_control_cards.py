"""The controls on the cards: the review card shows exactly what the server accepts from the viewer (routing's
``permissions``), the approve forms for a likely duplicate and for changed bank details, the gate level and why,
the vendor-master match; the ``admin policy`` card and command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bot.commands import Command
from bot.commands import parse as parse_command
from cards.policy import YAML_BUDGET, policy_card, summary_lines
from cards.review import review_card
from invoice_capture.review.policy import Policy, parse, to_yaml
from invoice_capture.review.routing import Person, permissions
from invoice_capture.review.workflow import Actor
from tests.cardschema import assert_valid_card, inputs, nodes, verbs

ANA = Actor("aad-ana", "Ana Clerk", "clerk")
BO = Actor("aad-bo", "Bo Approver", "approver")
CY = Actor("aad-cy", "Cy Chief", "admin")
GUEST = Actor("aad-zed", "Zed Guest", "viewer")
PEOPLE = [Person("aad-ana", "Ana Clerk", "clerk"), Person("aad-bo", "Bo Approver", "approver"),
          Person("aad-cy", "Cy Chief", "admin")]
POLICY = Policy()
BANK_CHECK = {"rule": "vendor.bank_changed", "message": "The IBAN on the invoice differs from the vendor master's.",
              "severity": "fraud", "ref": {}}
DUPLICATE = {"id": "inv-0", "invoice_number": "INV-99", "state": "approved",
             "received_at": "2026-11-01T08:00:00+00:00", "filename": "old.pdf"}
#: Card verbs for workflow verbs: the card's Edit opens the form whose Save sends ``save``.
CARD_VERB = {"save": "edit"}


def fld(value: Any, confidence: float = 0.97) -> dict[str, Any]:
    return {"value": value, "text": str(value), "confidence": confidence, "page": 1, "method": "label"}


def view(state: str = "needs_review", total: float = 800.0, **extra: Any) -> dict[str, Any]:
    """An invoice view as review/view.py builds it."""
    out: dict[str, Any] = {
        "id": "3f2c9a1e-0000-4000-8000-000000000001", "tenant_id": "t-1", "state": state, "version": 3,
        "filename": "invoice.pdf", "pages": 1, "source": "teams", "received_at": "2026-11-21T07:10:00+00:00",
        "uploaded_by": "Ana Clerk", "uploaded_by_id": "aad-ana",
        "fields": {"VendorName": fld("Contoso Ltd"), "InvoiceId": fld("INV-100"), "InvoiceDate": fld("2026-11-02"),
                   "InvoiceTotal": fld(total), "CurrencyCode": fld("EUR")},
        "items": [], "warnings": [], "error": None, "decision": None, "escalated_to": None, "escalated_by": None,
        "escalation_reason": None, "duplicate_of": None,
        "gate": {"level": "L2", "reasons": ["new vendor (not in the vendor master)"]}, "checks": [],
        "vendor_match": {}, "vendor": "Contoso Ltd", "invoice_number": "INV-100", "total": total, "currency": "EUR",
        "history": [],
    }
    out.update(extra)
    return out


def render(invoice: dict[str, Any], actor: Actor) -> tuple[dict, dict[str, Any]]:
    allowed = permissions(POLICY, invoice, actor, PEOPLE)
    card = review_card(invoice, role=actor.role, allowed=allowed)
    assert_valid_card(card)
    return card, allowed


def texts(card: dict) -> list[str]:
    return [n["text"] for n in nodes(card) if n.get("type") in ("TextBlock", "TextRun") and "text" in n]


def show_cards(card: dict) -> Iterator[dict]:
    yield from (n for n in nodes(card) if n.get("type") == "Action.ShowCard")


def approve_form(card: dict) -> dict:
    """The ShowCard whose own card submits ``approve``."""
    found = [s for s in show_cards(card) if "approve" in verbs(s["card"])]
    assert len(found) == 1, "approve must be behind exactly one form"
    return found[0]


ESCALATED = {"escalated_to": {"id": "aad-bo", "name": "Bo Approver"}, "escalated_by": {"name": "Ana Clerk"},
             "escalation_reason": "Over my limit"}
SCENARIOS: dict[str, tuple[dict[str, Any], Actor]] = {
    "clerk under limit": (view(total=800.0), ANA),
    "clerk over limit": (view(total=1500.0), ANA),
    "clerk, bank changed": (view(total=100.0, checks=[BANK_CHECK], gate={"level": "L3", "reasons": []}), ANA),
    "approver, bank changed": (view(total=100.0, checks=[BANK_CHECK], gate={"level": "L3", "reasons": []}), BO),
    "clerk, duplicate": (view(total=100.0, duplicate_of=DUPLICATE), ANA),
    "escalated, its approver": (view("escalated", total=8000.0, **ESCALATED), BO),
    "escalated, a clerk": (view("escalated", total=8000.0, **ESCALATED), ANA),
    "escalated above its approver": (view("escalated", total=30_000.0, **ESCALATED), BO),
    "auto approved, clerk": (view("auto_approved", gate={"level": "L1", "reasons": ["all checks passed"]}), ANA),
    "auto approved, guest": (view("auto_approved", gate={"level": "L1", "reasons": ["all checks passed"]}), GUEST),
    "approved": (view("approved", decision={"action": "approved", "by_name": "Bo Approver", "by_id": "aad-bo",
                                            "at": "2026-11-21T10:00:00+00:00", "reason": None}), CY),
    "failed": (view("failed", fields={}, error={"code": "encrypted_pdf", "message": "Password-protected."},
                    gate=None), ANA),
}


# ------------------------------------------------------------------------------------------ exactly the allowed verbs


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_card_shows_exactly_the_allowed_verbs(name: str) -> None:
    """A button the server refuses is a broken promise; one it accepts but the card hides is a dead end."""
    invoice, actor = SCENARIOS[name]
    card, allowed = render(invoice, actor)
    assert verbs(card) == {CARD_VERB.get(v, v) for v in allowed["verbs"]}


def test_clerk_over_limit_card_has_no_approve_and_says_why() -> None:
    card, allowed = render(view(total=1500.0), ANA)
    assert "approve" not in verbs(card)
    assert allowed["approve_note"] in texts(card)


def test_clerk_on_bank_changed_invoice_card_says_an_approver_must_call_back() -> None:
    card, _ = render(*SCENARIOS["clerk, bank changed"])
    assert "approve" not in verbs(card)
    assert any("only an approver can approve this, after calling the vendor back" in t for t in texts(card))


def test_plain_approve_is_one_click() -> None:
    card, _ = render(view(total=800.0), ANA)
    assert any(a.get("type") == "Action.Execute" and a.get("verb") == "approve" for a in card["actions"])
    assert not [s for s in show_cards(card) if "approve" in verbs(s["card"])]


def test_pass_on_is_offered_for_an_escalated_invoice() -> None:
    card, _ = render(*SCENARIOS["escalated, its approver"])
    titles = [a.get("title") for a in card["actions"]]
    assert "Pass on" in titles and "Escalate" not in titles


def test_pass_on_does_not_offer_the_approver_it_waits_for() -> None:
    card, _ = render(*SCENARIOS["escalated, its approver"])
    choices = [c["value"] for c in inputs(card)["approver"]["choices"]]
    assert choices == ["aad-cy"]


def test_escalate_choices_show_who_covers_the_amount() -> None:
    card, _ = render(view(total=1500.0), ANA)
    choice_set = inputs(card)["approver"]
    assert [c["title"] for c in choice_set["choices"]] == ["Bo Approver (limit 25,000 EUR)",
                                                           "Cy Chief (no limit)"]
    assert choice_set["value"] == "aad-bo", "the first who covers is preselected"


# ------------------------------------------------------------------------------------------ approve forms


def test_duplicate_approve_needs_a_reason() -> None:
    card, _ = render(*SCENARIOS["clerk, duplicate"])
    form = approve_form(card)
    reason = inputs(form["card"]).get("reason")
    assert reason is not None and reason["type"] == "Input.Text"
    assert reason["isRequired"] is True


def test_duplicate_approve_form_says_which_invoice() -> None:
    card, allowed = render(*SCENARIOS["clerk, duplicate"])
    assert allowed["approve_reason"] in texts(approve_form(card)["card"])
    assert "INV-99" in allowed["approve_reason"]


def test_no_reason_form_without_a_duplicate() -> None:
    card, _ = render(view(total=800.0), ANA)
    assert not [s for s in show_cards(card) if "approve" in verbs(s["card"])]


def test_bank_change_approve_needs_a_call_back_confirmation_and_note() -> None:
    card, allowed = render(*SCENARIOS["approver, bank changed"])
    assert allowed["callback"] is True
    form_inputs = inputs(approve_form(card)["card"])
    toggle, note = form_inputs["callback_confirmed"], form_inputs["callback_note"]
    assert (toggle["type"], toggle["isRequired"]) == ("Input.Toggle", True)
    assert (note["type"], note["isRequired"]) == ("Input.Text", True)


def test_call_back_form_warns_not_to_use_the_invoices_phone_number() -> None:
    card, _ = render(*SCENARIOS["approver, bank changed"])
    assert any("never one printed on this invoice" in t for t in texts(approve_form(card)["card"]))


def test_call_back_and_duplicate_together_ask_for_the_call_back() -> None:
    invoice = view(total=100.0, checks=[BANK_CHECK], duplicate_of=DUPLICATE, gate={"level": "L3", "reasons": []})
    card, _ = render(invoice, BO)
    assert "callback_confirmed" in inputs(approve_form(card)["card"])


def test_approve_note_is_shown_only_when_approve_is_missing() -> None:
    card, _ = render(view(total=800.0), ANA)
    assert not any("approval limit" in t for t in texts(card))


# ------------------------------------------------------------------------------------------ gate line


def containers_with(card: dict, needle: str) -> list[dict]:
    return [n for n in nodes(card) if n.get("type") == "Container" and any(needle in t for t in texts(n))]


def test_fraud_alert_l3_is_in_an_attention_container() -> None:
    invoice = view(total=100.0, checks=[BANK_CHECK], gate={"level": "L3", "reasons": [
        "bank details differ from the vendor master", "an approver must confirm it by calling the vendor back"]})
    card, _ = render(invoice, BO)
    assert any(t.startswith("Fraud alert (L3)") for t in texts(card))
    styled = [c for c in containers_with(card, "Fraud alert (L3)") if c.get("style") == "attention"]
    assert styled, "the top of an L3 card is red"


def test_fraud_alert_gives_its_reasons() -> None:
    invoice = view(total=100.0, checks=[BANK_CHECK], gate={"level": "L3", "reasons": [
        "bank details differ from the vendor master", "an approver must confirm it by calling the vendor back"]})
    card, _ = render(invoice, BO)
    assert ("Why: bank details differ from the vendor master; an approver must confirm it by calling the vendor "
            "back") in texts(card)


def test_l2_says_a_person_must_approve_and_why() -> None:
    invoice = view(total=6000.0, gate={"level": "L2", "reasons": ["new vendor (not in the vendor master)",
                                                                  "total above 5,000 EUR"]})
    card, _ = render(invoice, BO)
    assert "Needs a person's approval (L2)" in texts(card)
    assert "Why: new vendor (not in the vendor master); total above 5,000 EUR" in texts(card)


def test_l2_card_is_not_red() -> None:
    card, _ = render(view(), BO)
    assert not [n for n in nodes(card) if n.get("type") == "Container" and n.get("style") == "attention"]


def test_l1_says_approved_automatically_because() -> None:
    invoice = view("auto_approved", gate={"level": "L1", "reasons": [
        "every key field read with confidence of at least 90%", "all checks passed", "known vendor Contoso Ltd",
        "total under 5,000 EUR"]})
    card, _ = render(invoice, ANA)
    assert "Approved automatically (L1)" in texts(card)
    assert any(t.startswith("Because: every key field read") and "total under 5,000 EUR" in t for t in texts(card))


def test_l0_says_logged() -> None:
    card, _ = render(view("auto_approved", gate={"level": "L0", "reasons": ["total under 50 EUR"]}), ANA)
    assert "Approved automatically (L0, logged)" in texts(card)


@pytest.mark.parametrize("state", ["received", "extracting", "failed"])
def test_no_gate_line_before_the_invoice_is_read(state: str) -> None:
    invoice = view(state, gate={"level": "L2", "reasons": ["missing: total"]})
    card, _ = render(invoice, ANA)
    assert not any("(L2)" in t for t in texts(card))


# ------------------------------------------------------------------------------------------ vendor master line


def test_vendor_master_matched_by_tax_id() -> None:
    card, _ = render(view(vendor_match={"vendor_id": "v-1", "name": "Contoso Ltd", "by": "tax_id", "score": 100}),
                     ANA)
    assert "Vendor master: Contoso Ltd (matched by tax id)" in texts(card)


def test_vendor_master_matched_by_iban() -> None:
    card, _ = render(view(vendor_match={"vendor_id": "v-1", "name": "Contoso Ltd", "by": "iban", "score": 100}), ANA)
    assert "Vendor master: Contoso Ltd (matched by IBAN)" in texts(card)


def test_vendor_master_matched_by_name_shows_the_score() -> None:
    card, _ = render(view(vendor_match={"vendor_id": "v-1", "name": "Contoso Ltd", "by": "name", "score": 93.4}),
                     ANA)
    assert "Vendor master: Contoso Ltd (matched by name, 93%)" in texts(card)


def test_vendor_master_no_match_says_new_vendor() -> None:
    card, _ = render(view(vendor_match={}), ANA)
    assert "Vendor master: no match (new vendor)" in texts(card)


# ------------------------------------------------------------------------------------------ policy card


def default_card(**kw: Any) -> dict:
    p = Policy()
    return policy_card(summary_lines(p.model_dump()), to_yaml(p), source="built-in defaults", **kw)


def facts(card: dict) -> dict[str, str]:
    """The policy card's (topic, sentence) rows, by topic."""
    out = {}
    for n in nodes(card):
        if n.get("type") == "ColumnSet" and len(n.get("columns") or []) == 2:
            key, value = (c["items"][0].get("text", "") for c in n["columns"])
            out[key] = value
    return out


def test_policy_card_is_valid() -> None:
    assert_valid_card(default_card(tenant="t-1"))


def test_policy_card_mentions_the_approval_limits() -> None:
    f = facts(default_card())
    assert f["Approval limits"] == "clerk 1,000 EUR; approver 25,000 EUR; manager 25,000 EUR; admin no limit"


def test_policy_summary_mentions_the_auto_approve_threshold() -> None:
    line = dict(summary_lines(Policy().model_dump()))["Automatic approval"]
    assert "90% confidence" in line and "the total is under 5,000 EUR" in line


def test_policy_card_shows_the_auto_approve_threshold() -> None:
    """The threshold is the first thing an admin looks for on the card, not only in the hidden YAML."""
    assert "5,000 EUR" in facts(default_card())["Automatic approval"]


def test_policy_card_shows_the_check_parameters() -> None:
    line = facts(default_card())["Checks"]
    assert "within 7 days" in line and "3 years back" in line and "vendor name match from 88%" in line


def test_policy_card_says_who_is_asked() -> None:
    assert facts(default_card())["Who is asked"] == (
        "up to 1,000 EUR: clerk; up to 25,000 EUR: approver; above 25,000 EUR: admin")


def test_policy_card_shows_the_source_and_tenant() -> None:
    assert "From built-in defaults · tenant t-1" in texts(default_card(tenant="t-1"))


def test_policy_card_shows_the_yaml_behind_a_toggle() -> None:
    card = default_card()
    hidden = [n for n in nodes(card) if n.get("id") == "policy-yaml"]
    assert hidden and hidden[0]["isVisible"] is False
    assert any("max_total: 5000.0" in t for t in texts(hidden[0]))


def test_policy_card_error_is_shown_in_red() -> None:
    card = default_card(error="auto_approve.max_totl: Extra inputs are not permitted")
    assert_valid_card(card)
    red = [n for n in nodes(card) if n.get("color") == "attention"]
    assert any("auto_approve.max_totl" in n.get("text", "") for n in red)


def test_policy_card_auto_approve_off() -> None:
    p = parse({"auto_approve": {"enabled": False}})
    assert dict(summary_lines(p.model_dump()))["Automatic approval"] == "Off: every invoice waits for a person."


def test_policy_card_log_only_and_named_limits_when_set() -> None:
    p = parse({"log_only": {"enabled": True, "max_total": 20}, "approval": {"people": {"Ana Clerk": 3000}},
               "auto_approve": {"known_from_history": 3}})
    lines = dict(summary_lines(p.model_dump()))
    assert lines["Log only (L0)"] == "Under 20 EUR, on top of the L1 conditions."
    assert lines["Named limits"] == "Ana Clerk 3,000 EUR"
    assert "or with 3 approved invoices" in lines["Automatic approval"]


def test_policy_card_without_log_only_or_named_limits_leaves_them_out() -> None:
    lines = dict(summary_lines(Policy().model_dump()))
    assert "Log only (L0)" not in lines and "Named limits" not in lines


def test_policy_card_with_a_huge_file_stays_under_the_size_limit() -> None:
    p = parse({"extraction": {"vendors": {f"vendor-{i}": {"label": "x" * 80} for i in range(400)}}})
    yaml_text = to_yaml(p)
    assert len(yaml_text) > YAML_BUDGET
    assert_valid_card(policy_card(summary_lines(p.model_dump()), yaml_text, source="/etc/policy.yaml"))


def test_policy_card_yaml_is_the_policy_in_force() -> None:
    p = parse({"tenants": {"t-1": {"auto_approve": {"max_total": 750}}}}, "t-1")
    assert yaml.safe_load(to_yaml(p))["auto_approve"]["max_total"] == 750


# ------------------------------------------------------------------------------------------ admin policy command


@pytest.mark.parametrize("text", ["admin policy", "Admin Policy", "ADMIN POLICY?", "<at>Invoice Capture</at> admin "
                                  "policy", "admin policies", "policy", "<p>admin policy</p>"])
def test_admin_policy_command(text: str) -> None:
    assert parse_command(text) == Command("policy")


@pytest.mark.parametrize("text", ["admin", "admin users", "policy please"])
def test_other_admin_words_are_not_the_policy_command(text: str) -> None:
    assert parse_command(text).name != "policy"
