"""The HITL gate (review/gate.py ``decide``): L1 only when every condition holds, each failing condition alone
gives L2 with its plain reason, fraud gives L3 whatever else, L0 only when the policy switches it on."""

from __future__ import annotations

from typing import Any

import pytest

from invoice_capture.review.checks import DUPLICATE, FRAUD, Finding
from invoice_capture.review.gate import Gate, decide
from invoice_capture.review.policy import Policy, parse

VENDOR = "Contoso Ltd"
BANK = Finding("vendor.bank_changed", "The IBAN on the invoice differs from the vendor master's.", FRAUD,
               {"vendor": VENDOR})
TOTALS = Finding("arithmetic.totals", "Subtotal + tax (100.00 + 10.00 = 110.00) does not equal the total 110.02.")


def fld(value: Any, confidence: float | None = 0.97) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "text": str(value)}
    if confidence is not None:
        out["confidence"] = confidence
    return out


def clear_fields(**overrides: Any) -> dict[str, Any]:
    """Every default key field read with confidence; ``Name=None`` removes a field, a dict replaces it."""
    fields: dict[str, Any] = {"VendorName": fld(VENDOR), "InvoiceId": fld("INV-100"),
                              "InvoiceDate": fld("2026-06-01"), "InvoiceTotal": fld(1200.0),
                              "CurrencyCode": fld("EUR")}
    for name, value in overrides.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def gate(policy: Policy | None = None, fields: dict[str, Any] | None = None, findings: list[Finding] | None = None,
         *, vendor: str | None = VENDOR, amount: float | None = 1200.0, currency: str = "EUR") -> Gate:
    return decide(policy or Policy(), clear_fields() if fields is None else fields, findings or [], vendor=vendor,
                  amount=amount, currency=currency)


# ------------------------------------------------------------------------------------------ L1


def test_everything_clear_is_l1() -> None:
    assert gate().level == "L1"


def test_l1_says_why_in_plain_words() -> None:
    assert gate().reasons == ["every key field read with confidence of at least 90%", "all checks passed",
                              f"known vendor {VENDOR}", "total under 5,000 EUR"]


def test_l0_and_l1_are_automatic_l2_and_l3_are_not() -> None:
    assert Gate("L0").automatic and Gate("L1").automatic
    assert not Gate("L2").automatic and not Gate("L3").automatic


def test_total_exactly_at_the_threshold_is_still_l1() -> None:
    """'total above 5,000 EUR': the threshold itself is not above it."""
    assert gate(amount=5000.0).level == "L1"


def test_confidence_exactly_at_the_minimum_is_still_l1() -> None:
    assert gate(fields=clear_fields(InvoiceTotal=fld(1200.0, 0.9))).level == "L1"


def test_fields_outside_key_fields_do_not_count() -> None:
    """A doubtful PO number does not stop L1 unless the policy lists it as a key field."""
    assert gate(fields=clear_fields(PurchaseOrder=fld("PO-1", 0.3))).level == "L1"


# ------------------------------------------------------------------------------------------ L2, one condition each


def test_new_vendor_is_l2() -> None:
    assert gate(vendor=None) == Gate("L2", ["new vendor (not in the vendor master)"])


def test_total_above_threshold_is_l2() -> None:
    assert gate(amount=5000.01) == Gate("L2", ["total above 5,000 EUR"])


def test_missing_key_field_is_l2() -> None:
    assert gate(fields=clear_fields(InvoiceId=None)) == Gate("L2", ["missing: invoice number"])


def test_missing_key_fields_are_listed_together() -> None:
    g = gate(fields=clear_fields(InvoiceId=None, InvoiceDate=None))
    assert g == Gate("L2", ["missing: invoice number, invoice date"])


@pytest.mark.parametrize("empty", ["", None, []])
def test_an_empty_value_counts_as_missing(empty: Any) -> None:
    g = gate(fields=clear_fields(InvoiceId={"value": empty, "confidence": 0.99}))
    assert g == Gate("L2", ["missing: invoice number"])


def test_doubtful_key_field_is_l2_with_its_confidence() -> None:
    g = gate(fields=clear_fields(InvoiceTotal=fld(1200.0, 0.62)))
    assert g == Gate("L2", ["not sure of: total (62%)"])


def test_doubtful_key_fields_are_listed_together() -> None:
    g = gate(fields=clear_fields(InvoiceTotal=fld(1200.0, 0.62), VendorName=fld(VENDOR, 0.5)))
    assert g == Gate("L2", ["not sure of: vendor (50%), total (62%)"])


def test_a_value_without_a_confidence_is_doubtful() -> None:
    g = gate(fields=clear_fields(CurrencyCode=fld("EUR", None)))
    assert g == Gate("L2", ["not sure of: currency (0%)"])


def test_a_finding_is_l2_with_its_sentence() -> None:
    """Any finding stops L1; the card shows its sentence (lower-cased start, no full stop)."""
    g = gate(findings=[TOTALS])
    assert g == Gate("L2", ["subtotal + tax (100.00 + 10.00 = 110.00) does not equal the total 110.02"])


def test_a_finding_starting_with_an_acronym_keeps_its_capitals() -> None:
    g = gate(findings=[Finding("ids.invalid", "IBAN DE00 1234 has a wrong checksum.")])
    assert g.reasons == ["IBAN DE00 1234 has a wrong checksum"]


def test_a_duplicate_finding_names_the_earlier_invoice() -> None:
    dup = Finding("duplicate.same_number", "This invoice has the same invoice number as INV-99 (...).", DUPLICATE,
                  {"id": "i-99", "invoice_number": "INV-99", "state": "approved"})
    assert gate(findings=[dup]) == Gate("L2", ["possible duplicate of INV-99"])


def test_a_same_amount_and_date_duplicate_says_so() -> None:
    dup = Finding("duplicate.same_amount_date", "Same vendor, same amount ...", DUPLICATE,
                  {"id": "i-98", "invoice_number": "INV-98", "state": "approved"})
    assert gate(findings=[dup]) == Gate("L2", ["possible duplicate (same amount and date) of INV-98"])


def test_no_exchange_rate_is_l2() -> None:
    policy = parse({"exchange_rates": {"USD": 0.92, "JPY": 0}})  # 0: no rate (the built-in one is switched off)
    g = gate(policy, fields=clear_fields(CurrencyCode=fld("JPY")), amount=10_000.0, currency="JPY")
    assert g == Gate("L2", ["no exchange rate for JPY in the policy"])


def test_unknown_currency_is_l2() -> None:
    """A total without a currency cannot be compared with the threshold (CurrencyCode is not a key field here,
    so this reason is the only one)."""
    policy = parse({"key_fields": ["VendorName", "InvoiceId", "InvoiceDate", "InvoiceTotal"]})
    g = gate(policy, fields=clear_fields(CurrencyCode=None), currency="")
    assert g == Gate("L2", ["currency unknown"])


def test_auto_approve_disabled_is_l2() -> None:
    g = gate(parse({"auto_approve": {"enabled": False}}))
    assert g == Gate("L2", ["automatic approval is switched off"])


def test_every_failing_condition_is_given() -> None:
    g = gate(fields=clear_fields(InvoiceId=None, InvoiceTotal=fld(9000.0, 0.5)), findings=[TOTALS], vendor=None,
             amount=9000.0)
    assert g.level == "L2"
    assert g.reasons == ["missing: invoice number", "not sure of: total (50%)",
                         "subtotal + tax (100.00 + 10.00 = 110.00) does not equal the total 110.02",
                         "new vendor (not in the vendor master)", "total above 5,000 EUR"]


def test_an_unknown_total_is_never_automatic() -> None:
    """An admin may trim key_fields; an invoice whose total was not read must still go to a person (L2)."""
    policy = parse({"key_fields": ["VendorName"]})
    g = gate(policy, fields=clear_fields(InvoiceTotal=None), amount=None)
    assert g.level == "L2"


# ------------------------------------------------------------------------------------------ policy values


def test_threshold_comes_from_the_policy() -> None:
    g = gate(parse({"auto_approve": {"max_total": 1000}}), amount=1200.0)
    assert g == Gate("L2", ["total above 1,000 EUR"])


def test_min_confidence_comes_from_the_policy() -> None:
    policy = parse({"auto_approve": {"min_confidence": 0.99}})
    assert gate(policy).reasons[0].startswith("not sure of: vendor (97%)")


def test_key_fields_come_from_the_policy() -> None:
    policy = parse({"key_fields": ["VendorName", "InvoiceTotal", "DueDate"]})
    assert gate(policy) == Gate("L2", ["missing: due date"])


def test_threshold_in_the_policys_base_currency() -> None:
    policy = parse({"base_currency": "GBP", "exchange_rates": {"EUR": 0.85}})
    assert gate(policy, amount=5200.0, currency="EUR").level == "L1"  # 4,420 GBP
    assert gate(policy, amount=6000.0, currency="EUR") == Gate("L2", ["total above 5,000 GBP"])  # 5,100 GBP


# ------------------------------------------------------------------------------------------ currency conversion


def test_threshold_is_compared_after_conversion_under() -> None:
    """5,400 USD at 0.92 is 4,968 EUR: under 5,000 EUR although the number is above 5,000."""
    g = gate(fields=clear_fields(CurrencyCode=fld("USD")), amount=5400.0, currency="USD")
    assert g.level == "L1"


def test_threshold_is_compared_after_conversion_over() -> None:
    """4,500 GBP at 1.17 is 5,265 EUR: above the threshold although the number is under 5,000."""
    g = gate(fields=clear_fields(CurrencyCode=fld("GBP")), amount=4500.0, currency="GBP")
    assert g == Gate("L2", ["total above 5,000 EUR"])


# ------------------------------------------------------------------------------------------ L3


def test_fraud_finding_is_l3() -> None:
    g = gate(findings=[BANK])
    assert g == Gate("L3", ["bank details differ from the vendor master",
                            "an approver must confirm it by calling the vendor back"])


def test_fraud_is_l3_whatever_else() -> None:
    """Fraud outranks every other reason: a new vendor, a huge total, missing fields, other findings."""
    g = gate(fields=clear_fields(InvoiceId=None), findings=[TOTALS, BANK], vendor=None, amount=10**7)
    assert g.level == "L3"
    assert "bank details differ from the vendor master" in g.reasons


def test_fraud_is_l3_even_when_log_only_would_apply() -> None:
    policy = parse({"log_only": {"enabled": True, "max_total": 100}})
    assert gate(policy, findings=[BANK], amount=10.0).level == "L3"


def test_a_duplicate_is_not_fraud() -> None:
    dup = Finding("duplicate.same_number", "...", DUPLICATE, {"invoice_number": "INV-99"})
    assert gate(findings=[dup]).level == "L2"


# ------------------------------------------------------------------------------------------ L0


def test_log_only_under_its_max_is_l0() -> None:
    policy = parse({"log_only": {"enabled": True, "max_total": 50}})
    g = gate(policy, amount=40.0)
    assert g == Gate("L0", ["every key field read with confidence of at least 90%", "all checks passed",
                            f"known vendor {VENDOR}", "total under 50 EUR"])


def test_log_only_off_is_l1_for_tiny_amounts() -> None:
    assert gate(amount=40.0).level == "L1"


def test_log_only_above_its_max_is_l1() -> None:
    policy = parse({"log_only": {"enabled": True, "max_total": 50}})
    assert gate(policy, amount=60.0).level == "L1"


def test_log_only_needs_every_l1_condition() -> None:
    policy = parse({"log_only": {"enabled": True, "max_total": 50}})
    assert gate(policy, amount=40.0, vendor=None).level == "L2"


def test_log_only_is_compared_in_the_base_currency() -> None:
    """40 GBP is 46.80 EUR (under 50), 45 GBP is 52.65 EUR (over)."""
    policy = parse({"log_only": {"enabled": True, "max_total": 50}})
    fields = clear_fields(CurrencyCode=fld("GBP"))
    assert gate(policy, fields, amount=40.0, currency="GBP").level == "L0"
    assert gate(policy, fields, amount=45.0, currency="GBP").level == "L1"
