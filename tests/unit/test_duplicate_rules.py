"""Named checks (review/checks.py): how two invoice numbers of one vendor relate, the duplicate rules against the
vendor's earlier invoices, the date rules with the policy's parameters, and the stable rule names the card, the
audit log and the gate speak about. (The arithmetic and date sentences are pinned in test_review_rules.py.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from invoice_capture.review import checks
from invoice_capture.review.checks import DUPLICATE, WARNING, Finding, duplicates, number_relation
from invoice_capture.review.policy import Policy, parse


@dataclass
class Row:
    """Stands in for an earlier ``Invoice`` row (only the columns the duplicate rules read)."""

    id: str = "inv-earlier"
    invoice_number: str = "INV-100"
    invoice_date: str = "2026-06-01"
    total: Decimal | None = Decimal("1200.00")
    currency: str = "EUR"
    state: str = "approved"
    received_at: dt.datetime = dt.datetime(2026, 6, 2, 9, 30, tzinfo=dt.UTC)


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


# ------------------------------------------------------------------------------------------ number_relation: same


@pytest.mark.parametrize("other", ["inv-100", "INV 100", " INV-100 ", "Inv-100"])
def test_same_number_ignores_case_and_spaces(other: str) -> None:
    assert number_relation("INV-100", other) == "same"


@pytest.mark.parametrize("other", ["INV-0100", "INV-00100", "inv 0100"])
def test_same_number_ignores_leading_zeros(other: str) -> None:
    assert number_relation("INV-100", other) == "same"


def test_same_number_is_symmetric() -> None:
    assert number_relation("INV-0100", "inv 100") == number_relation("inv 100", "INV-0100") == "same"


# ------------------------------------------------------------------------------------------ number_relation: reissue


@pytest.mark.parametrize("other", ["INV-100-R", "INV-100/REV", "INV-100 COPY", "inv-100-r", "INV-100-REV"])
def test_reissue_suffix_words_make_the_same_invoice(other: str) -> None:
    """"-R", "/REV", " COPY" are stripped when normalising: the numbers compare as the same invoice."""
    assert number_relation("INV-100", other) == "same"


@pytest.mark.parametrize("other", ["INV-100/1", "INV-100-2", "INV-100/3"])
def test_numbered_reissue_suffix_is_a_reissue(other: str) -> None:
    assert number_relation("INV-100", other) == "reissue"


def test_reissue_is_recognised_either_way_round() -> None:
    assert number_relation("INV-100/1", "INV-100") == "reissue"


def test_reissue_ignores_case_and_spaces() -> None:
    assert number_relation("inv 100", "INV-100/1") == "reissue"


def test_reissue_ignores_leading_zeros() -> None:
    """'INV-0042' is the same number as 'INV-42', so 'INV-42/1' is a re-issue of it."""
    assert number_relation("INV-0042", "INV-42/1") == "reissue"


def test_a_suffix_alone_is_not_a_reissue_of_a_word() -> None:
    """The shorter number must have digits: "INV" and "INV-1" are not one invoice sent twice."""
    assert number_relation("INV", "INV-1") is None


def test_a_two_digit_suffix_is_not_a_reissue() -> None:
    """"/10" is a sequence number, not a re-issue marker."""
    assert number_relation("INV-100", "INV-100/10") is None


# ------------------------------------------------------------------------------------------ number_relation: transposed


@pytest.mark.parametrize(("a", "b"), [("INV-1234", "INV-1243"), ("INV-1234", "INV-2134"), ("INV-1234", "INV-1324"),
                                      ("45678", "45768")])
def test_neighbouring_digits_swapped_is_transposed(a: str, b: str) -> None:
    assert number_relation(a, b) == "transposed"


def test_transposition_after_normalising() -> None:
    assert number_relation("inv 01234", "INV-1243") == "transposed"


def test_swap_of_non_adjacent_digits_is_not_related() -> None:
    assert number_relation("INV-1234", "INV-4231") is None
    assert number_relation("INV-1234", "INV-1432") is None


def test_swapped_letters_are_not_a_transposition() -> None:
    assert number_relation("AB-1234", "BA-1234") is None


@pytest.mark.parametrize(("a", "b"), [("12", "21"), ("123", "132"), ("1-2", "2-1")])
def test_short_numbers_are_never_transposed(a: str, b: str) -> None:
    """Under 4 characters a swap is as likely another invoice as a typo."""
    assert number_relation(a, b) is None


# ------------------------------------------------------------------------------------------ number_relation: different


@pytest.mark.parametrize(("a", "b"), [("INV-1", "INV-2"), ("2024/1", "2024/2"), ("INV-100", "INV-101"),
                                      ("INV-100", "INV-1000"), ("A-100", "B-100"), ("RE-2026-5", "RE-2026-7"),
                                      ("INV-100/1", "INV-100/2")])
def test_different_sequence_numbers_are_not_related(a: str, b: str) -> None:
    assert number_relation(a, b) is None


@pytest.mark.parametrize(("a", "b"), [("", "INV-1"), ("INV-1", ""), ("", ""), ("--", "INV-1")])
def test_empty_numbers_are_not_related(a: str, b: str) -> None:
    assert number_relation(a, b) is None


# ------------------------------------------------------------------------------------------ duplicates


def dups(number: str = "INV-200", total: float | None = 500.0, currency: str = "EUR",
         invoice_date: str = "2026-06-10", earlier: list[Row] | None = None, **kw: Any) -> list[Finding]:
    return duplicates(number, total, currency, invoice_date, earlier or [], **kw)


def test_no_earlier_invoices_no_findings() -> None:
    assert dups() == []


def test_same_number_is_a_duplicate() -> None:
    found = dups("INV-100", earlier=[Row(total=Decimal("1.00"), invoice_date="2020-01-01")])
    assert rules(found) == ["duplicate.same_number"]
    assert found[0].severity == DUPLICATE


def test_same_number_ref_carries_the_earlier_invoice() -> None:
    (f,) = dups("inv 0100", earlier=[Row(id="i-1", invoice_number="INV-100", state="needs_review")])
    assert f.ref == {"id": "i-1", "invoice_number": "INV-100", "state": "needs_review",
                     "received_at": "2026-06-02T09:30:00+00:00", "relation": "same"}


def test_same_number_sentence_names_the_earlier_invoice_and_its_state() -> None:
    (f,) = dups("INV-100", earlier=[Row(state="auto_approved")])
    assert f.message == ("This invoice has the same invoice number as INV-100 (auto approved, received 2026-06-02) "
                         "from the same vendor.")


@pytest.mark.parametrize(("number", "relation"), [("INV-100/1", "reissue"), ("INV-1010", "transposed")])
def test_related_numbers_are_duplicates_with_their_relation(number: str, relation: str) -> None:
    earlier = Row(invoice_number="INV-1001" if relation == "transposed" else "INV-100")
    (f,) = dups(number, earlier=[earlier])
    assert (f.rule, f.ref["relation"]) == ("duplicate.same_number", relation)


def test_a_different_number_with_a_different_amount_is_not_a_duplicate() -> None:
    assert dups("INV-200", 500.0, earlier=[Row(invoice_number="INV-100", total=Decimal("1200.00"))]) == []


def test_same_amount_and_date_is_a_duplicate() -> None:
    found = dups("INV-200", 1200.0, invoice_date="2026-06-01", earlier=[Row(invoice_number="INV-100")])
    assert rules(found) == ["duplicate.same_amount_date"]
    assert found[0].severity == DUPLICATE


def test_same_amount_and_date_ref_carries_the_earlier_invoice() -> None:
    (f,) = dups("INV-200", 1200.0, invoice_date="2026-06-01",
                earlier=[Row(id="i-7", invoice_number="INV-100", state="rejected")])
    assert f.ref == {"id": "i-7", "invoice_number": "INV-100", "state": "rejected",
                     "received_at": "2026-06-02T09:30:00+00:00"}
    assert f.message == ("Same vendor, same amount and an invoice date within 7 days of INV-100 (rejected, dated "
                         "2026-06-01).")


def test_same_amount_without_a_number_still_counts() -> None:
    """An invoice whose number was not read is still compared by amount and date."""
    assert rules(dups("", 1200.0, invoice_date="2026-06-01", earlier=[Row()])) == ["duplicate.same_amount_date"]


@pytest.mark.parametrize("days", [-7, -3, 0, 3, 7])
def test_same_amount_within_the_window_on_either_side(days: int) -> None:
    day = (dt.date(2026, 6, 1) + dt.timedelta(days=days)).isoformat()
    assert rules(dups("INV-200", 1200.0, invoice_date=day, earlier=[Row()])) == ["duplicate.same_amount_date"]


@pytest.mark.parametrize("days", [-8, 8, 40])
def test_same_amount_outside_the_window_is_not_flagged(days: int) -> None:
    day = (dt.date(2026, 6, 1) + dt.timedelta(days=days)).isoformat()
    assert dups("INV-200", 1200.0, invoice_date=day, earlier=[Row()]) == []


def test_window_comes_from_the_policy() -> None:
    window = parse({"checks": {"duplicate_window_days": 14}}).checks.duplicate_window_days
    found = dups("INV-200", 1200.0, invoice_date="2026-06-13", earlier=[Row()], window_days=window)
    assert rules(found) == ["duplicate.same_amount_date"]
    assert "within 14 days" in found[0].message
    assert dups("INV-200", 1200.0, invoice_date="2026-06-13", earlier=[Row()]) == []  # default 7 days


def test_window_zero_means_the_same_day_only() -> None:
    assert rules(dups("INV-200", 1200.0, invoice_date="2026-06-01", earlier=[Row()], window_days=0)) == [
        "duplicate.same_amount_date"]
    assert dups("INV-200", 1200.0, invoice_date="2026-06-02", earlier=[Row()], window_days=0) == []


def test_same_amount_in_a_different_currency_is_not_flagged() -> None:
    assert dups("INV-200", 1200.0, "USD", invoice_date="2026-06-01", earlier=[Row(currency="EUR")]) == []


def test_amounts_a_cent_apart_are_different() -> None:
    assert dups("INV-200", 1200.01, invoice_date="2026-06-01", earlier=[Row()]) == []


def test_amount_compared_as_money_not_as_decimal_type() -> None:
    """The earlier row's total is a Decimal, the new one a float: 1200 == Decimal('1200.00')."""
    assert rules(dups("INV-200", 1200, invoice_date="2026-06-01", earlier=[Row()])) == ["duplicate.same_amount_date"]


@pytest.mark.parametrize("row", [Row(total=None), Row(invoice_date=""), Row(invoice_date="06/01/2026")])
def test_earlier_invoice_without_amount_or_date_is_not_compared_by_amount(row: Row) -> None:
    assert dups("INV-200", 1200.0, invoice_date="2026-06-01", earlier=[row]) == []


@pytest.mark.parametrize("invoice_date", ["", "not a date"])
def test_new_invoice_without_a_date_is_not_compared_by_amount(invoice_date: str) -> None:
    assert dups("INV-200", 1200.0, invoice_date=invoice_date, earlier=[Row()]) == []


def test_new_invoice_without_a_total_is_not_compared_by_amount() -> None:
    assert dups("INV-200", None, invoice_date="2026-06-01", earlier=[Row()]) == []


def test_same_number_and_same_amount_is_one_finding() -> None:
    """One earlier invoice is reported once, by its strongest rule."""
    assert rules(dups("INV-100", 1200.0, invoice_date="2026-06-01", earlier=[Row()])) == ["duplicate.same_number"]


def test_same_number_comes_before_same_amount() -> None:
    earlier = [Row(id="by-amount", invoice_number="INV-900"), Row(id="by-number", invoice_number="INV-200",
                                                                 total=Decimal("1.00"))]
    found = dups("INV-200", 1200.0, invoice_date="2026-06-01", earlier=earlier)
    assert [(f.rule, f.ref["id"]) for f in found] == [("duplicate.same_number", "by-number"),
                                                      ("duplicate.same_amount_date", "by-amount")]


def test_number_matches_are_ordered_same_then_reissue_then_transposed() -> None:
    earlier = [Row(id="t", invoice_number="INV-2100"), Row(id="r", invoice_number="INV-1200/1"),
               Row(id="s", invoice_number="inv 1200")]
    found = dups("INV-1200", None, earlier=earlier)
    assert [f.ref["id"] for f in found] == ["s", "r", "t"]
    assert [f.ref["relation"] for f in found] == ["same", "reissue", "transposed"]


def test_earlier_invoice_without_a_number_is_named_in_words() -> None:
    (f,) = dups("INV-200", 1200.0, invoice_date="2026-06-01", earlier=[Row(invoice_number="")])
    assert "of an earlier invoice (approved" in f.message


# ------------------------------------------------------------------------------------------ dates with policy values

TODAY = dt.date(2026, 6, 15)


def dated(**values: str) -> dict[str, Any]:
    return {name: {"value": v} for name, v in values.items()}


def test_future_days_from_the_policy() -> None:
    future_days = parse({"checks": {"future_days": 5}}).checks.future_days
    assert checks.dates(dated(InvoiceDate="2026-06-20"), TODAY, future_days=future_days) == []
    assert rules(checks.dates(dated(InvoiceDate="2026-06-21"), TODAY, future_days=future_days)) == ["dates.future"]


def test_future_days_zero_flags_tomorrow() -> None:
    assert checks.dates(dated(InvoiceDate="2026-06-15"), TODAY, future_days=0) == []
    assert rules(checks.dates(dated(InvoiceDate="2026-06-16"), TODAY, future_days=0)) == ["dates.future"]


def test_max_age_years_from_the_policy() -> None:
    max_age = parse({"checks": {"max_age_years": 5}}).checks.max_age_years
    assert checks.dates(dated(InvoiceDate="2022-01-01"), TODAY, max_age_years=max_age) == []
    found = checks.dates(dated(InvoiceDate="2021-06-01"), TODAY, max_age_years=max_age)
    assert rules(found) == ["dates.too_old"]
    assert found[0].message == "The invoice date 2021-06-01 is more than five years back."


def test_max_age_of_one_year() -> None:
    found = checks.dates(dated(InvoiceDate="2025-06-14"), TODAY, max_age_years=1)
    assert [f.message for f in found] == ["The invoice date 2025-06-14 is more than one year back."]
    assert checks.dates(dated(InvoiceDate="2025-06-15"), TODAY, max_age_years=1) == []


def test_max_age_in_figures_beyond_five() -> None:
    found = checks.dates(dated(InvoiceDate="2010-01-01"), TODAY, max_age_years=10)
    assert found[0].message == "The invoice date 2010-01-01 is more than 10 years back."


def test_max_age_on_a_leap_day() -> None:
    """29 February has no twin a year back; the rule must not crash and uses 28 February."""
    leap = dt.date(2028, 2, 29)
    assert checks.dates(dated(InvoiceDate="2027-02-28"), leap, max_age_years=1) == []
    assert rules(checks.dates(dated(InvoiceDate="2027-02-27"), leap, max_age_years=1)) == ["dates.too_old"]


def test_run_values_passes_the_policy_parameters_on() -> None:
    p = parse({"checks": {"max_age_years": 1, "future_days": 0}})
    fields = dated(InvoiceDate="2024-01-01")
    assert rules(checks.run_values(fields, [], today=TODAY, max_age_years=p.checks.max_age_years,
                                   future_days=p.checks.future_days)) == ["dates.too_old"]
    assert checks.run_values(fields, [], today=TODAY, max_age_years=3) == []
    assert rules(checks.run_values(dated(InvoiceDate="2026-06-16"), [], today=TODAY,
                                   future_days=p.checks.future_days)) == ["dates.future"]


def test_policy_defaults_match_the_rules_defaults() -> None:
    """A service without a policy file must check exactly as the functions do by default."""
    c = Policy().checks
    assert (c.max_age_years, c.future_days, c.duplicate_window_days) == (3, 1, 7)


# ------------------------------------------------------------------------------------------ rule names


def amounts(**values: float) -> dict[str, Any]:
    return {name: {"value": v} for name, v in values.items()}


def test_rule_name_arithmetic_totals() -> None:
    found = checks.arithmetic(amounts(SubTotal=100.0, TotalTax=10.0, InvoiceTotal=120.0), [])
    assert rules(found) == ["arithmetic.totals"]


def test_rule_name_arithmetic_amount_due() -> None:
    assert rules(checks.arithmetic(amounts(InvoiceTotal=110.0, AmountDue=150.0), [])) == ["arithmetic.amount_due"]


def test_rule_name_arithmetic_items() -> None:
    found = checks.arithmetic(amounts(SubTotal=100.0, TotalTax=10.0, InvoiceTotal=110.0),
                              [{"Amount": {"value": 60.0}}, {"Amount": {"value": 30.0}}])
    assert rules(found) == ["arithmetic.items"]


def test_rule_name_dates_due_before_invoice() -> None:
    found = checks.dates(dated(InvoiceDate="2026-06-10", DueDate="2026-06-01"), TODAY)
    assert rules(found) == ["dates.due_before_invoice"]


def test_rule_name_dates_future() -> None:
    assert rules(checks.dates(dated(InvoiceDate="2026-07-01"), TODAY)) == ["dates.future"]


def test_rule_name_dates_too_old() -> None:
    assert rules(checks.dates(dated(InvoiceDate="2020-01-01"), TODAY)) == ["dates.too_old"]


def test_value_findings_are_warnings_not_fraud() -> None:
    """Arithmetic and date findings stop L1 (L2) but never make an invoice a fraud alert (L3)."""
    found = checks.run_values({**amounts(SubTotal=100.0, TotalTax=10.0, InvoiceTotal=120.0),
                               **dated(InvoiceDate="2020-01-01")}, [], today=TODAY)
    assert {f.severity for f in found} == {WARNING}


def test_finding_as_dict_is_what_the_view_stores() -> None:
    f = Finding("duplicate.same_number", "msg", DUPLICATE, {"id": "i-1"})
    assert f.as_dict() == {"rule": "duplicate.same_number", "message": "msg", "severity": "duplicate",
                           "ref": {"id": "i-1"}}
