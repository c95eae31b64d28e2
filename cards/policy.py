"""The answer to "admin policy": the approval policy in force, in plain words first and then as the YAML file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cards.common import CARD_BUDGET, attention, card, card_size, fact_row, paragraphs, text
from invoice_capture.review.policy import money as policy_money

YAML_BUDGET = 12_000
"""Characters of the YAML shown; a long file is cut (the summary above it stays complete)."""


def policy_card(summary: list[tuple[str, str]], yaml_text: str, *, source: str, error: str = "",
                tenant: str = "") -> dict:
    """``summary`` is (topic, sentence) pairs; ``error`` why the file's latest edit is not in force."""
    body: list[dict[str, Any]] = [text("Approval policy", size="medium", weight="bolder"),
                                  text(f"From {source}" + (f" · tenant {tenant}" if tenant else ""), subtle=True,
                                       size="small", spacing="none", limit=300)]
    if error:
        body.append(attention(f"The policy file's latest version is not in force (the previous one is): {error}",
                              limit=600))
    body.extend(fact_row(topic, sentence, limit=500) for topic, sentence in summary)  # a FactSet cuts at 100
    shown = yaml_text if len(yaml_text) <= YAML_BUDGET else yaml_text[:YAML_BUDGET] + "\n…"
    body.append({"type": "ActionSet", "actions": [
        {"type": "Action.ToggleVisibility", "title": "Show the file", "targetElements": ["policy-yaml"]}]})
    body.append({"type": "Container", "id": "policy-yaml", "isVisible": False, "items": [
        *paragraphs(shown, limit=300, max_paragraphs=400, monospace=True, size="small", spacing="none")]})
    built = card(body, fallback_text="Approval policy")
    if card_size(built) > CARD_BUDGET:  # a huge file: the plain-words summary is what matters
        built = card(body[:-2], fallback_text="Approval policy")
    return built


def summary_lines(p: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The policy (``Policy.model_dump()``) as an AP lead would say it."""
    cur = p["base_currency"]

    def money(x: float | None) -> str:
        return policy_money(x, cur)

    auto = p["auto_approve"]
    if auto["enabled"]:
        known = "in the vendor master" + (f" or with {auto['known_from_history']} approved invoices"
                                          if auto["known_from_history"] else "")
        auto_line = (f"L1 (approve and notify) when every key field is read with {round(auto['min_confidence'] * 100)}"
                     f"% confidence or more, all checks pass, the vendor is {known}, and the total is under "
                     f"{money(auto['max_total'])}.")
    else:
        auto_line = "Off: every invoice waits for a person."
    lines = [("Automatic approval", auto_line)]
    if p["log_only"]["enabled"]:
        lines.append(("Log only (L0)", f"Under {money(p['log_only']['max_total'])}, on top of the L1 conditions."))
    lines.append(("Fraud (L3)", "Bank details that differ from the vendor master: an approver approves after a "
                                "call-back."))
    limits = p["approval"]["limits"]
    lines.append(("Approval limits", "; ".join(f"{role} {money(limit)}" for role, limit in limits.items())))
    if p["approval"]["people"]:
        lines.append(("Named limits", "; ".join(f"{who} {money(limit)}"
                                                for who, limit in p["approval"]["people"].items())))
    bands, previous = [], None
    for band in p["approval"]["bands"]:
        if band.get("up_to") is not None:
            upto, previous = f"up to {money(band['up_to'])}", band["up_to"]
        else:
            upto = f"above {money(previous)}" if previous is not None else "any amount"
        named = f" ({', '.join(band['approvers'])})" if band.get("approvers") else ""
        bands.append(f"{upto}: {band['role']}{named}")
    lines.append(("Who is asked", "; ".join(bands)))
    rem = p["reminders"]
    lines.append(("Reminders", f"approver after {rem['approver_after_hours']:g} h, managers after "
                               f"{rem['manager_after_hours']:g} h"))
    chk = p["checks"]
    lines.append(("Checks", f"duplicates: same vendor and amount within {chk['duplicate_window_days']} days; invoice "
                            f"dates more than {chk['max_age_years']} years back or in the future; vendor name match "
                            f"from {chk['vendor_match_threshold']:g}%"))
    return lines
