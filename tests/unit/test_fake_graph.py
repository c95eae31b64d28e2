"""The fake Microsoft Graph (tests/fakes/graph.py) behaves as Graph documents, so tests built on it prove something.

Each test is also the documentation of one behaviour our Graph sources must cope with: delta paging and tokens,
410 resync, 302 downloads, sharing-URL encoding, mail delta and attachments, the subscription handshake and limits,
notifications, throttling and expired tokens. The last tests drive the fake through the real msgraph-sdk, so we know
the SDK parses what the fake answers (the SDK is imported inside them: its import takes seconds).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import time
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.graph import FakeGraph, encode_sharing_url, quick_xor_hash

# msgraph-sdk's generated request builders warn about their own deprecated classes when imported.
pytestmark = [pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:GetQueryParameters is deprecated:DeprecationWarning")]

TOKEN = {"Authorization": "Bearer test-token"}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


@dataclass
class Answer:
    status: int
    body: Any
    headers: Any


async def call(http: aiohttp.ClientSession, method: str, url: str, *, json: Any = None,
               headers: dict[str, str] | None = None, redirects: bool = True) -> Answer:
    async with http.request(method, url, json=json, headers=headers, allow_redirects=redirects) as r:
        body = await r.json() if r.content_type == "application/json" else await r.read()
        return Answer(r.status, body, r.headers)


class Webhook:
    """A tiny notification endpoint: answers Graph's validation request per ``mode`` ("echo" as Graph requires,
    "wrong" token, "json" content type, "hang" until released) and records what it receives."""

    def __init__(self) -> None:
        self.mode = "echo"
        self.status = 202
        self.validations: list[tuple[str, str, str, bytes]] = []  # (path, token, content type, body)
        self.received: list[tuple[str, Any]] = []  # (path, JSON body)
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/{name}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")

    def url(self, name: str = "hook") -> str:
        return str(self.server.make_url(f"/{name}"))

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is None:
            self.received.append((request.path, await request.json()))
            return web.Response(status=self.status)
        self.validations.append((request.path, token, request.content_type, await request.read()))
        if self.mode == "hang":
            await self.release.wait()
        if self.mode == "wrong":
            return web.Response(text=token[:-1], content_type="text/plain")
        if self.mode == "json":
            return web.json_response(token)
        return web.Response(text=token, content_type="text/plain")


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=TOKEN) as session:
        yield session


@pytest.fixture
async def hook() -> AsyncIterator[Webhook]:
    webhook = Webhook()
    await webhook.server.start_server()
    yield webhook
    webhook.release.set()
    await webhook.server.close()


def in_minutes(minutes: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).isoformat()


def drive_subscription(graph: FakeGraph, drive: str, hook: Webhook, **extra: Any) -> dict[str, Any]:
    return {"changeType": "updated", "notificationUrl": hook.url(), "resource": f"drives/{drive}/root",
            "expirationDateTime": in_minutes(60 * 24), "clientState": "s3cret", **extra}


# ------------------------------------------------------------------------------------------------------ hashes, ids

def test_quick_xor_hash_matches_published_vectors() -> None:
    """OneDrive for Business reports only quickXorHash; these are published test vectors (rclone's), including one
    longer than the 160-bit register so the wrap-around is exercised."""
    vectors = {
        "": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "Sg==": "SgAAAAAAAAAAAAAAAQAAAAAAAAA=",
        "0pZP": "0rDEEwAAAAAAAAAAAwAAAAAAAAA=",
        "2fuxhBJXtpWFe8dOfdGeHw==": "O9tHLAghgSvYohKFyMMxnNCHaHg=",
        "PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR"
        "1htX5n2VnkHh22xDyoJ8C/ZQKiSNqQfXvh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/d"
        "EnGvqg0oN5OVkM2qqAXvA0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+loXEHTL0fqMe"
        "UcEi2asgImnlNakwenDzz0x57aBwyq3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3": "QX/YEpG0gDsmhEpCdWhsxDzsfVE=",
    }
    for data, expected in vectors.items():
        assert quick_xor_hash(base64.b64decode(data)) == expected


def test_sharing_urls_are_encoded_as_graph_documents() -> None:
    """``u!`` + base64url without padding: no ``=``, ``/`` or ``+`` may reach the path."""
    url = "https://contoso.sharepoint.com/sites/ap/Shared%20Documents/Invoices/a?b.pdf"
    share = encode_sharing_url(url)
    assert share.startswith("u!") and not {"=", "/", "+"} & set(share)
    assert base64.urlsafe_b64decode(share[2:] + "=" * (-len(share[2:]) % 4)).decode() == url


# ----------------------------------------------------------------------------------------------------------- drives

async def test_drive_items_have_graphs_shape(graph: FakeGraph) -> None:
    drive = graph.add_drive()
    file_id = graph.put_file(drive, "/Invoices/Acme 1.pdf", PDF)
    item = graph.item(drive, file_id)
    assert drive.startswith("b!") and file_id.startswith("01") and file_id.isupper()
    assert item["name"] == "Acme 1.pdf" and item["size"] == len(PDF)
    assert item["webUrl"] == "https://contoso.sharepoint.com/sites/ap/Shared%20Documents/Invoices/Acme%201.pdf"
    assert item["parentReference"]["path"] == f"/drives/{drive}/root:/Invoices"
    assert item["parentReference"]["driveType"] == "documentLibrary"
    assert item["file"] == {"mimeType": "application/pdf", "hashes": {"quickXorHash": quick_xor_hash(PDF)}}
    assert item["eTag"].startswith('"{') and item["eTag"].endswith('},1"') and item["cTag"].startswith('"c:{')
    folder = graph.item(drive, item["parentReference"]["id"])
    assert folder["folder"] == {"childCount": 1} and folder["parentReference"]["path"] == f"/drives/{drive}/root:"
    assert "root" in graph.item(drive, graph.root_id(drive))

    # Re-uploading replaces the content: same id, new cTag and eTag. A re-save changes the eTag only.
    assert graph.put_file(drive, "/invoices/acme 1.PDF", b"%PDF-2") == file_id
    replaced = graph.item(drive, file_id)
    assert replaced["cTag"] != item["cTag"] and replaced["eTag"] != item["eTag"]
    graph.resave(drive, file_id)
    resaved = graph.item(drive, file_id)
    assert resaved["cTag"] == replaced["cTag"] and resaved["eTag"] != replaced["eTag"]


async def test_delta_pages_then_returns_only_what_changed_since_the_token(
        graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    """The first round enumerates everything in pages (nextLink ... deltaLink); a round from the deltaLink returns
    each changed item once in its latest state, deleted items as a bare ``deleted`` facet, plus the ancestors of
    changed items; delta items have no cTag and no parentReference.path (OneDrive for Business)."""
    drive = graph.add_drive()
    ids = {name: graph.put_file(drive, f"/Invoices/{name}.pdf", name.encode()) for name in "abc"}
    graph.delta_page_size = 2  # root, Invoices, a, b, c: pages of 2, 2 and 1

    url, pages, seen = f"{graph.base_url}/drives/{drive}/root/delta", [], []
    while True:
        page = (await call(http, "GET", url)).body
        pages.append(page)
        seen += page["value"]
        if "@odata.nextLink" not in page:
            break
        url = page["@odata.nextLink"]
        assert url.startswith(f"{graph.base_url}/drives/{drive}/root/delta?$skiptoken=")
    assert [len(p["value"]) for p in pages] == [2, 2, 1]
    assert pages[-1]["@odata.deltaLink"].startswith(f"{graph.base_url}/drives/{drive}/root/delta?token=")
    assert [i["name"] for i in seen] == ["root", "Invoices", "a.pdf", "b.pdf", "c.pdf"]
    assert all("cTag" not in i and "path" not in i["parentReference"] for i in seen)
    assert seen[2]["file"]["hashes"]["quickXorHash"] == quick_xor_hash(b"a")

    graph.delta_page_size = 200
    graph.rename(drive, ids["a"], "a-renamed.pdf")
    graph.rename(drive, ids["a"], "a-final.pdf")  # changed twice: appears once, as it is now
    graph.resave(drive, ids["b"])
    graph.delete(drive, ids["c"])
    new_id = graph.put_file(drive, "/Invoices/d.pdf", b"d")
    changes = (await call(http, "GET", pages[-1]["@odata.deltaLink"])).body
    assert "@odata.deltaLink" in changes and "@odata.nextLink" not in changes
    by_id = {i["id"]: i for i in changes["value"]}
    assert len(by_id) == len(changes["value"])
    assert by_id[ids["a"]]["name"] == "a-final.pdf"
    assert by_id[ids["b"]]["eTag"] != seen[3]["eTag"]
    assert by_id[ids["c"]] == {"id": ids["c"], "parentReference": by_id[ids["c"]]["parentReference"],
                               "deleted": {"state": "deleted"}}
    assert by_id[new_id]["name"] == "d.pdf"
    assert {i.get("name") for i in changes["value"]} >= {"root", "Invoices"}  # the ancestors come along

    excluded = (await call(http, "GET", pages[-1]["@odata.deltaLink"], headers={"deltaExcludeParent": "true"})).body
    assert {i["id"] for i in excluded["value"]} == {ids["a"], ids["b"], ids["c"], new_id}

    unchanged = (await call(http, "GET", changes["@odata.deltaLink"])).body
    assert unchanged["value"] == [] and "@odata.deltaLink" in unchanged
    assert sum(1 for method, path in graph.requests if "/delta" in path and method == "GET") == 6


async def test_latest_token_and_top_and_the_sdk_paths(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    """``token=latest`` skips the enumeration; ``$top`` sets the page size; the SDK's ``items/root/delta()`` and
    ``delta(token='...')`` forms are the same function."""
    drive = graph.add_drive()
    graph.put_file(drive, "/Invoices/old.pdf", b"old")
    latest = (await call(http, "GET", f"{graph.base_url}/drives/{drive}/root/delta?token=latest")).body
    assert latest["value"] == []
    new_id = graph.put_file(drive, "/Invoices/new.pdf", b"new")
    token = latest["@odata.deltaLink"].rpartition("token=")[2]
    page = (await call(http, "GET", f"{graph.base_url}/drives/{drive}/items/root/delta(token='{token}')?$top=1")).body
    values = page["value"]
    while "@odata.nextLink" in page:  # $top is kept for the whole round
        assert len(page["value"]) == 1
        page = (await call(http, "GET", page["@odata.nextLink"])).body
        values += page["value"]
    assert [i["name"] for i in values] == ["root", "Invoices", "new.pdf"] and values[-1]["id"] == new_id
    everything = (await call(http, "GET", f"{graph.base_url}/drives/{drive}/items/root/delta()")).body
    assert len(everything["value"]) == 4


async def test_an_expired_or_unknown_token_is_410_resync_required(graph: FakeGraph,
                                                                  http: aiohttp.ClientSession) -> None:
    drive = graph.add_drive()
    delta_link = (await call(http, "GET", f"{graph.base_url}/drives/{drive}/root/delta")).body["@odata.deltaLink"]
    graph.expire_delta_tokens()
    gone = await call(http, "GET", delta_link)
    assert gone.status == 410 and gone.body["error"]["code"] == "resyncRequired"
    assert gone.headers["Location"] == f"{graph.base_url}/drives/{drive}/root/delta"
    inner = gone.body["error"]["innerError"]
    assert inner["request-id"] == gone.headers["request-id"] and "date" in inner
    assert gone.headers["Content-Type"].startswith("application/json")
    assert (await call(http, "GET", f"{graph.base_url}/drives/{drive}/root/delta?token=nonsense")).status == 410
    restarted = await call(http, "GET", gone.headers["Location"])
    assert restarted.status == 200 and restarted.body["value"][0]["name"] == "root"


async def test_content_is_a_302_to_a_preauthenticated_url_on_another_host(graph: FakeGraph,
                                                                          http: aiohttp.ClientSession) -> None:
    drive = graph.add_drive()
    file_id = graph.put_file(drive, "/Invoices/a.pdf", PDF)
    redirect = await call(http, "GET", f"{graph.base_url}/drives/{drive}/items/{file_id}/content", redirects=False)
    assert redirect.status == 302
    location = redirect.headers["Location"]
    assert location.startswith(graph.download_base_url + "/download/") and "tempauth=" in location
    async with aiohttp.ClientSession() as anonymous:  # no Authorization: the URL carries its own
        download = await call(anonymous, "GET", location)
    assert download.status == 200 and download.body == PDF and download.headers["Content-Type"] == "application/pdf"
    assert graph.authorized_downloads == 0

    assert "@microsoft.graph.downloadUrl" in (await call(http, "GET", f"{graph.base_url}/drives/{drive}/items/"
                                                                      f"{file_id}")).body
    graph.delete(drive, file_id)
    for url in (f"{graph.base_url}/drives/{drive}/items/{file_id}/content",
                f"{graph.base_url}/drives/{drive}/items/{file_id}", location):
        gone = await call(http, "GET", url)
        assert gone.status == 404 and gone.body["error"]["code"] == "itemNotFound"
    graph.expire_download_urls()  # they last about an hour in Graph
    assert (await call(http, "GET", location)).status == 401


async def test_items_can_be_addressed_by_path(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    drive = graph.add_drive()
    file_id = graph.put_file(drive, "/Invoices/2024/Q3 invoice.pdf", PDF)
    base = f"{graph.base_url}/drives/{drive}/root:"
    folder = (await call(http, "GET", f"{base}/Invoices/2024:")).body
    assert folder["id"] == graph.item_id(drive, "/Invoices/2024") and "folder" in folder
    assert (await call(http, "GET", f"{base}/Invoices/2024/Q3%20invoice.pdf")).body["id"] == file_id
    assert (await call(http, "GET", f"{base}/Invoices/2024/Q3%20invoice.pdf:/content")).body == PDF
    missing = await call(http, "GET", f"{base}/Invoices/nope:")
    assert (missing.status, missing.body["error"]["code"]) == (404, "itemNotFound")


async def test_shares_resolve_a_sharing_url_to_the_item_and_its_content(graph: FakeGraph,
                                                                        http: aiohttp.ClientSession) -> None:
    graph.add_drive()
    drive = graph.add_drive()
    file_id = graph.put_file(drive, "/Invoices/Q3 invoice.pdf", PDF)
    share = encode_sharing_url(graph.item(drive, file_id)["webUrl"])
    item = await call(http, "GET", f"{graph.base_url}/shares/{share}/driveItem")
    assert item.status == 200 and item.body["id"] == file_id
    assert (await call(http, "GET", f"{graph.base_url}/shares/{share}/driveItem/content")).body == PDF
    unknown = encode_sharing_url("https://contoso.sharepoint.com/sites/ap/Shared%20Documents/nope.pdf")
    assert (await call(http, "GET", f"{graph.base_url}/shares/{unknown}/driveItem")).status == 404


# ------------------------------------------------------------------------------------------------------------- mail

async def test_mail_delta_pages_and_reports_removed_messages(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    user = graph.add_mailbox("ap@contoso.com")
    ids = [graph.add_message("ap@contoso.com", subject=f"Invoice {n}") for n in range(3)]
    prefer = {"Prefer": "odata.maxpagesize=2"}
    first = await call(http, "GET", f"{graph.base_url}/users/ap@contoso.com/mailFolders/inbox/messages/delta",
                       headers=prefer)
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=2" and len(first.body["value"]) == 2
    last = (await call(http, "GET", first.body["@odata.nextLink"], headers=prefer)).body
    assert "$deltatoken=" in last["@odata.deltaLink"]
    assert {m["id"] for m in first.body["value"] + last["value"]} == set(ids)

    graph.delete_message(user, ids[0])
    graph.update_message(user, ids[1], is_read=True)
    new_id = graph.add_message(user, subject="Invoice 4")
    other = graph.add_message(user, graph.add_folder(user, "Processed"), subject="elsewhere")
    changes = (await call(http, "GET", last["@odata.deltaLink"] + "&$select=subject,isRead")).body["value"]
    assert [c["id"] for c in changes] == [ids[0], ids[1], new_id] and other not in str(changes)
    assert changes[0]["@removed"] == {"reason": "deleted"}
    assert changes[1]["isRead"] is True and "sender" not in changes[1]
    graph.expire_delta_tokens()
    gone = await call(http, "GET", last["@odata.deltaLink"])
    assert gone.status == 410 and gone.body["error"]["code"] == "SyncStateNotFound"


async def test_messages_and_attachments(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    """Attachments come base64 in ``contentBytes`` (or raw from ``$value``); ``hasAttachments`` ignores inline
    images, as Graph documents. Notification resources say ``Users/{id}/Messages/{id}``: that path works too."""
    user = graph.add_mailbox("ap@contoso.com")
    with_pdf = graph.add_message(user, subject="Invoice 7", sender=("Acme", "billing@acme.example"),
                                 attachments=[("inv 7.pdf", PDF, "application/pdf")],
                                 inline=[("logo.png", b"\x89PNG", "image/png")])
    inline_only = graph.add_message(user, inline=[("logo.png", b"\x89PNG", "image/png")])
    message = (await call(http, "GET", f"{graph.base_url}/Users/{user}/Messages/{with_pdf}")).body
    assert message["subject"] == "Invoice 7" and message["hasAttachments"] is True
    assert message["from"] == message["sender"] == {"emailAddress": {"name": "Acme", "address": "billing@acme.example"}}
    assert message["parentFolderId"] == graph.folder_id(user, "inbox") and message["webLink"].startswith(
        "https://outlook.office365.com/owa/?ItemID=")
    assert (await call(http, "GET", f"{graph.base_url}/users/{user}/messages/{inline_only}")).body[
        "hasAttachments"] is False
    in_folder = f"{graph.base_url}/users/ap@contoso.com/mailFolders('Inbox')/messages/{with_pdf}"
    assert (await call(http, "GET", in_folder)).body["id"] == with_pdf

    attachments = (await call(http, "GET", f"{graph.base_url}/users/{user}/messages/{with_pdf}/attachments")).body
    pdf, logo = attachments["value"]
    assert pdf["@odata.type"] == "#microsoft.graph.fileAttachment" and pdf["isInline"] is False
    assert base64.b64decode(pdf["contentBytes"]) == PDF and pdf["contentType"] == "application/pdf"
    assert logo["isInline"] is True and logo["contentId"]
    one = f"{graph.base_url}/users/{user}/messages/{with_pdf}/attachments/{pdf['id']}"
    assert (await call(http, "GET", one)).body["name"] == "inv 7.pdf"
    raw = await call(http, "GET", one + "/$value")
    assert raw.body == PDF and raw.headers["Content-Type"] == "application/pdf"

    graph.delete_message(user, with_pdf)
    gone = await call(http, "GET", f"{graph.base_url}/users/{user}/messages/{with_pdf}")
    assert gone.status == 404 and gone.body["error"]["code"] == "ErrorItemNotFound"


# ---------------------------------------------------------------------------------------------------- subscriptions

async def test_creating_a_subscription_validates_the_endpoint_first(graph: FakeGraph, http: aiohttp.ClientSession,
                                                                    hook: Webhook) -> None:
    drive = graph.add_drive()
    body = drive_subscription(graph, drive, hook, lifecycleNotificationUrl=hook.url("lifecycle"))
    created = await call(http, "POST", f"{graph.base_url}/subscriptions", json=body)
    assert created.status == 201
    sub = created.body
    assert sub["resource"] == f"drives/{drive}/root" and sub["changeType"] == "updated"
    assert sub["clientState"] == "s3cret" and sub["latestSupportedTlsVersion"] == "v1_2"
    assert sub["applicationId"] and sub["creatorId"] and sub["includeResourceData"] is False
    assert sub["encryptionCertificate"] is None and sub["notificationQueryOptions"] is None
    assert sub["expirationDateTime"].endswith("Z") and sub["id"] in graph.subscriptions
    # Both URLs got Graph's handshake: POST ?validationToken=..., text/plain, empty body; the token is prose
    # ("Validation: Testing client application reachability ..."), so the endpoint must URL-decode it.
    assert [(p, ct, b) for p, _, ct, b in hook.validations] == [("/hook", "text/plain", b""),
                                                                ("/lifecycle", "text/plain", b"")]
    assert all(" " in token and ":" in token for _, token, _, _ in hook.validations)


@pytest.mark.parametrize("mode", ["wrong", "json"])
async def test_an_endpoint_that_does_not_echo_the_token_as_plain_text_fails_creation(
        graph: FakeGraph, http: aiohttp.ClientSession, hook: Webhook, mode: str) -> None:
    hook.mode = mode
    drive = graph.add_drive()
    refused = await call(http, "POST", f"{graph.base_url}/subscriptions", json=drive_subscription(graph, drive, hook))
    assert refused.status == 400 and refused.body["error"]["code"] == "ValidationError"
    assert refused.body["error"]["message"] == ("Subscription validation request failed. Notification endpoint must "
                                                "respond with 200 OK to validation request.")
    assert graph.subscriptions == {}


async def test_an_endpoint_that_does_not_answer_in_time_fails_creation(graph: FakeGraph, http: aiohttp.ClientSession,
                                                                       hook: Webhook) -> None:
    hook.mode = "hang"
    graph.validation_timeout_s = 0.2  # Graph waits 10 s
    drive = graph.add_drive()
    refused = await call(http, "POST", f"{graph.base_url}/subscriptions", json=drive_subscription(graph, drive, hook))
    assert refused.status == 400 and refused.body["error"]["code"] == "ValidationError"
    assert graph.deliveries[-1].status == 0


async def test_graphs_subscription_rules(graph: FakeGraph, http: aiohttp.ClientSession, hook: Webhook) -> None:
    """Only a drive's root (not a folder), only ``updated`` for drives, lifetimes within Graph's maxima (42,300
    minutes for driveItem, 10,080 for Outlook messages) and in the future. Nothing is validated when refused."""
    drive = graph.add_drive()
    graph.put_file(drive, "/Invoices/a.pdf", b"a")
    folder = graph.item_id(drive, "/Invoices")
    user = graph.add_mailbox("ap@contoso.com")
    url = f"{graph.base_url}/subscriptions"
    cases = [
        ({"resource": f"drives/{drive}/items/{folder}"}, "ExtensionError"),
        ({"resource": f"drives/{drive}/root:/Invoices:"}, "ExtensionError"),
        ({"changeType": "created"}, "InvalidRequest"),
        ({"expirationDateTime": in_minutes(42300 + 5)}, "InvalidRequest"),
        ({"expirationDateTime": in_minutes(-5)}, "InvalidRequest"),
        ({"resource": f"users/{user}/mailFolders('inbox')/messages", "changeType": "created",
          "expirationDateTime": in_minutes(10080 + 5)}, "InvalidRequest"),
        ({"notificationUrl": "http://webhook.example.com/hook"}, "InvalidRequest"),
        ({"clientState": "x" * 129}, "InvalidRequest"),
    ]
    for change, code in cases:
        refused = await call(http, "POST", url, json={**drive_subscription(graph, drive, hook), **change})
        assert (refused.status, refused.body["error"]["code"]) == (400, code), change
    assert hook.validations == [] and graph.subscriptions == {}
    for resource in (f"users/{user}/mailFolders('inbox')/messages", "/users/ap@contoso.com/mailFolders/Inbox/messages",
                     f"users/{user}/messages", f"/drives/{drive}/root"):
        change_type = "updated" if "drives" in resource else "created,updated"
        ok = await call(http, "POST", url, json={**drive_subscription(graph, drive, hook), "resource": resource,
                                                 "changeType": change_type, "expirationDateTime": in_minutes(10000)})
        assert ok.status == 201, ok.body


async def test_renew_get_list_delete_and_vanish(graph: FakeGraph, http: aiohttp.ClientSession, hook: Webhook) -> None:
    drive = graph.add_drive()
    sub = (await call(http, "POST", f"{graph.base_url}/subscriptions",
                      json=drive_subscription(graph, drive, hook))).body
    one = f"{graph.base_url}/subscriptions/{sub['id']}"
    renewed = await call(http, "PATCH", one, json={"expirationDateTime": in_minutes(42000)})
    assert renewed.status == 200 and renewed.body["expirationDateTime"] > sub["expirationDateTime"]
    too_far = await call(http, "PATCH", one, json={"expirationDateTime": in_minutes(42300 + 5)})
    assert too_far.status == 400
    assert (await call(http, "GET", one)).body["expirationDateTime"] == renewed.body["expirationDateTime"]
    assert [s["id"] for s in (await call(http, "GET", f"{graph.base_url}/subscriptions")).body["value"]] == [sub["id"]]
    assert (await call(http, "DELETE", one)).status == 204
    for method in ("GET", "PATCH", "DELETE"):
        gone = await call(http, method, one, json={"expirationDateTime": in_minutes(60)})
        assert (gone.status, gone.body["error"]["code"]) == (404, "ResourceNotFound")

    # Graph drops subscriptions on its own (expiry, revoked consent): the next renewal is a 404.
    for vanish in (lambda s: graph.remove_subscription(s),
                   lambda s: graph.set_expiry(s, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))):
        sid = (await call(http, "POST", f"{graph.base_url}/subscriptions",
                          json=drive_subscription(graph, drive, hook))).body["id"]
        vanish(sid)
        assert (await call(http, "PATCH", f"{graph.base_url}/subscriptions/{sid}",
                           json={"expirationDateTime": in_minutes(60)})).status == 404


async def test_notifications_reach_the_webhook_in_graphs_shape(graph: FakeGraph, http: aiohttp.ClientSession,
                                                               hook: Webhook) -> None:
    drive = graph.add_drive()
    user = graph.add_mailbox("ap@contoso.com")
    drive_sub = (await call(http, "POST", f"{graph.base_url}/subscriptions",
                            json=drive_subscription(graph, drive, hook,
                                                    lifecycleNotificationUrl=hook.url("lifecycle")))).body
    mail_sub = (await call(http, "POST", f"{graph.base_url}/subscriptions", json={
        **drive_subscription(graph, drive, hook), "resource": "users/ap@contoso.com/mailFolders('inbox')/messages",
        "changeType": "created", "clientState": "mail-secret"})).body

    assert await graph.notify_drive(drive) == 202
    assert await graph.notify_drive(drive, client_state="forged", copies=2) == 202
    (_, first), (_, forged), (_, again) = hook.received
    assert first == {"value": [{
        "subscriptionId": drive_sub["id"], "clientState": "s3cret", "changeType": "updated",
        "resource": f"drives/{drive}/root", "subscriptionExpirationDateTime": drive_sub["expirationDateTime"],
        "tenantId": graph.tenant_id, "resourceData": None}]}
    assert forged == again and forged["value"][0]["clientState"] == "forged"

    message = graph.add_message(user, attachments=[("a.pdf", PDF, "application/pdf")])
    hook.status = 500
    assert await graph.notify_message(user, message) == 500
    note = hook.received[-1][1]["value"][0]
    assert note["resource"] == f"Users/{user}/Messages/{message}" and note["clientState"] == "mail-secret"
    assert note["subscriptionId"] == mail_sub["id"] and note["changeType"] == "created"
    assert note["resourceData"]["@odata.type"] == "#Microsoft.Graph.Message" and note["resourceData"]["id"] == message
    with pytest.raises(LookupError):  # the subscription is for "created" only
        await graph.notify_message(user, message, change_type="updated")

    hook.status = 202
    assert await graph.lifecycle(drive_sub["id"], "reauthorizationRequired") == 202
    assert await graph.lifecycle(drive_sub["id"], "subscriptionRemoved") == 202
    path, event = hook.received[-1]
    assert path == "/lifecycle" and event["value"][0]["lifecycleEvent"] == "subscriptionRemoved"
    assert event["value"][0]["subscriptionId"] == drive_sub["id"] and drive_sub["id"] not in graph.subscriptions
    assert await graph.send_raw(hook.url(), {"value": [{"unexpected": True}]}) == 202
    assert all(d.seconds < 3 for d in graph.deliveries)  # Graph expects an answer within 3 s


async def test_auto_notify_sends_one_notification_per_change(graph: FakeGraph, http: aiohttp.ClientSession,
                                                             hook: Webhook) -> None:
    drive = graph.add_drive()
    graph.put_file(drive, "/Invoices/first.pdf", b"1")
    await call(http, "POST", f"{graph.base_url}/subscriptions", json=drive_subscription(graph, drive, hook))
    user = graph.add_mailbox("ap@contoso.com")
    await call(http, "POST", f"{graph.base_url}/subscriptions", json={
        **drive_subscription(graph, drive, hook), "resource": f"users/{user}/messages", "changeType": "created"})
    graph.auto_notify = True
    for n in range(5):
        graph.put_file(drive, f"/Invoices/{n}.pdf", b"%PDF")
    graph.add_message(user)
    await graph.drain()
    resources = [body["value"][0]["resource"] for _, body in hook.received]
    assert resources.count(f"drives/{drive}/root") == 5 and sum(r.startswith("Users/") for r in resources) == 1


# ------------------------------------------------------------------------------------------------ failure modes

async def test_throttling_answers_429_or_503_with_retry_after(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    graph.throttle(2, retry_after=3)
    url = f"{graph.base_url}/subscriptions"
    for _ in range(2):
        throttled = await call(http, "GET", url)
        assert throttled.status == 429 and throttled.headers["Retry-After"] == "3"
        assert throttled.body["error"]["code"] == "TooManyRequests"
    assert (await call(http, "GET", url)).status == 200
    graph.throttle(1, status=503, retry_after=1)
    unavailable = await call(http, "GET", url)
    assert (unavailable.status, unavailable.body["error"]["code"]) == (503, "ServiceUnavailable")
    assert graph.throttled == 3


async def test_missing_or_expired_tokens_are_401(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    url = f"{graph.base_url}/subscriptions"
    async with aiohttp.ClientSession() as anonymous:
        missing = await call(anonymous, "GET", url)
    assert (missing.status, missing.body["error"]["code"]) == (401, "InvalidAuthenticationToken")
    graph.expire_credentials(True)
    expired = await call(http, "GET", url, headers={"client-request-id": "abc"})
    assert expired.status == 401 and "WWW-Authenticate" in expired.headers
    assert expired.body["error"]["code"] == "InvalidAuthenticationToken"
    assert expired.body["error"]["message"] == "Access token has expired or is not yet valid."
    assert expired.body["error"]["innerError"]["client-request-id"] == "abc"
    graph.expire_credentials(False)
    assert (await call(http, "GET", url)).status == 200


async def test_paths_the_fake_does_not_implement_say_so(graph: FakeGraph, http: aiohttp.ClientSession) -> None:
    unknown = await call(http, "GET", f"{graph.base_url}/sites/root/lists")
    assert unknown.status == 400 and "fake Graph does not implement" in unknown.body["error"]["message"]


# ----------------------------------------------------------------------------------------------------- msgraph-sdk

class StaticToken:
    """An async TokenCredential for the SDK: the fake accepts any bearer token."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("fake-graph-token", int(time.time()) + 3600)

    async def close(self) -> None:
        return None


@pytest.fixture
async def sdk(graph: FakeGraph) -> AsyncIterator[Any]:
    """The real GraphServiceClient pointed at the fake (kiota's Azure provider allows http for 127.0.0.1)."""
    from msgraph import GraphServiceClient

    client = GraphServiceClient(credentials=StaticToken())
    client.request_adapter.base_url = graph.base_url
    yield client
    # The SDK has no public close, and closing its httpx client does not close the connections: msgraph-core's
    # AsyncGraphTransport wraps httpx's transport without forwarding aclose().
    http_client = client.request_adapter._http_client
    await http_client.aclose()
    transport = http_client._transport
    while transport is not None:
        await transport.aclose()
        transport = getattr(transport, "transport", None)


async def test_sdk_delta_paging_content_and_shares(graph: FakeGraph, sdk: Any) -> None:
    drive = graph.add_drive()
    ids = [graph.put_file(drive, f"/Invoices/{n}.pdf", PDF + bytes([n])) for n in range(3)]
    graph.delta_page_size = 2
    client = sdk

    delta = client.drives.by_drive_id(drive).items.by_drive_item_id("root").delta
    page = await delta.get()
    items = list(page.value)
    while page.odata_next_link:
        page = await delta.with_url(page.odata_next_link).get()
        items += page.value
    assert [i.name for i in items] == ["root", "Invoices", "0.pdf", "1.pdf", "2.pdf"]
    assert items[2].file.hashes.quick_xor_hash == quick_xor_hash(PDF + b"\x00") and items[0].root is not None

    graph.delta_page_size = 200
    graph.delete(drive, ids[0])
    changes = await delta.with_url(page.odata_delta_link).get()
    deleted = [i for i in changes.value if i.deleted is not None]
    assert [(i.id, i.deleted.state) for i in deleted] == [(ids[0], "deleted")]

    content = await client.drives.by_drive_id(drive).items.by_drive_item_id(ids[1]).content.get()
    assert content == PDF + b"\x01"
    assert graph.authorized_downloads == 0  # the SDK's redirect handler drops Authorization for the other host

    share = encode_sharing_url(graph.item(drive, ids[2])["webUrl"])
    shared = client.shares.by_shared_drive_item_id(share).drive_item
    assert (await shared.get()).id == ids[2]
    assert await shared.content.get() == PDF + b"\x02"


async def test_sdk_subscriptions(graph: FakeGraph, hook: Webhook, sdk: Any) -> None:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.subscription import Subscription

    drive = graph.add_drive()
    client = sdk
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    sub = await client.subscriptions.post(Subscription(
        change_type="updated", notification_url=hook.url(), lifecycle_notification_url=hook.url("lifecycle"),
        resource=f"drives/{drive}/root", expiration_date_time=expires, client_state="s3cret"))
    assert sub.id in graph.subscriptions and sub.client_state == "s3cret"
    assert abs((sub.expiration_date_time - expires).total_seconds()) < 1 and len(hook.validations) == 2

    renewed = await client.subscriptions.by_subscription_id(sub.id).patch(
        Subscription(expiration_date_time=expires + dt.timedelta(days=1)))
    assert renewed.expiration_date_time > sub.expiration_date_time
    await client.subscriptions.by_subscription_id(sub.id).delete()
    with pytest.raises(ODataError) as gone:
        await client.subscriptions.by_subscription_id(sub.id).get()
    assert (gone.value.response_status_code, gone.value.error.code) == (404, "ResourceNotFound")

    hook.mode = "wrong"
    with pytest.raises(ODataError) as refused:
        await client.subscriptions.post(Subscription(change_type="updated", notification_url=hook.url(),
                                                     resource=f"drives/{drive}/root", expiration_date_time=expires))
    assert (refused.value.response_status_code, refused.value.error.code) == (400, "ValidationError")


async def test_sdk_mail_delta_and_attachments(graph: FakeGraph, sdk: Any) -> None:
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    user = graph.add_mailbox("ap@contoso.com")
    ids = [graph.add_message(user, subject=f"Invoice {n}", attachments=[(f"{n}.pdf", PDF, "application/pdf")])
           for n in range(3)]
    client = sdk
    config: RequestConfiguration[Any] = RequestConfiguration()
    config.headers.add("Prefer", "odata.maxpagesize=2")
    delta = client.users.by_user_id("ap@contoso.com").mail_folders.by_mail_folder_id("inbox").messages.delta
    page = await delta.get(request_configuration=config)
    messages = list(page.value)
    while page.odata_next_link:
        page = await delta.with_url(page.odata_next_link).get(request_configuration=config)
        messages += page.value
    assert sorted(m.id for m in messages) == sorted(ids) and page.odata_delta_link
    assert all(m.has_attachments and m.from_.email_address.address for m in messages)

    attachments = await client.users.by_user_id(user).messages.by_message_id(ids[0]).attachments.get()
    (pdf,) = attachments.value
    assert type(pdf).__name__ == "FileAttachment" and pdf.content_bytes == PDF and pdf.name == "0.pdf"


async def test_sdk_errors_throttling_and_retries(graph: FakeGraph, sdk: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK retries 429/503 itself (3 times, waiting Retry-After); it surfaces 401 and 410 as ODataError."""
    import kiota_http.middleware.retry_handler as retry_handler
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(retry_handler, "asyncio", types.SimpleNamespace(sleep=no_wait))
    drive = graph.add_drive()
    client = sdk
    client.request_adapter.base_url = graph.base_url + "/"  # the SDK's own default ends in "/": paths get "//"
    graph.throttle(2, retry_after=7)
    assert (await client.subscriptions.get()).value == []
    assert waits == [7, 7] and graph.throttled == 2
    graph.throttle(10, status=503, retry_after=1)
    with pytest.raises(ODataError) as unavailable:
        await client.subscriptions.get()
    assert unavailable.value.response_status_code == 503 and graph.throttled == 6  # 1 try + 3 retries
    graph.throttle(0)

    graph.expire_credentials()
    with pytest.raises(ODataError) as expired:
        await client.subscriptions.get()
    assert (expired.value.response_status_code, expired.value.error.code) == (401, "InvalidAuthenticationToken")
    graph.expire_credentials(False)

    delta = client.drives.by_drive_id(drive).items.by_drive_item_id("root").delta
    delta_link = (await delta.get()).odata_delta_link
    graph.expire_delta_tokens()
    with pytest.raises(ODataError) as resync:
        await delta.with_url(delta_link).get()
    assert (resync.value.response_status_code, resync.value.error.code) == (410, "resyncRequired")
