"""The manager's summary card with analytics: valid Adaptive Card 1.5, inside the size budget with its chart, the
override rate in plain words, the busiest vendors and people, and the chart left out when it would not fit."""

from __future__ import annotations

import base64
import copy
import io
from typing import Any

import pytest
from PIL import Image

import cards.reports as report_cards
from cards import summary_card
from cards.common import CARD_BUDGET, card_size
from cards.reports import MAX_SUMMARY_ROWS, override_sentence
from tests.cardschema import assert_valid_card, nodes

WEEK = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def vendor(name: str | None, received: int, **kw: Any) -> dict[str, Any]:
    return {"vendor": name, "received": received, "approved": kw.get("approved", 0), "rejected": kw.get("rejected", 0),
            "waiting": kw.get("waiting", 0), "totals": kw.get("totals", {}),
            "median_decision_s": kw.get("median_decision_s")}


def person(name: str, **kw: Any) -> dict[str, Any]:
    return {"id": f"{name}-oid", "name": name, "received": 0, "decided": 0, "approved": 0, "rejected": 0,
            "escalated": 0, "reopened": 0, "fields_corrected": 0, **kw}


def summary(**overrides: Any) -> dict[str, Any]:
    """A week as reports.summary returns it (numbers chosen to be easy to check on the card)."""
    flow = [{"start": f"2026-11-{16 + i}T00:00:00+00:00", "label": label, "received": r, "approved": a,
             "rejected": j, "escalated": e}
            for i, (label, (r, a, j, e)) in enumerate(zip(WEEK, [(12, 9, 1, 0), (8, 7, 0, 1), (10, 8, 1, 0),
                                                                 (9, 6, 0, 1), (7, 5, 1, 0), (0, 0, 0, 0),
                                                                 (0, 0, 0, 0)], strict=True))]
    base: dict[str, Any] = {
        "period": "this week", "from": "2026-11-16", "to": "2026-11-20", "received": 46, "approved": 21,
        "rejected": 3, "escalated": 2, "failed": 1, "totals_by_currency": {"EUR": 12345.5, "USD": 99.0},
        "median_decision_s": 5400.0, "auto_approved": 14, "auto_approved_reopened": 2, "override_rate": 2 / 14,
        "extracted": 45, "fields_corrected": 18, "fields_corrected_per_invoice": 0.4,
        "corrected_by_field": {"InvoiceTotal": 7, "DueDate": 5, "IBAN": 3, "VendorName": 2}, "failures": 2,
        "error_rate": 2 / 46, "by_level": {"L2": 20, "L0": 3, "L1": 14, "L3": 1}, "vendors": 9,
        "by_vendor": [vendor("Contoso Ltd", 20, approved=15, rejected=1, waiting=4,
                             totals={"EUR": 9000.0, "USD": 99.0}, median_decision_s=7200.0),
                      vendor("Fabrikam *Inc*", 10, approved=8, waiting=2, totals={"EUR": 3000.0}),
                      *(vendor(f"Vendor {i}", 3, approved=2) for i in range(3, 8)), vendor(None, 1)],
        "people": 7,
        "by_clerk": [person("Ann Clerk", received=30), person("Cy Reviewer", received=5, decided=12, rejected=2,
                                                              escalated=2, reopened=2, fields_corrected=18),
                     person("Bo Approver", decided=10), *(person(f"Clerk {i}", received=1) for i in range(4))],
        "flow_unit": "day", "flow": flow,
    }
    base.update(overrides)
    return base


def texts(card: dict) -> str:
    return "\n".join(str(n.get("text")) for n in nodes(card) if n.get("type") in ("TextBlock", "TextRun"))


def facts(card: dict) -> dict[str, str]:
    return {f["title"]: f["value"] for n in nodes(card) if n.get("type") == "FactSet" for f in n["facts"]}


def images(card: dict) -> list[dict]:
    return [n for n in nodes(card) if n.get("type") == "Image"]


def table_rows(card: dict, first_header: str) -> list[list[str]]:
    """The rows (header included) of the Table whose first header cell says ``first_header``, as cell texts."""
    for table in (n for n in nodes(card) if n.get("type") == "Table"):
        rows = [[" | ".join(str(t.get("text")) for t in nodes(cell) if t.get("type") in ("TextBlock", "TextRun"))
                 for cell in row["cells"]] for row in table["rows"]]
        if rows[0][0] == first_header:
            return rows
    raise AssertionError(f"no table headed {first_header!r}")


def test_full_summary_card_is_valid_and_within_budget_with_its_chart() -> None:
    card = summary_card(summary())
    assert_valid_card(card)
    assert card_size(card) <= CARD_BUDGET
    (image,) = images(card)
    prefix = "data:image/png;base64,"
    assert image["url"].startswith(prefix)
    png = base64.b64decode(image["url"][len(prefix):], validate=True)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert image["altText"] == ("Invoices per day, 16 Nov 2026 – 20 Nov 2026: 46 received, 35 approved, "
                                "3 rejected, 2 escalated")


def test_headline_numbers_and_quality_facts() -> None:
    card = summary_card(summary())
    shown = facts(card)
    assert shown["Received"] == "46" and shown["Approved"] == "21" and shown["Approved automatically"] == "14"
    assert shown["Fields corrected per invoice"] == "0.40 (18 fields on 45 invoices read)"
    assert shown["Most corrected"] == "InvoiceTotal 7, DueDate 5, IBAN 3"
    assert shown["Error rate"] == "4% (2 of 46 failed at least once)"
    assert shown["Gate levels"] == "L0 3 · L1 14 · L2 20 · L3 1"
    assert shown["EUR"] == "12,345.50 EUR"
    assert "2 of 14 auto-approved invoices were reopened (14%)." in texts(card)


def test_top_five_vendors_with_totals_and_the_rest_counted() -> None:
    card = summary_card(summary())
    rows = table_rows(card, "Vendor")
    assert rows[0] == ["Vendor", "Received", "Approved", "Rejected", "Waiting"]
    assert len(rows) == 1 + MAX_SUMMARY_ROWS
    assert rows[1] == ["Contoso Ltd | 9,000.00 EUR · 99.00 USD · median 2 h", "20", "15", "1", "4"]
    assert rows[2][0] == "Fabrikam *Inc* | 3,000.00 EUR", "markdown in a vendor name is shown as typed"
    assert "and 4 more vendors" in texts(card)


def test_people_table() -> None:
    card = summary_card(summary())
    rows = table_rows(card, "Person")
    assert rows[0] == ["Person", "Uploaded", "Decided", "Escalated", "Fields fixed"]
    assert rows[1:4] == [["Ann Clerk", "30", "0", "0", "0"], ["Cy Reviewer", "5", "12 (2 rej.)", "2", "18"],
                         ["Bo Approver", "0", "10", "0", "0"]]
    assert len(rows) == 1 + MAX_SUMMARY_ROWS and "and 2 more people" in texts(card)


@pytest.mark.parametrize(("reopened", "auto", "sentence"), [
    (2, 14, "2 of 14 auto-approved invoices were reopened (14%)."),
    (1, 1, "1 of 1 auto-approved invoice was reopened (100%)."),
    (0, 5, "None of the 5 auto-approved invoices were reopened (0%)."),
    (0, 1, "The auto-approved invoice was not reopened (0%)."),
    (1, 300, "1 of 300 auto-approved invoices were reopened (0.3%)."),
    (0, 0, "No invoices were approved automatically in this period."),
])
def test_override_sentence(reopened: int, auto: int, sentence: str) -> None:
    assert override_sentence(reopened, auto) == sentence


def test_a_high_override_rate_is_flagged() -> None:
    def colour(card: dict) -> Any:
        return next(n.get("color") for n in nodes(card) if "reopened" in str(n.get("text", "")))

    assert colour(summary_card(summary(auto_approved=10, auto_approved_reopened=3))) == "warning"
    assert colour(summary_card(summary())) is None


def test_chart_is_dropped_when_the_card_would_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_cards, "flow_png", lambda flow, **kw: b"\x89PNG" + bytes(range(256)) * 80)
    card = summary_card(summary())
    assert_valid_card(card)
    assert card_size(card) <= CARD_BUDGET and images(card) == []
    assert "The chart was left out to keep this card within Teams' size limit." in texts(card)
    assert "2 of 14 auto-approved invoices were reopened (14%)." in texts(card), "the numbers stay"


def test_a_chart_that_cannot_be_drawn_costs_only_the_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(flow: Any, **kw: Any) -> bytes:
        raise ValueError("anchor not supported for multiline text")

    monkeypatch.setattr(report_cards, "flow_png", broken)
    card = summary_card(summary())
    assert_valid_card(card)
    assert images(card) == [] and facts(card)["Received"] == "46"


def test_worst_case_month_stays_within_budget() -> None:
    """Ten vendors and people with names at the length limit, twenty currencies and a busy 31-day month."""
    long = "W" * 300
    month = [{"start": "", "label": str(d), "received": 900 + d, "approved": 800, "rejected": 60, "escalated": 40}
             for d in range(1, 32)]
    big = summary(period="this month", flow=month, by_vendor=[vendor(f"{long}{i}", 99, totals={
        f"C{i:02d}": 1e12 for i in range(20)}, median_decision_s=1e6) for i in range(10)],
        by_clerk=[person(f"{long}{i}", received=999, decided=999, rejected=99) for i in range(10)],
        totals_by_currency={f"C{i:02d}": 1e15 for i in range(20)})
    card = summary_card(big)
    assert_valid_card(card)
    assert card_size(card) <= CARD_BUDGET
    assert len(images(card)) == 1, "a busy month still has room for its chart"


def test_zero_flow_has_no_chart_and_the_old_shape_still_renders() -> None:
    quiet = summary(flow=[dict(row, received=0, approved=0, rejected=0, escalated=0) for row in summary()["flow"]])
    assert images(summary_card(quiet)) == []
    old = {k: v for k, v in summary().items() if k in ("period", "from", "to", "received", "approved", "rejected",
                                                       "escalated", "failed", "totals_by_currency",
                                                       "median_decision_s")}
    card = summary_card(copy.deepcopy(old))
    assert_valid_card(card)
    assert images(card) == [] and "Approved automatically" not in facts(card)
    assert not [n for n in nodes(card) if n.get("type") == "Table"]


def test_hourly_chart_for_today() -> None:
    hours = [{"start": "", "label": f"{h:02d}", "received": h % 3, "approved": h % 2, "rejected": 0, "escalated": 0}
             for h in range(24)]
    card = summary_card(summary(period="today", **{"from": "2026-11-19", "to": "2026-11-19"}, flow_unit="hour",
                                flow=hours))
    assert_valid_card(card)
    assert images(card)[0]["altText"].startswith("Invoices per hour, 19 Nov 2026: 24 received, 12 approved")
