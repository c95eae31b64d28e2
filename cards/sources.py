"""The answer to "admin sources": the SharePoint folders and mailboxes watched for this tenant, where their cards
go, and whether they work; plus this conversation's id, which is what `invoice-capture sources add --target` needs
to send a source's cards here."""

from __future__ import annotations

from typing import Any

from cards.common import attention, card, fact_row, text


def sources_card(sources: list[dict[str, Any]], *, conversation_id: str, graph_on: bool) -> dict:
    body: list[dict[str, Any]] = [text("Invoice sources", size="medium", weight="bolder")]
    if not graph_on:
        body.append(attention("Microsoft Graph is not configured (GRAPH_CLIENT_ID), so no SharePoint folder or "
                              "mailbox is watched. See the README's Graph section.", limit=400))
    if not sources:
        body.append(text("No source yet. An admin adds one with `invoice-capture sources add`."))
    for src in sources:
        state = {"ok": "working", "new": "starting", "error": "not working"}.get(src["status"], src["status"])
        body.append(text(f"#{src['id']} · {src['where']}", weight="bolder", spacing="medium", limit=300))
        body.append(fact_row("Cards go to", "this conversation" if src["target"] == conversation_id
                             else src["target"], limit=300))
        body.append(fact_row("State", f"{state}; {src.get('taken', 0)} invoice(s) taken"
                             + (f"; last sync {src['last_sync'][:16].replace('T', ' ')} UTC" if src.get("last_sync")
                                else ""), limit=300))
        if src.get("last_error"):
            body.append(attention(f"Last error: {src['last_error']}", limit=400))
    body.append(text(f"This conversation's id (for --target): {conversation_id}", subtle=True, size="small",
                     spacing="medium", limit=400))
    return card(body, fallback_text="Invoice sources")
