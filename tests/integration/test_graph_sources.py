"""SharePoint folders and mailboxes through Microsoft Graph, end to end over real HTTP: the service (with its
webhook on a real port) against the local fake Graph (tests/fakes/graph.py), driven through the real msgraph-sdk.

Graph's side is the fake: it creates subscriptions only after our endpoint passes its validation handshake, posts
change and lifecycle notifications to us, pages delta, redirects downloads and throttles. The bot's side is the fake
Bot Connector, which records every card posted to the source's Teams channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from azure.core.credentials import AccessToken
from reportlab.pdfgen import canvas

from app import BOT, GRAPH, SERVICE, build_app
from invoice_capture.ingest.graph.client import GraphClient
from invoice_capture.ingest.graph.watch import GraphWatch
from invoice_capture.review.service import ReviewService
from invoice_capture.store import sources as store
from invoice_capture.store.db import Database
from tests.fakes.connector import FakeConnector, card_of, card_text
from tests.fakes.extractor import FakeExtractor, extraction
from tests.fakes.graph import FakeGraph
from tests.integration.conftest import settings_for

CHANNEL = "19:ap-invoices@thread.tacv2"
TENANT = "local"


class FakeCredential:
    """An azure-identity-shaped async credential (Graph's app-only token comes from Entra, out of reach here)."""

    async def get_token(self, *scopes: str, **_kw: Any) -> AccessToken:
        return AccessToken("fake-app-token", int(dt.datetime.now(dt.UTC).timestamp()) + 3600)

    async def close(self) -> None:
        return None


def pdf(n: int, text: str = "Invoice") -> bytes:
    """A small, valid, distinct PDF per ``n`` (distinct bytes: the service would take equal bytes as one file)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, f"{text} {n}")
    c.save()
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Env:
    graph: FakeGraph
    client: TestClient
    connector: FakeConnector
    extractor: FakeExtractor
    watch: GraphWatch
    service: ReviewService
    drive: str

    @property
    def db(self) -> Database:
        return self.service.db

    async def add_drive_source(self, folder: str = "/Invoices", **kw: Any) -> int:
        async with self.db.write() as s:
            src = await store.add_source(s, TENANT, kind="drive", target=CHANNEL, drive_id=self.drive, folder=folder,
                                         **kw)
            source_id = src.id
        assert await self.watch.ensure(source_id)
        return source_id

    async def add_mail_source(self, mailbox: str) -> int:
        async with self.db.write() as s:
            src = await store.add_source(s, TENANT, kind="mailbox", target=CHANNEL, mailbox=mailbox)
            source_id = src.id
        assert await self.watch.ensure(source_id)
        return source_id

    async def source(self, source_id: int) -> Any:
        async with self.db.read() as s:
            return await store.get_source(s, source_id)

    async def settle(self) -> None:
        """Let every queued notification, sync, extraction and card post finish (no sleeping on time)."""
        for _ in range(5):
            await self.graph.drain()
            await self.watch.idle()
            await self.client.app[BOT].idle()
        await self.watch.idle()

    async def invoices(self) -> list[dict[str, Any]]:
        resp = await self.client.get("/api/invoices?limit=200")
        return (await resp.json())["invoices"]

    def channel_cards(self) -> list[dict[str, Any]]:
        """Cards posted (new activities, not updates) into the source's channel."""
        return [a for a in self.connector.sent if a["_conversation"] == CHANNEL and card_of(a) is not None]


@pytest.fixture
async def env(tmp_path: Path, db_url: str) -> AsyncIterator[Env]:
    graph = await FakeGraph().start()
    connector = await FakeConnector().start()
    drive = graph.add_drive()
    graph.put_file(drive, "/Invoices/.keep.txt", b"folder exists", mime="text/plain")
    port = free_port()
    extractor = FakeExtractor()
    settings = settings_for(tmp_path, db_url, GRAPH_PUBLIC_URL=f"http://127.0.0.1:{port}",
                            GRAPH_RENEW_INTERVAL=3600)
    app = build_app(settings, extractor=extractor,
                    graph_clients=lambda _tenant: GraphClient(FakeCredential(), graph.base_url))
    client = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    service: ReviewService = app[SERVICE]
    await service.remember_conversation(TENANT, CHANNEL, {
        "serviceUrl": connector.url, "channelId": "msteams", "conversation": {"id": CHANNEL,
                                                                             "conversationType": "channel"},
        "bot": {"id": "bot", "name": "Invoice Capture"}}, conversation_type="channel", user_external_id="")
    e = Env(graph, client, connector, extractor, app[GRAPH], service, drive)
    try:
        yield e
    finally:
        await client.close()
        await connector.close()
        await graph.close()


# ---------------------------------------------------------------------------------------------- the webhook


async def test_validation_handshake_echoes_the_token_as_plain_text(env: Env) -> None:
    for path in ("/api/graph/notifications", "/api/graph/lifecycle"):
        resp = await env.client.post(f"{path}?validationToken=Validation%3A%20Testing%20client%20application",
                                     data=b"")
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        assert await resp.text() == "Validation: Testing client application"


async def test_subscription_is_created_on_the_drive_root_after_graph_validated_our_endpoint(env: Env) -> None:
    source_id = await env.add_drive_source()
    src = await env.source(source_id)
    sub = env.graph.subscriptions[src.subscription_id]
    assert sub["resource"].strip("/") == f"drives/{env.drive}/root"  # Graph refuses folder-level subscriptions
    assert sub["notificationUrl"].endswith("/api/graph/notifications")
    assert sub["lifecycleNotificationUrl"].endswith("/api/graph/lifecycle")
    assert sub["clientState"] == src.client_state and len(src.client_state) >= 32
    validations = [d for d in env.graph.deliveries if d.kind == "validation"]
    assert validations and all(d.status == 200 for d in validations)
    assert src.status == "ok" and src.subscription_expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=20)


async def test_wrong_client_state_is_answered_202_and_nothing_is_processed(env: Env) -> None:
    await env.add_drive_source()
    env.graph.put_file(env.drive, "/Invoices/forged.pdf", pdf(1))
    deltas_before = sum("delta" in p for _, p in env.graph.requests)
    status = await env.graph.notify_drive(env.drive, client_state="not-the-secret")
    await env.settle()
    assert status == 202
    assert sum("delta" in p for _, p in env.graph.requests) == deltas_before  # not even a delta call
    assert await env.invoices() == []


async def test_notifications_are_answered_at_once_while_the_work_is_queued(env: Env) -> None:
    await env.add_drive_source()
    for n in range(5):
        env.graph.put_file(env.drive, f"/Invoices/inv-{n}.pdf", pdf(n))
    await env.graph.notify_drive(env.drive, copies=3)
    answers = [d for d in env.graph.deliveries if d.kind == "notification"]
    assert answers and all(d.status == 202 for d in answers)
    await env.settle()
    assert len(await env.invoices()) == 5


# ---------------------------------------------------------------------------------------------- idempotency


async def test_fifty_file_drop_gives_fifty_invoices_and_fifty_cards_no_more(env: Env) -> None:
    await env.add_drive_source()
    env.graph.auto_notify = True  # one notification per change, as Graph sends them
    for n in range(50):
        env.graph.put_file(env.drive, f"/Invoices/scan-{n:02d}.pdf", pdf(n))
    await env.graph.notify_drive(env.drive, copies=2)  # and a few duplicates on top
    await env.settle()
    invoices = await env.invoices()
    assert len(invoices) == 50
    assert {i["source"] for i in invoices} == {"sharepoint"}
    assert len(env.channel_cards()) == 50
    assert len({a["id"] for a in env.channel_cards()}) == 50


async def test_same_notification_twice_rename_and_resave_give_one_invoice_and_one_card(env: Env) -> None:
    await env.add_drive_source()
    item = env.graph.put_file(env.drive, "/Invoices/acme-0042.pdf", pdf(42))
    await env.graph.notify_drive(env.drive, copies=2)
    await env.settle()
    env.graph.rename(env.drive, item, "acme-0042 (renamed).pdf")
    await env.graph.notify_drive(env.drive)
    env.graph.resave(env.drive, item)
    await env.graph.notify_drive(env.drive)
    await env.settle()
    invoices = await env.invoices()
    assert len(invoices) == 1
    assert len(env.channel_cards()) == 1
    assert len(env.extractor.calls) == 1


async def test_out_of_order_notifications_after_the_changes_still_give_each_file_once(env: Env) -> None:
    await env.add_drive_source()
    a = env.graph.put_file(env.drive, "/Invoices/a.pdf", pdf(1))
    await env.graph.notify_drive(env.drive)
    env.graph.put_file(env.drive, "/Invoices/b.pdf", pdf(2))
    env.graph.rename(env.drive, a, "a-renamed.pdf")
    # the older notification arrives after the newer one, and both at once
    await asyncio.gather(env.graph.notify_drive(env.drive), env.graph.notify_drive(env.drive))
    await env.settle()
    names = sorted(i["filename"] for i in await env.invoices())
    assert len(names) == 2 and names[0].startswith("a") and names[1] == "b.pdf"  # a: by its name when read
    assert len(env.channel_cards()) == 2


async def test_files_outside_the_folder_and_non_documents_are_not_taken(env: Env) -> None:
    await env.add_drive_source()
    env.graph.put_file(env.drive, "/Other/not-ours.pdf", pdf(1))
    env.graph.put_file(env.drive, "/Invoices/notes.docx", b"PK\x03\x04 word", mime="application/msword")
    env.graph.put_file(env.drive, "/Invoices/ours.pdf", pdf(2))
    await env.graph.notify_drive(env.drive)
    await env.settle()
    assert [i["filename"] for i in await env.invoices()] == ["ours.pdf"]


async def test_files_already_in_the_folder_are_left_unless_asked_for(env: Env) -> None:
    env.graph.put_file(env.drive, "/Invoices/old.pdf", pdf(1))
    await env.add_drive_source()
    env.graph.put_file(env.drive, "/Invoices/new.pdf", pdf(2))
    await env.graph.notify_drive(env.drive)
    await env.settle()
    assert [i["filename"] for i in await env.invoices()] == ["new.pdf"]


# ---------------------------------------------------------------------------------------------- delta and lifecycle


async def test_delta_paging_across_three_pages_takes_every_file(env: Env) -> None:
    env.graph.delta_page_size = 2
    await env.add_drive_source()
    for n in range(5):
        env.graph.put_file(env.drive, f"/Invoices/p-{n}.pdf", pdf(n))
    before = sum("delta" in p for _, p in env.graph.requests)
    await env.graph.notify_drive(env.drive)
    await env.settle()
    assert sum("delta" in p for _, p in env.graph.requests) - before >= 3  # nextLink, nextLink, deltaLink
    assert len(await env.invoices()) == 5
    src = (await store_sources(env))[0]
    assert "token=" in src.delta_link


async def test_missed_lifecycle_event_resyncs_by_delta_and_finds_the_file(env: Env) -> None:
    source_id = await env.add_drive_source()
    env.graph.put_file(env.drive, "/Invoices/missed.pdf", pdf(7))  # Graph never told us about this one
    await env.settle()
    assert await env.invoices() == []
    src = await env.source(source_id)
    assert await env.graph.lifecycle(src.subscription_id, "missed") == 202
    await env.settle()
    assert [i["filename"] for i in await env.invoices()] == ["missed.pdf"]


async def test_expired_delta_link_resyncs_without_taking_old_files_twice(env: Env) -> None:
    await env.add_drive_source()
    env.graph.put_file(env.drive, "/Invoices/one.pdf", pdf(1))
    await env.graph.notify_drive(env.drive)
    await env.settle()
    env.graph.expire_delta_tokens()  # Graph answers 410 resyncRequired
    env.graph.put_file(env.drive, "/Invoices/two.pdf", pdf(2))
    await env.graph.notify_drive(env.drive)
    await env.settle()
    assert sorted(i["filename"] for i in await env.invoices()) == ["one.pdf", "two.pdf"]
    assert len(env.channel_cards()) == 2


async def test_renewal_near_expiry_and_recreation_of_a_vanished_subscription(env: Env) -> None:
    source_id = await env.add_drive_source()
    first = await env.source(source_id)
    # a round far from expiry renews nothing
    assert await env.watch.round() == 0
    # near expiry (a third of the lifetime left): renewed in place with PATCH
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    assert await env.watch.round(now=soon) == 1
    renewed = await env.source(source_id)
    assert renewed.subscription_id == first.subscription_id
    assert renewed.subscription_expires_at > first.subscription_expires_at
    assert any(m == "PATCH" for m, _ in env.graph.requests)
    # Graph dropped it: the next renewal gets 404 and creates a new one
    env.graph.remove_subscription(first.subscription_id)
    later = renewed.subscription_expires_at - dt.timedelta(days=1)
    assert await env.watch.round(now=later) == 1
    recreated = await env.source(source_id)
    assert recreated.subscription_id != first.subscription_id
    assert recreated.subscription_id in env.graph.subscriptions
    await env.settle()


async def test_subscription_removed_and_reauthorization_lifecycle_events(env: Env) -> None:
    source_id = await env.add_drive_source()
    first = await env.source(source_id)
    patches = sum(m == "PATCH" for m, _ in env.graph.requests)
    assert await env.graph.lifecycle(first.subscription_id, "reauthorizationRequired") == 202
    await env.settle()
    assert sum(m == "PATCH" for m, _ in env.graph.requests) == patches + 1
    env.graph.put_file(env.drive, "/Invoices/while-removed.pdf", pdf(3))
    assert await env.graph.lifecycle(first.subscription_id, "subscriptionRemoved") == 202
    env.graph.remove_subscription(first.subscription_id)
    await env.settle()
    again = await env.source(source_id)
    assert again.subscription_id != first.subscription_id and again.subscription_id in env.graph.subscriptions
    assert [i["filename"] for i in await env.invoices()] == ["while-removed.pdf"]  # caught up by delta


# ---------------------------------------------------------------------------------------------- failures


async def test_throttling_is_retried_after_retry_after(env: Env) -> None:
    await env.add_drive_source()
    env.graph.put_file(env.drive, "/Invoices/busy.pdf", pdf(9))
    env.graph.throttle(2, status=429, retry_after=1)
    await env.graph.notify_drive(env.drive)
    await env.settle()
    assert env.graph.throttled == 2
    assert [i["filename"] for i in await env.invoices()] == ["busy.pdf"]


async def test_file_deleted_before_download_ends_as_failed_source_removed(env: Env, monkeypatch: Any) -> None:
    await env.add_drive_source()
    item = env.graph.put_file(env.drive, "/Invoices/gone.pdf", pdf(5))
    real = GraphClient.download

    async def deleted_first(self: GraphClient, drive_id: str, item_id: str) -> bytes:
        env.graph.delete(drive_id, item)  # someone deletes it between the delta and our download
        return await real(self, drive_id, item_id)

    monkeypatch.setattr(GraphClient, "download", deleted_first)
    await env.graph.notify_drive(env.drive)
    await env.settle()
    [inv] = await env.invoices()
    view = await (await env.client.get(f"/api/invoices/{inv['id']}")).json()
    assert view["state"] == "failed"
    assert view["error"]["code"] == "source_removed"
    assert "deleted from SharePoint" in view["error"]["message"]
    [posted] = env.channel_cards()
    assert "deleted from SharePoint" in card_text(card_of(posted))


async def test_expired_credentials_are_reported_once_to_the_admins(env: Env) -> None:
    source_id = await env.add_drive_source()
    admin_conv = "a:admin-1on1"
    async with env.db.write() as s:
        from invoice_capture.store import repository as repo

        await repo.set_role(s, TENANT, "admin-oid", "admin", "Ada Admin")
    await env.service.remember_conversation(TENANT, admin_conv, {
        "serviceUrl": env.connector.url, "channelId": "msteams", "conversation": {"id": admin_conv},
        "bot": {"id": "bot"}, "user": {"id": "29:ada", "aadObjectId": "admin-oid"}},
        conversation_type="personal", user_external_id="admin-oid")
    env.graph.expire_credentials(True)
    env.graph.put_file(env.drive, "/Invoices/waiting.pdf", pdf(4))
    for _ in range(3):
        await env.watch.sync(source_id)
    await env.watch.round()
    await env.settle()
    told = [a for a in env.connector.sent if a["_conversation"] == admin_conv]
    assert len(told) == 1
    assert "credentials" in card_text(card_of(told[0]))
    assert (await env.source(source_id)).status == "error"
    # fixed: the waiting file is read, and a later failure would be told again
    env.graph.expire_credentials(False)
    await env.watch.round()
    await env.settle()
    assert [i["filename"] for i in await env.invoices()] == ["waiting.pdf"]
    assert (await env.source(source_id)).status == "ok"


# ---------------------------------------------------------------------------------------------- mail


async def test_mailbox_attachments_become_invoices_with_sender_and_subject(env: Env) -> None:
    box = "ap@contoso.example"
    env.graph.add_mailbox(box)
    source_id = await env.add_mail_source(box)
    mid = env.graph.add_message(box, subject="Invoice 2026-117 from Fabrikam",
                                sender=("Fabrikam AR", "ar@fabrikam.example"),
                                attachments=[("INV-2026-117.pdf", pdf(117), "application/pdf"),
                                             ("terms.pdf", pdf(118), "application/pdf")],
                                inline=[("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")])
    await env.graph.notify_message(box, mid, copies=2)
    await env.settle()
    await env.graph.notify_message(box, mid)  # and once more, later
    await env.settle()
    invoices = await env.invoices()
    assert sorted(i["filename"] for i in invoices) == ["INV-2026-117.pdf", "terms.pdf"]
    view = await (await env.client.get(f"/api/invoices/{invoices[0]['id']}")).json()
    assert view["source"] == "mailbox"
    assert view["origin"]["sender_address"] == "ar@fabrikam.example"
    assert view["origin"]["subject"] == "Invoice 2026-117 from Fabrikam"
    assert len(env.channel_cards()) == 2
    assert "Fabrikam AR" in card_text(card_of(env.channel_cards()[0]))
    assert (await env.source(source_id)).status == "ok"


async def test_card_links_back_to_the_sharepoint_file(env: Env) -> None:
    env.extractor.results["linked.pdf"] = [extraction("linked.pdf", number="INV-77")]
    await env.add_drive_source()
    item = env.graph.put_file(env.drive, "/Invoices/linked.pdf", pdf(77))
    web_url = env.graph.item(env.drive, item)["webUrl"]
    await env.graph.notify_drive(env.drive)
    await env.settle()
    [posted] = env.channel_cards()
    card = card_of(posted)
    urls = [a.get("url") for a in _actions(card)]
    assert web_url in urls
    [inv] = await env.invoices()
    view = await (await env.client.get(f"/api/invoices/{inv['id']}")).json()
    assert view["origin"]["web_url"] == web_url and view["origin"]["path"] == "/Invoices/linked.pdf"


def _actions(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            out.append(node)
        for v in node.values():
            out.extend(_actions(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_actions(v))
    return out


async def store_sources(env: Env) -> list[Any]:
    async with env.db.read() as s:
        return await store.list_sources(s, TENANT)


async def test_retry_of_a_removed_file_asks_graph_again_and_says_it_is_still_gone(env: Env, monkeypatch: Any) -> None:
    await env.add_drive_source()
    item = env.graph.put_file(env.drive, "/Invoices/gone-again.pdf", pdf(6))
    real = GraphClient.download

    async def deleted_first(self: GraphClient, drive_id: str, item_id: str) -> bytes:
        if env.graph.requests and not any("/content" in p for _, p in env.graph.requests):
            env.graph.delete(drive_id, item)  # gone before the first download, and stays gone
        return await real(self, drive_id, item_id)

    monkeypatch.setattr(GraphClient, "download", deleted_first)
    await env.graph.notify_drive(env.drive)
    await env.settle()
    [inv] = await env.invoices()
    downloads = sum("/content" in p for _, p in env.graph.requests)
    resp = await env.client.post(f"/api/invoices/{inv['id']}/actions", json={"verb": "retry", "version": 1})
    assert resp.status == 200
    await env.settle()
    view = await (await env.client.get(f"/api/invoices/{inv['id']}")).json()
    assert sum("/content" in p for _, p in env.graph.requests) == downloads + 1  # Retry went back to Graph
    assert view["state"] == "failed" and view["error"]["code"] == "source_removed"
    assert "still gone" in view["error"]["message"]


async def test_webhook_refuses_what_is_not_a_graph_notification_and_ignores_unknown_subscriptions(env: Env) -> None:
    bad = await env.client.post("/api/graph/notifications", data=b"{not json", headers={"Content-Type":
                                                                                          "application/json"})
    assert bad.status == 400
    shapeless = await env.client.post("/api/graph/notifications", json={"hello": "world"})
    assert shapeless.status == 400
    unknown = await env.client.post("/api/graph/notifications", json={"value": [
        {"subscriptionId": "00000000-0000-0000-0000-000000000000", "clientState": "x", "changeType": "updated",
         "resource": f"drives/{env.drive}/root"}]})
    assert unknown.status == 202
    await env.settle()
    assert not any("delta" in p for _, p in env.graph.requests)
