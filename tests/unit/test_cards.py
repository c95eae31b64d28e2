"""Adaptive Card builders: every card validates against schema 1.5 and stays small; buttons follow state and role."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from cards import (
    edit_card,
    help_card,
    notice_card,
    pending_card,
    problem_card,
    reading_card,
    review_card,
    status_card,
    summary_card,
)
from cards.common import (
    CARD_BUDGET,
    confidence_marker,
    format_amount,
    format_date,
    format_datetime,
    format_duration,
    text,
)
from tests.cardschema import TEAMS_MAX_CARD_BYTES, assert_valid_card, card_size, load_schema

STATES = ("received", "extracting", "needs_review", "auto_approved", "approved", "rejected", "escalated",
          "exported", "failed")
ROLES = ("clerk", "approver", "manager", "admin")
DECISION = {"approve", "edit", "escalate", "reject"}
APPROVERS = [{"id": "aad-bo", "name": "Bo Approver"}, {"id": "aad-cy", "name": "Cy Chief"}]


def expected_verbs(state: str, role: str) -> set[str]:
    """The button table from the brief, written out independently of the implementation."""
    if role not in ("clerk", "approver", "manager", "admin"):
        return {"auto_approved": {"reopen"}, "failed": {"retry"}}.get(state, set())
    if state == "needs_review":
        return DECISION
    if state == "escalated":  # an approver decides it or passes it on
        return {"approve", "edit", "escalate", "reject"} if role in ("approver", "admin") else set()
    if state == "failed":
        return {"retry"}
    if state == "auto_approved":
        return {"reopen"}
    return set()


def field(value: Any, confidence: float = 0.97, **extra: Any) -> dict:
    return {"value": value, "text": str(value), "confidence": confidence, "page": 1, "bbox": [1, 2, 3, 4],
            "method": "label", **extra}


def item(description: str, quantity: float, unit: float, amount: float, confidence: float = 0.93) -> dict:
    return {"Description": field(description, confidence), "Quantity": field(quantity, confidence),
            "UnitPrice": field(unit, confidence), "Amount": field(amount, confidence)}


def make_invoice(state: str = "needs_review", **overrides: Any) -> dict:
    invoice = {
        "id": "3f2c9a1e-0000-4000-8000-000000000001",
        "state": state,
        "version": 3,
        "filename": "invoice.pdf",
        "pages": 2,
        "received_at": "2026-11-21T07:10:00+00:00",
        "fields": {
            "VendorName": field("Contoso Ltd"),
            "InvoiceId": field("INV-100"),
            "InvoiceDate": field("2026-11-02"),
            "DueDate": field("2026-12-02", 0.8),
            "PurchaseOrder": field("PO-7", 0.5),
            "CurrencyCode": field("EUR"),
            "SubTotal": field(100.0),
            "TotalTax": field(19.0),
            "InvoiceTotal": field(1234.56),
            "AmountDue": field(1234.56, method="derived"),
            "CustomerName": field("Fabrikam GmbH"),
            "PaymentTerm": field("30 days net", 0.7),
            "PaymentDetails": field([{"IBAN": "DE89370400440532013000", "SWIFT": "COBADEFFXXX"}], 0.9,
                                    method="pattern"),
        },
        "items": [item("Consulting", 2, 30.0, 60.0), item("Travel", 1, 40.0, 40.0, 0.6)],
        "warnings": ["Subtotal + tax (100.00 + 19.00) does not equal the total 1234.56."],
        "error": None,
        "decision": None,
        "escalated_to": None,
        "duplicate_of": None,
        "history": [{"action": "edited", "actor_name": "Ana", "at": "2026-11-21T08:00:00+00:00", "reason": None,
                     "changes": {"InvoiceId": ["INV-1", "INV-100"]}}],
    }
    if state in ("approved", "rejected", "exported"):
        invoice["decision"] = {"action": "rejected" if state == "rejected" else "approved", "by_name": "Ana Clerk",
                               "at": "2026-11-21T10:04:00+00:00",
                               "reason": "Not our order" if state == "rejected" else None}
    if state == "escalated":
        invoice.update(escalated_to={"id": "aad-bo", "name": "Bo"}, escalated_by={"name": "Ana"},
                       escalation_reason="Over my limit")
    if state == "failed":
        invoice.update(error={"code": "encrypted_pdf", "message": "The PDF is password-protected."}, fields={},
                       items=[], warnings=[])
    invoice.update(overrides)
    return invoice


def walk(node: Any) -> Iterator[dict]:
    """Every dict in a card, including those inside ShowCards and the refresh action."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def verbs(card: dict) -> set[str]:
    return {n["verb"] for n in walk(card) if n.get("type") == "Action.Execute" and "verb" in n}


def button_verbs(card: dict) -> set[str]:
    """Verbs a person can press: everything except the automatic refresh."""
    return verbs({k: v for k, v in card.items() if k != "refresh"})


def executes(card: dict) -> list[dict]:
    return [n for n in walk(card) if n.get("type") == "Action.Execute"]


def inputs(card: dict) -> dict[str, dict]:
    return {n["id"]: n for n in walk(card) if str(n.get("type", "")).startswith("Input.")}


def texts(card: dict) -> list[str]:
    """The visible strings: TextBlock/TextRun text, facts, labels, titles, choices."""
    out = []
    for node in walk(card):
        for key in ("text", "title", "value", "label", "placeholder", "errorMessage"):
            if isinstance(node.get(key), str):
                out.append(node[key])
    return out


def all_text(card: dict) -> str:
    return "\n".join(texts(card))


def by_id(card: dict, element_id: str) -> dict:
    found = [n for n in walk(card) if n.get("id") == element_id and "type" in n]
    assert len(found) == 1, f"{element_id}: {len(found)} elements"
    return found[0]


# --- the validator itself -------------------------------------------------------------------------------------

def test_validator_accepts_a_minimal_card() -> None:
    assert_valid_card({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "hi"}]})


SCHEMA_INVALID = [
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Carousel", "pages": []}]}, "'Carousel'"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}, "'text' is a required"),
    ({"type": "AdaptiveCard", "version": "1.5",
      "body": [{"type": "Container", "items": [{"type": "Input.Text", "label": "x"}]}]}, "'id' is a required"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x", "color": "red"}]},
     "'red'"),
    ({"type": "AdaptiveCard", "version": "1.5",
      "actions": [{"type": "Action.ShowCard", "card": {"type": "AdaptiveCard", "body": [
          {"type": "Table", "rows": [{"type": "TableRow", "cells": [{"type": "TableCell"}]}]}]}}]},
     "'items' is a required"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x", "wrapp": True}]},
     "'wrapp' was unexpected"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Action.Execute", "verb": "x"}]},
     "'Action.Execute' is not allowed"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"text": "no type"}]}, "'type' is a required"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "RichTextBlock", "inlines": [
        {"type": "TextBlock", "text": "x"}]}]}, "'TextBlock' is not one of"),
]


@pytest.mark.parametrize(("card", "why"), [
    *SCHEMA_INVALID,
    ({"type": "AdaptiveCard", "body": []}, "version"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Input.Text", "id": "a"},
                                                          {"type": "Input.Date", "id": "a"}]}, "duplicate"),
    ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x" * 30_000}]}, "bytes"),
    ({"type": "AdaptiveCard", "version": "1.5", "refresh": {
        "action": {"type": "Action.Execute", "verb": "refresh"}, "userIds": [f"u{i}" for i in range(61)]}}, "60"),
])
def test_validator_rejects_invalid_cards(card: dict, why: str) -> None:
    with pytest.raises(AssertionError, match=why.replace("(", r"\(").replace("[", r"\[")):
        assert_valid_card(card)


def test_typed_dispatch_agrees_with_the_plain_schema() -> None:
    """The fast anyOf only skips branches that must fail: verdicts match a stock validator's."""
    plain = jsonschema.validators.validator_for(load_schema())(load_schema())
    valid = [review_card(make_invoice(state), role="admin", approvers=APPROVERS, refresh_user_ids=["u"])
             for state in ("needs_review", "escalated", "failed")]
    valid += [edit_card(make_invoice()), help_card(), pending_card([pending_row(1)]), reading_card("a.pdf")]
    for card in valid:
        assert plain.is_valid(card)
        assert_valid_card(card)
    for card, _ in SCHEMA_INVALID:
        assert not plain.is_valid(card)
        with pytest.raises(AssertionError):
            assert_valid_card(card)


def test_validator_allows_the_same_input_id_in_sibling_showcards_only() -> None:
    def show(input_id: str) -> dict:
        return {"type": "Action.ShowCard", "title": "x", "card": {
            "type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": input_id}]}}
    assert_valid_card({"type": "AdaptiveCard", "version": "1.5", "actions": [show("reason"), show("reason")]})
    with pytest.raises(AssertionError, match="duplicate"):
        assert_valid_card({"type": "AdaptiveCard", "version": "1.5",
                           "body": [{"type": "Input.Text", "id": "reason"}], "actions": [show("reason")]})


# --- review card: buttons by state and role ---------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_review_card_buttons_follow_state_and_role(state: str, role: str) -> None:
    invoice = make_invoice(state)
    card = review_card(invoice, role=role, approvers=APPROVERS, refresh_user_ids=["u1", "u2"])
    assert_valid_card(card)
    assert button_verbs(card) == expected_verbs(state, role)
    assert card["refresh"]["action"]["verb"] == "refresh"
    for action in executes(card):
        assert action["data"]["invoice_id"] == invoice["id"]
        assert action["data"]["version"] == 3


@pytest.mark.parametrize("state", STATES)
def test_review_card_is_valid_without_approvers_or_refresh(state: str) -> None:
    card = review_card(make_invoice(state), role="admin")
    assert_valid_card(card)
    assert "refresh" not in card
    assert "escalate" not in verbs(card)


def test_unknown_role_gets_no_decision_buttons() -> None:
    card = review_card(make_invoice(), role="guest", approvers=APPROVERS)
    assert_valid_card(card)
    assert button_verbs(card) == set()


def test_escalate_form_lists_approvers_and_asks_for_a_reason() -> None:
    card = review_card(make_invoice(), approvers=APPROVERS)
    show = next(a for a in card["actions"] if a["title"] == "Escalate")
    assert show["type"] == "Action.ShowCard"
    assert verbs(show) == {"escalate"}
    fields = inputs(show)
    assert fields["approver"]["type"] == "Input.ChoiceSet"
    assert [(c["title"], c["value"]) for c in fields["approver"]["choices"]] == [
        ("Bo Approver", "aad-bo"), ("Cy Chief", "aad-cy")]
    assert fields["reason"]["type"] == "Input.Text" and fields["reason"]["isMultiline"] is True


def test_escalate_without_approvers_says_so_and_cannot_submit() -> None:
    card = review_card(make_invoice(), approvers=[])
    show = next(a for a in card["actions"] if a["title"] == "Escalate")
    assert "No approver is set up yet" in all_text(show)
    assert verbs(show) == set() and inputs(show) == {}
    assert_valid_card(card)


def test_reject_requires_a_reason() -> None:
    card = review_card(make_invoice())
    show = next(a for a in card["actions"] if a["title"] == "Reject")
    reason = inputs(show)["reason"]
    assert reason["isRequired"] is True and reason["errorMessage"]
    assert verbs(show) == {"reject"}


def test_escalated_card_says_who_it_waits_for() -> None:
    invoice = make_invoice("escalated")
    for role in ("clerk", "manager"):
        card = review_card(invoice, role=role)
        assert "Waiting for Bo" in texts(card)
        assert "Escalated to Bo" in texts(card)
        assert "Escalated by Ana: Over my limit" in texts(card)
    assert "Waiting for Bo" not in texts(review_card(invoice, role="approver"))


def test_refresh_carries_at_most_60_user_ids() -> None:
    users = [f"user-{i}" for i in range(100)]
    card = review_card(make_invoice(), refresh_user_ids=users)
    assert card["refresh"]["userIds"] == users[:60]
    assert card["refresh"]["action"]["data"] == {"invoice_id": make_invoice()["id"], "version": 3}
    assert_valid_card(card)


# --- review card: content -------------------------------------------------------------------------------------

def test_review_card_header_fields_and_notice() -> None:
    card = review_card(make_invoice(), notice="Bo already approved this invoice.")
    shown = texts(card)
    assert "Contoso Ltd" in shown
    assert "1,234.56 EUR" in shown
    assert "Needs review" in shown
    assert "invoice.pdf · 2 pages · received 21 Nov 2026 07:10 UTC" in shown
    assert "Bo already approved this invoice." in shown
    assert "Subtotal + tax (100.00 + 19.00) does not equal the total 1234.56." in shown
    assert "2 Nov 2026" in shown and "2 Dec 2026" in shown
    assert "DE89 3704 0044 0532 0130 00" in shown and "COBADEFFXXX" in shown
    labels = [n["text"] for n in walk(card) if n.get("type") == "TextBlock" and n.get("weight") == "bolder"]
    order = ["Vendor", "Invoice number", "Invoice date", "Due date", "PO number", "Currency", "Subtotal", "Tax",
             "Total", "Amount due", "Customer", "Payment terms", "IBAN", "SWIFT / BIC"]
    assert [label for label in labels if label in order] == order


@pytest.mark.parametrize(("state", "badge"), [
    ("needs_review", "Needs review"),
    ("approved", "Approved by Ana Clerk · 21 Nov 2026 10:04 UTC"),
    ("rejected", "Rejected by Ana Clerk: Not our order"),
    ("escalated", "Escalated to Bo"),
    ("failed", "Could not read this file"),
    ("auto_approved", "Approved automatically. Anyone may reopen it for review."),
    ("exported", "Exported · approved by Ana Clerk"),
])
def test_state_badge_in_words(state: str, badge: str) -> None:
    assert badge in texts(review_card(make_invoice(state)))


@pytest.mark.parametrize("state", ["received", "extracting"])
def test_card_before_extraction_has_no_field_grid(state: str) -> None:
    card = review_card(make_invoice(state, fields={}, items=[]))
    assert_valid_card(card)
    assert "The fields appear here as soon as the file is read." in texts(card)
    assert not [n for n in walk(card) if str(n.get("id", "")).startswith("row.")]
    assert "missing" not in texts(card)


def test_failed_card_shows_the_error_and_offers_retry_to_everyone() -> None:
    for role in (*ROLES, "guest"):
        card = review_card(make_invoice("failed"), role=role)
        assert_valid_card(card)
        assert "The PDF is password-protected." in texts(card)
        assert button_verbs(card) == {"retry"}
        assert "missing" not in texts(card)


@pytest.mark.parametrize(("confidence", "marker"), [
    (0.99, "✓"), (0.9, "✓"), (0.89, "check this"), (0.65, "check this"), (0.64, "unsure"), (0.1, "unsure"),
    (None, "missing"),
])
def test_confidence_markers(confidence: float | None, marker: str) -> None:
    invoice = make_invoice()
    if confidence is None:
        del invoice["fields"]["InvoiceId"]
    else:
        invoice["fields"]["InvoiceId"]["confidence"] = confidence
    card = review_card(invoice)
    row = by_id(card, "row.InvoiceId")
    assert texts(row)[-1] == marker
    assert_valid_card(card)


def test_marker_colours_and_edits() -> None:
    assert confidence_marker({"confidence": 0.95}) == ("✓", "good")
    assert confidence_marker({"confidence": 0.7}) == ("check this", "warning")
    assert confidence_marker({"confidence": 0.2}) == ("unsure", "attention")
    assert confidence_marker(None)[0] == "missing"
    assert confidence_marker({"value": "x"}) == ("check this", "warning")
    invoice = make_invoice()
    invoice["fields"]["InvoiceTotal"].update(confidence=0.2, edited_by="Ana")
    assert texts(by_id(review_card(invoice), "row.InvoiceTotal"))[-1] == "edited by Ana"


def test_empty_invoice_shows_every_field_as_missing() -> None:
    invoice = make_invoice(fields={}, items=[], warnings=[], history=[], pages=None)
    card = review_card(invoice, approvers=APPROVERS)
    assert_valid_card(card)
    for name in ("VendorName", "InvoiceId", "InvoiceTotal", "PaymentTerm", "IBAN", "SWIFT"):
        assert texts(by_id(card, f"row.{name}")) [-2:] == ["—", "missing"]
    shown = texts(card)
    assert "Unknown vendor" in shown
    assert "invoice.pdf · received 21 Nov 2026 07:10 UTC" in shown
    assert "No line items found." in shown and "No changes yet." in shown


def test_items_table_shows_eight_rows_then_and_n_more() -> None:
    items = [item(f"Service {i}", 1, 10.0, 10.0) for i in range(30)]
    card = review_card(make_invoice(items=items))
    assert_valid_card(card)
    tables = [n for n in walk(card) if n.get("type") == "Table"]
    assert len(tables) == 1
    rows = tables[0]["rows"]
    assert texts(rows[0]) == ["Description", "Qty", "Unit price", "Amount"]
    assert len(rows) == 1 + 8
    assert texts(rows[1]) == ["Service 0", "1", "10.00", "10.00"]
    assert "and 22 more line items" in texts(card)
    assert "Line items (30), amounts in EUR" in texts(card)


def test_doubtful_item_cells_are_coloured() -> None:
    card = review_card(make_invoice())
    rows = next(n for n in walk(card) if n.get("type") == "Table")["rows"]
    travel = [n for n in walk(rows[2]) if n.get("type") == "TextBlock"]
    assert {n.get("color") for n in travel} == {"warning"}
    consulting = [n for n in walk(rows[1]) if n.get("type") == "TextBlock"]
    assert {n.get("color") for n in consulting} == {None}


def test_details_hold_history_and_how_fields_were_read() -> None:
    card = review_card(make_invoice())
    toggle = next(n for n in walk(card) if n.get("type") == "Action.ToggleVisibility")
    details = by_id(card, toggle["targetElements"][0])
    assert details["isVisible"] is False
    shown = texts(details)
    assert "21 Nov 2026 08:00 UTC · Ana · edited: Invoice number INV-1 → INV-100" in shown
    assert "Vendor: read from label, page 1 (97%)" in shown
    assert "Amount due: calculated from other fields, page 1 (97%)" in shown
    assert "Bank details: matched by pattern, page 1 (90%)" in shown


def test_einvoice_fields_say_so() -> None:
    invoice = make_invoice()
    invoice["fields"]["VendorName"].update(method="einvoice", confidence=1.0, page=None)
    assert "Vendor: e-invoice data (100%)" in texts(review_card(invoice))


def test_duplicate_line() -> None:
    invoice = make_invoice(duplicate_of={"id": "x", "invoice_number": "INV-1", "state": "approved",
                                         "received_at": "2026-11-02T09:00:00+00:00"})
    card = review_card(invoice)
    assert "Possible duplicate of INV-1 (approved, 2 Nov 2026)" in texts(card)
    assert_valid_card(card)


def test_markup_in_document_text_is_shown_verbatim() -> None:
    """A vendor name cannot become a link: markdown-like text goes into a TextRun, which is never markdown."""
    evil = "Pay [here](https://evil.example) **now** <b>x</b>"
    invoice = make_invoice()
    invoice["fields"]["VendorName"]["value"] = evil
    card = review_card(invoice)
    assert_valid_card(card)
    holders = [n for n in walk(card) if n.get("text") == evil]
    assert holders and all(n.get("type") == "TextRun" for n in holders)
    assert text("Contoso Ltd")["type"] == "TextBlock"
    assert text("show <invoice number>")["type"] == "RichTextBlock"


def test_long_vendor_name_is_truncated() -> None:
    invoice = make_invoice()
    invoice["fields"]["VendorName"]["value"] = "Contoso " * 500
    card = review_card(invoice)
    assert_valid_card(card)
    assert max(len(t) for t in texts(card)) <= 300
    assert any(t.startswith("Contoso Contoso") and t.endswith("…") for t in texts(card))


def test_many_warnings_are_summarised() -> None:
    card = review_card(make_invoice(warnings=[f"Check {i} failed." for i in range(9)]))
    shown = texts(card)
    assert "Check 4 failed." in shown and "Check 5 failed." not in shown
    assert "and 4 more warnings" in shown


MARKUP_JUNK = "W_[x](y) " * 200
WIDE_JUNK = "株式会社請求書_ü " * 200


def worst_invoice(state: str, junk: str = MARKUP_JUNK) -> dict:
    """Every text as long and markup-laden (or as wide once JSON-escaped) as it can be: the card must still fit."""
    invoice = make_invoice(state, filename=junk, warnings=[junk] * 30, items=[item(junk, 1, 1, 1)] * 40,
                           history=[{"action": junk, "actor_name": junk, "at": "2026-11-21T08:00:00Z", "reason": junk,
                                     "changes": {f"{junk}{i}": [junk, junk] for i in range(9)}}] * 40,
                           duplicate_of={"id": "x", "invoice_number": junk, "state": "approved"},
                           error={"code": "x", "message": junk}, escalated_to={"name": junk},
                           escalated_by={"name": junk}, escalation_reason=junk,
                           decision={"action": "approved", "by_name": junk, "at": "2026-11-21T08:00:00Z",
                                     "reason": junk})
    invoice["fields"] = {n: {**field(junk, 0.3), "method": junk, "edited_by": junk if n < "M" else None}
                         for n in ("VendorName", "InvoiceId", "InvoiceDate", "DueDate", "PurchaseOrder",
                                   "CurrencyCode", "SubTotal", "TotalTax", "InvoiceTotal", "AmountDue",
                                   "CustomerName", "PaymentTerm")}
    invoice["fields"]["PaymentDetails"] = field([{"IBAN": junk, "SWIFT": junk}] * 9, 0.3)
    return invoice


@pytest.mark.parametrize("junk", [MARKUP_JUNK, WIDE_JUNK], ids=["markup", "wide"])
@pytest.mark.parametrize("state", STATES)
def test_worst_case_cards_stay_under_28_kb(state: str, junk: str) -> None:
    approvers = [{"id": f"{i:036d}", "name": junk} for i in range(500)]
    card = review_card(worst_invoice(state, junk), role="admin", approvers=approvers, notice=junk,
                       refresh_user_ids=[f"{i:036d}" for i in range(500)])
    assert_valid_card(card)
    assert card_size(card) <= CARD_BUDGET < TEAMS_MAX_CARD_BYTES
    assert button_verbs(card) == expected_verbs(state, "admin")
    edit = edit_card(worst_invoice(state, junk), notice=junk)
    assert_valid_card(edit)
    assert button_verbs(edit) == {"save", "cancel"}


def test_typical_card_keeps_full_detail() -> None:
    items = [item(f"Service {i}", 1, 10.0, 10.0) for i in range(30)]
    history = [{"action": "edited", "actor_name": "Ana", "at": "2026-11-21T08:00:00Z",
                "changes": {"InvoiceId": ["INV-1", "INV-100"]}}] * 12
    card = review_card(make_invoice(items=items, history=history), approvers=APPROVERS * 15,
                       refresh_user_ids=[f"{i:036d}" for i in range(60)])
    assert_valid_card(card)
    shown = texts(card)
    assert "and 22 more line items" in shown and "4 earlier events not shown" in shown
    assert len(inputs(card)["approver"]["choices"]) == 30


def test_review_card_does_not_mutate_its_input() -> None:
    invoice = make_invoice()
    before = copy.deepcopy(invoice)
    review_card(invoice, approvers=APPROVERS)
    edit_card(invoice)
    assert invoice == before


def test_review_card_is_json() -> None:
    card = review_card(make_invoice())
    assert json.loads(json.dumps(card)) == card
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.5"


# --- edit card ------------------------------------------------------------------------------------------------

def test_edit_card_inputs_are_prefilled() -> None:
    invoice = make_invoice()
    card = edit_card(invoice, notice="Cy changed this invoice; you are editing version 3.")
    assert_valid_card(card)
    fields = inputs(card)
    assert set(fields) == {f"field.{n}" for n in (
        "VendorName", "InvoiceId", "InvoiceDate", "DueDate", "PurchaseOrder", "CurrencyCode", "SubTotal",
        "TotalTax", "InvoiceTotal", "AmountDue", "CustomerName", "PaymentTerm", "IBAN", "SWIFT")}
    assert fields["field.VendorName"] == {**fields["field.VendorName"], "type": "Input.Text", "value": "Contoso Ltd"}
    assert fields["field.InvoiceDate"]["type"] == "Input.Date" and fields["field.InvoiceDate"]["value"] == "2026-11-02"
    assert fields["field.InvoiceTotal"]["type"] == "Input.Number" and fields["field.InvoiceTotal"]["value"] == 1234.56
    assert fields["field.CurrencyCode"]["type"] == "Input.Text" and fields["field.CurrencyCode"]["value"] == "EUR"
    assert fields["field.IBAN"]["value"] == "DE89370400440532013000"
    assert fields["field.SWIFT"]["value"] == "COBADEFFXXX"
    assert all(f.get("label") for f in fields.values())
    assert fields["field.PurchaseOrder"]["label"] == "PO number (unsure)"
    assert fields["field.VendorName"]["label"] == "Vendor"
    assert "Cy changed this invoice; you are editing version 3." in texts(card)


def test_edit_card_buttons() -> None:
    card = edit_card(make_invoice())
    save, cancel = card["actions"]
    assert (save["verb"], cancel["verb"]) == ("save", "cancel")
    for action in (save, cancel):
        assert action["type"] == "Action.Execute"
        assert action["data"] == {"invoice_id": make_invoice()["id"], "version": 3}
    assert cancel["associatedInputs"] == "none"
    assert "associatedInputs" not in save


def test_edit_card_with_missing_and_odd_values() -> None:
    invoice = make_invoice(fields={"InvoiceDate": field("2 Nov"), "InvoiceTotal": field("lots"),
                                   "DueDate": field("2026-12-02T00:00:00+00:00")})
    card = edit_card(invoice)
    assert_valid_card(card)
    fields = inputs(card)
    assert "value" not in fields["field.InvoiceDate"]
    assert "value" not in fields["field.InvoiceTotal"]
    assert fields["field.DueDate"]["value"] == "2026-12-02"
    assert "value" not in fields["field.VendorName"] and "value" not in fields["field.IBAN"]
    assert fields["field.VendorName"]["label"] == "Vendor (missing)"


# --- other cards ----------------------------------------------------------------------------------------------

def test_reading_card() -> None:
    card = reading_card("invoice.pdf", pages=2)
    assert_valid_card(card)
    shown = texts(card)
    assert "Reading invoice.pdf…" in shown
    assert "2 pages. This card updates in place when the fields are ready." in shown
    assert verbs(card) == set()
    assert_valid_card(reading_card("scan_[1].jpg"))


def test_problem_card_with_and_without_retry() -> None:
    card = problem_card("invoice.pdf", "The PDF is password-protected.", what_to_do="Send an unprotected copy.",
                        invoice_id="inv-1", version=4)
    assert_valid_card(card)
    assert {"Could not process invoice.pdf", "The PDF is password-protected.", "Send an unprotected copy."} <= set(
        texts(card))
    assert [a["data"] for a in executes(card)] == [{"invoice_id": "inv-1", "version": 4}]
    assert verbs(card) == {"retry"}
    plain = problem_card("notes.docx", "This is not an invoice file.")
    assert_valid_card(plain)
    assert verbs(plain) == set() and "actions" not in plain


def test_notice_card() -> None:
    message = ("Teams does not send files shared in channels to bots.\n"
               "Ask an admin to set up the SharePoint folder, or drop the file in a chat with me.")
    card = notice_card(message, title="Files in channels")
    assert_valid_card(card)
    assert texts(card) == ["Files in channels", *message.splitlines()]
    assert_valid_card(notice_card("plain"))


def test_help_card_defaults_and_custom() -> None:
    card = help_card()
    assert_valid_card(card)
    shown = texts(card)
    for command in ("help", "status", "pending [vendor]", "summary [today|this week|this month]",
                    "show <invoice number>"):
        assert command in shown
    assert "Drop an invoice (PDF, scan, photo, e-invoice XML) into this chat to start." in shown
    custom = help_card([("audit verify", "Check the audit log.")])
    assert_valid_card(custom)
    assert "audit verify" in texts(custom) and "status" not in texts(custom)


def test_status_card() -> None:
    card = status_card({"counts": {"needs_review": 3, "escalated": 1, "approved": 8}, "total": 12,
                        "oldest_waiting": {"invoice_number": "INV-1", "vendor": "Contoso",
                                           "since": "2026-11-02T09:00:00Z", "id": "inv-1"}})
    assert_valid_card(card)
    facts = {f["title"]: f["value"] for n in walk(card) if n.get("type") == "FactSet" for f in n["facts"]}
    assert facts == {"Needs review": "3", "Escalated": "1", "Failed": "0", "Approved": "8"}
    assert "12 invoices in total" in texts(card)
    assert "Oldest waiting: INV-1 from Contoso, waiting since 2 Nov 2026" in texts(card)
    assert [(a["verb"], a["data"]) for a in executes(card)] == [("show", {"invoice_id": "inv-1"})]
    empty = status_card({"counts": {}, "oldest_waiting": None, "total": 0})
    assert_valid_card(empty)
    assert "Nothing is waiting." in texts(empty) and verbs(empty) == set()


def pending_row(i: int, **extra: Any) -> dict:
    return {"id": f"inv-{i}", "invoice_number": f"INV-{i}", "vendor": "Contoso Ltd", "total": 1234.5,
            "currency": "EUR", "state": "needs_review", "received_at": "2026-11-02T09:00:00Z", "assignee": None,
            **extra}


def test_pending_card_rows_open_their_invoice() -> None:
    rows = [pending_row(1), pending_row(2, state="escalated", assignee="Bo", invoice_number=None, currency="JPY",
                                        total=120000)]
    card = pending_card(rows, vendor="Contoso", more=3)
    assert_valid_card(card)
    table = next(n for n in walk(card) if n.get("type") == "Table")
    assert len(table["rows"]) == 3
    assert [(a["verb"], a["data"]) for a in executes(card)] == [
        ("show", {"invoice_id": "inv-1"}), ("show", {"invoice_id": "inv-2"})]
    first, second = table["rows"][1]["cells"], table["rows"][2]["cells"]
    assert first[0]["selectAction"]["data"] == {"invoice_id": "inv-1"}
    assert texts(first) == ["INV-1", "2 Nov 2026", "Contoso Ltd", "1,234.50 EUR", "Needs review"]
    assert texts(second) == ["(no number)", "2 Nov 2026", "Contoso Ltd", "120,000 JPY", "Escalated to Bo"]
    assert "Waiting for a decision: Contoso" in texts(card)
    assert "and 3 more" in texts(card)


def test_pending_card_empty_and_long() -> None:
    empty = pending_card([])
    assert_valid_card(empty)
    assert "Nothing is waiting." in texts(empty) and verbs(empty) == set()
    assert "Nothing is waiting for Contoso." in texts(pending_card([], vendor="Contoso"))
    junk = "W_[x](y) " * 100
    rows = [pending_row(i, vendor=junk, invoice_number=junk, assignee=junk, state=junk) for i in range(100)]
    card = pending_card(rows, vendor=junk, more=50)
    assert_valid_card(card)
    assert "and 135 more" in texts(card)


def test_summary_card() -> None:
    card = summary_card({"period": "this week", "from": "2026-11-16", "to": "2026-11-22", "received": 10,
                         "approved": 6, "rejected": 1, "escalated": 2, "failed": 0,
                         "totals_by_currency": {"USD": 99.0, "EUR": 1234.5}, "median_decision_s": 5400.0})
    assert_valid_card(card)
    shown = texts(card)
    assert "Summary for this week" in shown and "16 Nov 2026 – 22 Nov 2026" in shown
    facts = [(f["title"], f["value"]) for n in walk(card) if n.get("type") == "FactSet" for f in n["facts"]]
    assert facts == [("Received", "10"), ("Approved", "6"), ("Rejected", "1"), ("Escalated", "2"), ("Failed", "0"),
                     ("EUR", "1,234.50 EUR"), ("USD", "99.00 USD")]
    assert "Median time to a decision: 1 h 30 min" in shown
    quiet = summary_card({"period": "today", "from": "2026-11-21", "to": "2026-11-21", "received": 0,
                          "totals_by_currency": {}, "median_decision_s": None})
    assert_valid_card(quiet)
    assert "Median time to a decision: no decisions yet" in texts(quiet) and "21 Nov 2026" in texts(quiet)


# --- formatting -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "currency", "shown"), [
    (1234.56, "EUR", "1,234.56 EUR"), (110.0, "eur", "110.00 EUR"), (0, "USD", "0.00 USD"),
    (-5.5, "GBP", "-5.50 GBP"), (1200, "JPY", "1,200 JPY"), (12.5, "KWD", "12.500 KWD"), (3.0, None, "3.00"),
    (None, "EUR", "—"), ("n/a", "EUR", "n/a EUR"),
])
def test_format_amount(value: Any, currency: str | None, shown: str) -> None:
    assert format_amount(value, currency) == shown


@pytest.mark.parametrize(("value", "shown"), [
    ("2026-11-02", "2 Nov 2026"), ("2026-01-31", "31 Jan 2026"), ("2026-11-21T07:10:00+00:00", "21 Nov 2026"),
    ("2026-11-21T23:30:00-02:00", "22 Nov 2026"), ("sometime", "sometime"), (None, "—"),
])
def test_format_date(value: Any, shown: str) -> None:
    assert format_date(value) == shown


def test_format_datetime() -> None:
    assert format_datetime("2026-11-21T10:04:00+00:00") == "21 Nov 2026 10:04 UTC"
    assert format_datetime("2026-11-21T11:04:00+01:00") == "21 Nov 2026 10:04 UTC"
    assert format_datetime("2026-11-21T10:04:00Z") == "21 Nov 2026 10:04 UTC"
    assert format_datetime("2026-11-21T10:04:00") == "21 Nov 2026 10:04"
    assert format_datetime("2026-11-21") == "21 Nov 2026"


@pytest.mark.parametrize(("seconds", "shown"), [
    (5400.0, "1 h 30 min"), (3600, "1 h"), (30, "under 1 min"), (600, "10 min"), (90000, "1 d 1 h"),
    (172800, "2 d"), (None, "—"),
])
def test_format_duration(seconds: float | None, shown: str) -> None:
    assert format_duration(seconds) == shown
