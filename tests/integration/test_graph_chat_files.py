"""Files shared in Teams channels and group chats, fetched through Microsoft Graph, and the admin's view of the
sources, over real HTTP (service + fake Bot Connector + fake Graph)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import BOT, SERVICE, build_app
from invoice_capture.ingest.graph.client import GraphClient
from invoice_capture.store import repository as repo
from invoice_capture.store import sources as store
from tests.fakes.activities import ANA, activity, text_message
from tests.fakes.connector import FakeConnector, card_of, card_text
from tests.fakes.extractor import FakeExtractor
from tests.fakes.graph import FakeGraph
from tests.integration.conftest import settings_for
from tests.integration.test_graph_sources import FakeCredential, pdf

CHANNEL = "19:general@thread.tacv2"


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[TestClient, FakeGraph, FakeConnector, str]]:
    graph = await FakeGraph().start()
    connector = await FakeConnector().start()
    drive = graph.add_drive()
    app = build_app(settings_for(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'ic.db'}"), extractor=FakeExtractor(),
                    graph_clients=lambda _t: GraphClient(FakeCredential(), graph.base_url))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield client, graph, connector, drive
    finally:
        await client.close()
        await connector.close()
        await graph.close()


def channel_message(service_url: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    return activity(service_url, text="<at>Invoice Capture</at> please read this", conversation=CHANNEL,
                    conversation_type="channel", attachments=attachments)


async def invoices(client: TestClient, tenant: str) -> list[dict[str, Any]]:
    resp = await client.get("/api/invoices", headers={"X-Tenant-Id": tenant})
    return (await resp.json())["invoices"]


async def test_a_file_shared_in_a_channel_is_fetched_through_graph(parts: Any) -> None:
    client, graph, connector, drive = parts
    item = graph.put_file(drive, "/General/fabrikam-2231.pdf", pdf(2231))
    web_url = graph.item(drive, item)["webUrl"]
    resp = await client.post("/api/messages", json=channel_message(connector.url, [
        {"contentType": "reference", "contentUrl": web_url, "name": "fabrikam-2231.pdf"}]))
    assert resp.status in (200, 201)
    await client.app[BOT].idle()
    [inv] = await invoices(client, "tenant-contoso")
    view = await (await client.get(f"/api/invoices/{inv['id']}", headers={"X-Tenant-Id": "tenant-contoso"})).json()
    assert view["filename"] == "fabrikam-2231.pdf" and view["state"] == "needs_review"
    assert view["origin"]["web_url"] == web_url
    assert any(p.startswith("/v1.0/shares/u") for _, p in graph.requests)  # "u!" + base64url(webUrl)
    final = [connector.current[a["id"]] for a in connector.sent if a["_conversation"] == CHANNEL]
    assert any("Contoso" in card_text(card_of(a)) for a in final)


async def test_a_link_inside_the_message_html_is_fetched_and_a_gone_file_is_explained(parts: Any) -> None:
    client, graph, connector, drive = parts
    item = graph.put_file(drive, "/General/scan.pdf", pdf(1))
    web_url = graph.item(drive, item)["webUrl"]
    html = f'<div><a href="{web_url}">scan.pdf</a> and <a href="https://contoso.sharepoint.com/x/gone.pdf">gone</a></div>'
    await client.post("/api/messages", json=channel_message(connector.url, [
        {"contentType": "text/html", "content": html}]))
    await client.app[BOT].idle()
    assert [i["filename"] for i in await invoices(client, "tenant-contoso")] == ["scan.pdf"]
    texts = [card_text(card_of(connector.current[a["id"]])) for a in connector.sent if a["_conversation"] == CHANNEL]
    assert any("gone from SharePoint" in t for t in texts)


async def test_admin_sources_lists_the_sources_and_this_conversations_id(parts: Any) -> None:
    client, _graph, connector, drive = parts
    service = client.app[SERVICE]
    async with service.db.write() as s:
        await repo.set_role(s, "tenant-contoso", ANA.aad, "admin", ANA.name)
        await store.add_source(s, "tenant-contoso", kind="drive", target=CHANNEL, drive_id=drive, folder="/Invoices")
    await client.post("/api/messages", json=text_message(connector.url, "<at>Invoice Capture</at> admin sources",
                                                         conversation=CHANNEL, conversation_type="channel"))
    text = card_text(card_of(connector.sent[-1]))
    assert "#1" in text and "/Invoices" in text and "this conversation" in text
    assert CHANNEL in text
    # a clerk is told it is not for them
    async with service.db.write() as s:
        await repo.set_role(s, "tenant-contoso", ANA.aad, "clerk", ANA.name)
    await client.post("/api/messages", json=text_message(connector.url, "admin sources"))
    assert "Only admins" in card_text(card_of(connector.sent[-1]))
