"""The tenant policy (review/policy.py): built-in defaults, per-tenant overrides, strict keys with readable errors,
amounts in the base currency, approval limits and bands, and the file that is re-read when an admin edits it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from invoice_capture.review.policy import DEFAULT, Band, Policy, PolicyBook, describe_error, parse, to_yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "policy.yaml"


def write(path: Path, text: str, *, bump: int = 0) -> Path:
    """Write ``text`` and move the file's mtime ``bump`` seconds on, so a change is seen without sleeping."""
    path.write_text(text, encoding="utf-8")
    if bump:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))
    return path


def book_for(path: Path) -> PolicyBook:
    book = PolicyBook.load(path)
    book.CHECK_EVERY_S = 0  # re-check the file on every call (an instance attribute: the class keeps its default)
    return book


# ------------------------------------------------------------------------------------------ defaults


def test_default_base_currency_is_eur() -> None:
    assert Policy().base_currency == "EUR"


def test_default_auto_approve_threshold_and_confidence() -> None:
    """L1 by default: every key field >= 0.9 and a total of at most 5,000 in the base currency."""
    auto = Policy().auto_approve
    assert (auto.enabled, auto.min_confidence, auto.max_total, auto.known_from_history) == (True, 0.9, 5000, 0)


def test_log_only_is_off_by_default() -> None:
    assert Policy().log_only.enabled is False
    assert Policy().log_only.max_total == 50


def test_default_key_fields() -> None:
    assert Policy().key_fields == ["VendorName", "InvoiceId", "InvoiceDate", "InvoiceTotal", "CurrencyCode"]


def test_default_limits_by_role() -> None:
    assert Policy().approval.limits == {"clerk": 1000.0, "approver": 25000.0, "manager": 25000.0, "admin": None}
    assert Policy().approval.people == {}


def test_default_bands() -> None:
    assert [(b.up_to, b.role, b.approvers) for b in Policy().approval.bands] == [
        (1000, "clerk", []), (25000, "approver", []), (None, "admin", [])]


def test_default_reminders_and_checks() -> None:
    p = Policy()
    assert (p.reminders.approver_after_hours, p.reminders.manager_after_hours) == (24, 48)
    assert (p.checks.duplicate_window_days, p.checks.max_age_years, p.checks.future_days,
            p.checks.vendor_match_threshold) == (7, 3, 1, 88)


def test_default_module_policy_is_the_built_in_one() -> None:
    assert Policy() == DEFAULT


def test_empty_or_missing_file_content_is_the_default_policy() -> None:
    assert parse(None) == Policy()
    assert parse({}) == Policy()
    assert parse({}, "tenant-a") == Policy()


def test_mutable_defaults_are_not_shared() -> None:
    """Two policies never share one limits dict: changing one tenant's must not change another's."""
    a, b = Policy(), Policy()
    a.approval.limits["clerk"] = 1.0
    assert b.approval.limits["clerk"] == 1000.0


# ------------------------------------------------------------------------------------------ parse: overrides


def test_top_level_keys_are_every_tenants_defaults() -> None:
    raw = {"auto_approve": {"max_total": 2000}}
    assert parse(raw).auto_approve.max_total == 2000
    assert parse(raw, "any-tenant").auto_approve.max_total == 2000


def test_tenant_override_applies_to_that_tenant_only() -> None:
    raw = {"tenants": {"t-1": {"base_currency": "GBP"}}}
    assert parse(raw, "t-1").base_currency == "GBP"
    assert parse(raw, "t-2").base_currency == "EUR"
    assert parse(raw).base_currency == "EUR"


def test_nested_dicts_are_merged_key_by_key() -> None:
    """A tenant that changes one setting of a section keeps the section's other top-level settings."""
    raw = {"auto_approve": {"max_total": 2000, "min_confidence": 0.95},
           "tenants": {"t-1": {"auto_approve": {"max_total": 800}}}}
    auto = parse(raw, "t-1").auto_approve
    assert auto.max_total == 800
    assert auto.min_confidence == 0.95


def test_nested_mappings_of_values_are_merged_too() -> None:
    raw = {"approval": {"limits": {"clerk": 500, "approver": 10000, "manager": 10000, "admin": None}},
           "tenants": {"t-1": {"approval": {"limits": {"clerk": 200}}}}}
    limits = parse(raw, "t-1").approval.limits
    assert limits == {"clerk": 200, "approver": 10000, "manager": 10000, "admin": None}


def test_lists_are_replaced_not_merged() -> None:
    raw = {"key_fields": ["VendorName", "InvoiceId", "InvoiceTotal"],
           "tenants": {"t-1": {"key_fields": ["InvoiceTotal"]}}}
    assert parse(raw, "t-1").key_fields == ["InvoiceTotal"]
    assert parse(raw, "t-2").key_fields == ["VendorName", "InvoiceId", "InvoiceTotal"]


def test_bands_list_is_replaced_by_a_tenants_bands() -> None:
    raw = {"tenants": {"t-1": {"approval": {"bands": [{"up_to": None, "role": "admin", "approvers": ["Cy"]}]}}}}
    bands = parse(raw, "t-1").approval.bands
    assert [(b.up_to, b.role, b.approvers) for b in bands] == [(None, "admin", ["Cy"])]


def test_parse_does_not_mutate_the_raw_file() -> None:
    """The same parsed file serves every tenant: a merge must not leak one tenant's overrides into it."""
    raw: dict[str, Any] = {"auto_approve": {"max_total": 2000},
                           "tenants": {"t-1": {"auto_approve": {"max_total": 800}}}}
    parse(raw, "t-1")
    assert raw == {"auto_approve": {"max_total": 2000}, "tenants": {"t-1": {"auto_approve": {"max_total": 800}}}}
    assert parse(raw, "t-2").auto_approve.max_total == 2000


def test_tenants_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="'tenants' must map tenant ids"):
        parse({"tenants": ["t-1"]})


def test_tenant_with_empty_override_gets_the_defaults() -> None:
    assert parse({"tenants": {"t-1": None}}, "t-1") == Policy()


def test_overriding_one_roles_limit_keeps_the_built_in_limits_of_the_others() -> None:
    """Key-by-key overriding should also hold against the built-in defaults: setting the clerk's limit must not
    take the admin's 'no limit' away (today admin and approver end up at 0, nobody can approve anything)."""
    p = parse({"tenants": {"t-1": {"approval": {"limits": {"clerk": 500}}}}}, "t-1")
    assert p.limit_for("clerk") == 500
    assert p.limit_for("approver") == 25000
    assert p.limit_for("admin") is None


# ------------------------------------------------------------------------------------------ strict keys, errors


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse({"auto_aprove": {"enabled": False}})


def test_unknown_nested_key_is_refused() -> None:
    """A typo in a threshold's name must not silently leave the default in force."""
    with pytest.raises(ValidationError):
        parse({"auto_approve": {"max_totl": 100}})


def test_unknown_key_in_a_tenant_override_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse({"tenants": {"t-1": {"checks": {"duplicate_window": 3}}}}, "t-1")


def test_unknown_key_in_a_band_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse({"approval": {"bands": [{"upto": 100}]}})


@pytest.mark.parametrize("raw", [
    {"auto_approve": {"min_confidence": 1.5}},
    {"auto_approve": {"max_total": -1}},
    {"checks": {"max_age_years": 0}},
    {"checks": {"vendor_match_threshold": 10}},
    {"reminders": {"approver_after_hours": 0}},
])
def test_out_of_range_values_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse(raw)


def test_describe_error_names_the_key_and_the_problem() -> None:
    with pytest.raises(ValidationError) as info:
        parse({"auto_approve": {"max_totl": 100}})
    assert describe_error(info.value) == "auto_approve.max_totl: Extra inputs are not permitted"


def test_describe_error_lists_several_problems() -> None:
    with pytest.raises(ValidationError) as info:
        parse({"bogus": 1, "checks": {"max_age_years": 0}})
    message = describe_error(info.value)
    assert "bogus: Extra inputs are not permitted" in message
    assert "checks.max_age_years:" in message
    assert "; " in message


def test_describe_error_for_broken_yaml_gives_line_and_column() -> None:
    with pytest.raises(yaml.YAMLError) as info:
        yaml.safe_load("auto_approve:\n  max_total: [1, 2\n")
    message = describe_error(info.value)
    assert message.startswith("not valid YAML (line ")
    assert "column" in message


def test_describe_error_of_anything_else_is_its_text() -> None:
    assert describe_error(ValueError("'tenants' must map tenant ids")) == "'tenants' must map tenant ids"


# ------------------------------------------------------------------------------------------ validators


def test_base_currency_is_upper_cased_and_trimmed() -> None:
    assert parse({"base_currency": " gbp "}).base_currency == "GBP"


def test_exchange_rates_codes_are_upper_cased() -> None:
    rates = parse({"exchange_rates": {"usd": 0.9}}).exchange_rates
    assert rates["USD"] == 0.9 and "usd" not in rates


def test_zero_or_negative_rates_are_dropped() -> None:
    """A rate of 0 would make any amount 'under the threshold'; it is treated as no rate at all (and overrides the
    built-in rate for that currency)."""
    rates = parse({"exchange_rates": {"USD": 0.9, "JPY": 0, "GBP": -1}}).exchange_rates
    assert rates["USD"] == 0.9 and "JPY" not in rates and "GBP" not in rates


# ------------------------------------------------------------------------------------------ to_base, money


def test_to_base_in_the_base_currency_is_the_amount() -> None:
    assert Policy().to_base(1234.5, "EUR") == 1234.5


def test_to_base_base_currency_is_case_insensitive() -> None:
    assert Policy().to_base(10, "eur") == 10.0


def test_to_base_converts_with_the_policy_rate() -> None:
    assert Policy().to_base(5400, "USD") == pytest.approx(4968.0)


def test_to_base_uses_the_policys_own_base_currency() -> None:
    p = parse({"base_currency": "USD", "exchange_rates": {"EUR": 1.1}})
    assert p.to_base(100, "USD") == 100.0
    assert p.to_base(100, "EUR") == pytest.approx(110.0)


def test_to_base_unknown_currency_is_none() -> None:
    """No rate: the amount cannot be compared with a threshold, so it is unknown, never 'small'."""
    assert Policy().to_base(100, "BRL") is None


def test_to_base_missing_currency_is_none() -> None:
    assert Policy().to_base(100, "") is None
    assert Policy().to_base(100, None) is None


def test_to_base_missing_amount_is_none() -> None:
    assert Policy().to_base(None, "EUR") is None


def test_money_whole_amount() -> None:
    assert Policy().money(5000) == "5,000 EUR"


def test_money_with_cents() -> None:
    assert Policy().money(1234.5) == "1,234.50 EUR"


def test_money_in_the_policys_base_currency() -> None:
    assert parse({"base_currency": "CHF"}).money(25000) == "25,000 CHF"


# ------------------------------------------------------------------------------------------ limit_for, band_for


@pytest.mark.parametrize(("role", "limit"), [("clerk", 1000.0), ("approver", 25000.0), ("manager", 25000.0)])
def test_limit_for_role(role: str, limit: float) -> None:
    assert Policy().limit_for(role) == limit


def test_admin_has_no_limit() -> None:
    assert Policy().limit_for("admin") is None


def test_unknown_role_may_approve_nothing() -> None:
    assert Policy().limit_for("viewer") == 0.0
    assert Policy().limit_for("") == 0.0


def test_named_person_by_name_overrides_the_role() -> None:
    p = parse({"approval": {"people": {"Ana Clerk": 3000}}})
    assert p.limit_for("clerk", "aad-ana", "Ana Clerk") == 3000
    assert p.limit_for("clerk", "aad-bob", "Bob Clerk") == 1000


def test_named_person_by_id_overrides_the_role() -> None:
    p = parse({"approval": {"people": {"aad-ana": 3000}}})
    assert p.limit_for("clerk", "aad-ana", "Ana Clerk") == 3000


def test_named_person_match_is_case_insensitive() -> None:
    p = parse({"approval": {"people": {"ANA CLERK": 3000, "AAD-BO": 50}}})
    assert p.limit_for("clerk", name="ana clerk") == 3000
    assert p.limit_for("approver", external_id="aad-bo") == 50


def test_named_person_can_have_no_limit() -> None:
    p = parse({"approval": {"people": {"Cy Chief": None}}})
    assert p.limit_for("approver", "aad-cy", "Cy Chief") is None


def test_named_person_can_be_limited_below_their_role() -> None:
    p = parse({"approval": {"people": {"Dee": 0}}})
    assert p.limit_for("admin", "aad-dee", "Dee") == 0


def test_empty_id_and_name_do_not_match_anyone() -> None:
    p = parse({"approval": {"people": {"": 99999}}})
    assert p.limit_for("clerk") == 1000


@pytest.mark.parametrize(("amount", "role"), [(0, "clerk"), (1000, "clerk"), (1000.01, "approver"),
                                              (25000, "approver"), (25000.01, "admin"), (10**9, "admin")])
def test_band_for_amount(amount: float, role: str) -> None:
    """Bands are inclusive of their ``up_to``; the last band (up_to None) takes everything above."""
    assert Policy().band_for(amount).role == role


def test_band_for_unknown_amount_is_the_top_band() -> None:
    assert Policy().band_for(None).role == "admin"


def test_band_for_carries_its_named_approvers() -> None:
    p = parse({"approval": {"bands": [{"up_to": 100, "role": "clerk"},
                                      {"up_to": None, "role": "approver", "approvers": ["Bo", "aad-cy"]}]}})
    assert p.band_for(500).approvers == ["Bo", "aad-cy"]


def test_band_for_beyond_every_band_is_the_last_band() -> None:
    p = parse({"approval": {"bands": [{"up_to": 100, "role": "clerk"}, {"up_to": 1000, "role": "approver"}]}})
    assert p.band_for(5000).role == "approver"


def test_band_for_without_bands_is_a_plain_approver_band() -> None:
    assert parse({"approval": {"bands": []}}).band_for(10) == Band()


# ------------------------------------------------------------------------------------------ to_yaml


def test_to_yaml_round_trips_the_defaults() -> None:
    assert parse(yaml.safe_load(to_yaml(Policy()))) == Policy()


def test_to_yaml_round_trips_a_tenants_policy() -> None:
    p = parse({"base_currency": "GBP", "auto_approve": {"enabled": False, "max_total": 1234.56},
               "log_only": {"enabled": True}, "approval": {"people": {"Ana": None, "aad-bo": 7000},
                                                           "bands": [{"up_to": None, "role": "admin",
                                                                      "approvers": ["Cy"]}]},
               "extraction": {"chain": ["local"]}})
    assert parse(yaml.safe_load(to_yaml(p))) == p


# ------------------------------------------------------------------------------------------ PolicyBook


def test_book_without_a_file_uses_the_defaults(tmp_path: Path) -> None:
    book = PolicyBook.load(tmp_path / "missing.yaml")
    assert book.for_tenant("t-1") == Policy()
    assert book.error() == ""


def test_book_source_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 100\n")
    assert PolicyBook.load(path).source() == str(path)


def test_book_source_without_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert PolicyBook.load(missing).source() == f"built-in defaults (no file at {missing})"
    assert PolicyBook().source() == "built-in defaults"


def test_book_from_raw_settings() -> None:
    book = PolicyBook(raw={"tenants": {"t-1": {"base_currency": "USD"}}})
    assert book.for_tenant("t-1").base_currency == "USD"
    assert book.for_tenant("t-2").base_currency == "EUR"


def test_book_load_applies_the_file_per_tenant(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n"
                                           "tenants:\n  t-1:\n    auto_approve:\n      max_total: 300\n")
    book = PolicyBook.load(path)
    assert book.for_tenant("t-1").auto_approve.max_total == 300
    assert book.for_tenant("t-2").auto_approve.max_total == 2000


@pytest.mark.parametrize("content", [
    "auto_approve:\n  max_totl: 100\n",  # unknown key
    "auto_approve: [1, 2\n",  # not YAML
    "- a list\n- of things\n",  # not a mapping
    "tenants:\n  t-1:\n    checks:\n      bogus: 1\n",  # a tenant's override is broken
    "tenants: [t-1]\n",
])
def test_book_load_refuses_a_broken_file(tmp_path: Path, content: str) -> None:
    """At start an operator must see a broken policy at once, not run on defaults."""
    path = write(tmp_path / "policy.yaml", content)
    with pytest.raises((ValueError, yaml.YAMLError)):
        PolicyBook.load(path)


def test_book_rereads_the_file_after_it_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    assert book.for_tenant("t-1").auto_approve.max_total == 2000
    write(path, "auto_approve:\n  max_total: 3000\n", bump=5)
    assert book.for_tenant("t-1").auto_approve.max_total == 3000
    assert book.error() == ""


def test_book_does_not_reread_an_unchanged_mtime(tmp_path: Path) -> None:
    """The mtime is what says the file changed: same mtime, same policy (and no read at all)."""
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    st = path.stat()
    path.write_text("auto_approve:\n  max_total: 3000\n", encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert book.for_tenant("t-1").auto_approve.max_total == 2000


def test_book_checks_at_most_every_few_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between checks the cached policy is used; the file is not even looked at."""
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = PolicyBook.load(path)
    book.CHECK_EVERY_S = 3600
    now = [10_000.0]
    monkeypatch.setattr("invoice_capture.review.policy.time.monotonic", lambda: now[0])
    assert book.for_tenant("t").auto_approve.max_total == 2000  # checked
    write(path, "auto_approve:\n  max_total: 3000\n", bump=5)
    now[0] += 1
    assert book.for_tenant("t").auto_approve.max_total == 2000  # too soon to look again
    now[0] += 3600
    assert book.for_tenant("t").auto_approve.max_total == 3000  # looked, changed


def test_book_rereads_tenant_overrides(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "")
    book = book_for(path)
    assert book.for_tenant("t-1").base_currency == "EUR"
    write(path, "tenants:\n  t-1:\n    base_currency: CHF\n", bump=5)
    assert book.for_tenant("t-1").base_currency == "CHF"
    assert book.for_tenant("t-2").base_currency == "EUR"


def test_book_broken_edit_keeps_the_last_good_policy(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    assert book.for_tenant("t-1").auto_approve.max_total == 2000
    write(path, "auto_approve:\n  max_totl: 9\n", bump=5)
    assert book.for_tenant("t-1").auto_approve.max_total == 2000


def test_book_broken_edit_is_explained_by_error(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    write(path, "auto_approve:\n  max_totl: 9\n", bump=5)
    assert book.error() == "auto_approve.max_totl: Extra inputs are not permitted"


def test_book_broken_yaml_edit_is_explained_by_error(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    write(path, "auto_approve: [1, 2\n", bump=5)
    assert book.error().startswith("not valid YAML (line ")
    assert book.for_tenant("t-1").auto_approve.max_total == 2000


def test_book_broken_tenant_override_keeps_the_last_good_policy(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    write(path, "tenants:\n  t-1:\n    auto_approve:\n      enabled: maybe\n", bump=5)
    assert book.for_tenant("t-2").auto_approve.max_total == 2000
    assert book.error().startswith("auto_approve.enabled:")


def test_book_tenant_override_that_is_not_a_mapping_keeps_the_last_good_policy(tmp_path: Path) -> None:
    """``tenants: {t-1: strict}`` is a broken edit like any other: last good policy in force, error() says why."""
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    write(path, "tenants:\n  t-1: strict\n", bump=5)
    assert book.for_tenant("t-1").auto_approve.max_total == 2000
    assert book.error() != ""


def test_book_fixing_the_file_clears_the_error(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    write(path, "auto_approve:\n  max_totl: 9\n", bump=5)
    assert book.error() != ""
    write(path, "auto_approve:\n  max_total: 4000\n", bump=10)
    assert book.error() == ""
    assert book.for_tenant("t-1").auto_approve.max_total == 4000


def test_book_caches_one_policy_per_tenant_until_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    first = book.for_tenant("t-1")
    assert book.for_tenant("t-1") is first
    write(path, "auto_approve:\n  max_total: 2500\n", bump=5)
    assert book.for_tenant("t-1") is not first


def test_book_file_removed_falls_back_to_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "policy.yaml", "auto_approve:\n  max_total: 2000\n")
    book = book_for(path)
    path.unlink()
    assert book.for_tenant("t-1") == Policy()
    assert book.source().startswith("built-in defaults")


def test_book_file_created_after_start_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    book = book_for(path)
    assert book.for_tenant("t-1") == Policy()
    write(path, "auto_approve:\n  max_total: 100\n")
    assert book.for_tenant("t-1").auto_approve.max_total == 100


# ------------------------------------------------------------------------------------------ the example file


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_example_policy_file_parses() -> None:
    """docs/examples/policy.yaml is what admins copy: it must load as the service loads it."""
    book = PolicyBook.load(EXAMPLE)
    assert book.error() == ""
    assert book.for_tenant("any-tenant") == Policy()


def test_example_policy_file_shows_every_setting_with_its_default() -> None:
    """Each top-level setting as written is exactly the built-in default (a new setting must be added there)."""
    raw = example()
    raw.pop("tenants")
    assert raw == Policy().model_dump(mode="json")


def test_example_policy_file_has_a_tenant_override() -> None:
    tenants = example()["tenants"]
    assert tenants
    for tenant_id in tenants:
        assert parse(example(), str(tenant_id)) != Policy()
