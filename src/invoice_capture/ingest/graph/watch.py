"""Watch the configured Graph sources: keep their subscriptions alive and turn what changed into invoices.

How a file gets in:
  Graph posts a change notification (webhook.py answers 202 at once) -> ``queue_sync(source)`` -> one sync per
  source at a time (a notification during a sync asks for one more pass, never a parallel one) -> delta from the
  stored link -> each new file under the folder, or each new message's attachments, is *claimed* under its
  processing key (driveItem id + content hash; message id + attachment id) -> downloaded -> ``ReviewService.receive``
  (source ``sharepoint`` or ``mailbox``) -> the card is posted to the source's conversation by the bot's listener.

Why delta and claims: drive notifications carry no item (Graph only subscribes to a drive's root), the same change
can be notified twice or out of order, and a rename or re-save shows the item in delta again. The delta link says
what is new; the claim (a unique row) says what was already taken, so each file becomes one invoice whatever
Graph sends. The delta link is saved only after its changes are taken, so a crash or throttling mid-way replays
them (and the claims drop what was done).

Subscriptions are created on start and when a source is added, renewed well before they expire (Graph's maximum
differs per resource: ~29 days for drives, ~7 days for mail), recreated when Graph says they are gone (404,
``subscriptionRemoved``), and every renewal round also syncs each source, a safety net for notifications Graph
dropped. A credentials failure (401) is told once to the tenant's admins, not on every retry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from invoice_capture.extraction.model import ExtractionError
from invoice_capture.ingest.graph.client import MAX_MINUTES, DriveChange, GraphClient, GraphError, MailChange
from invoice_capture.review.service import ReviewService
from invoice_capture.review.workflow import Actor
from invoice_capture.store import sources as store
from invoice_capture.store.db import Database
from invoice_capture.store.models import GraphSource, utcnow

log = logging.getLogger(__name__)

#: Attachment and file types taken from sources; other attachments (calendar invites, signatures in .vcf, Word
#: files) are not invoices we can read and are skipped, not turned into failed invoices.
TAKEN_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp", ".xml"})
#: Renew when less than this share of the maximum lifetime is left.
RENEW_SHARE = 1 / 3
#: Longest wait between retries of a throttled or failing sync (seconds).
MAX_BACKOFF = 300.0

Alert = Callable[[str, str], Awaitable[None]]


@dataclass(frozen=True)
class Notification:
    """What a validated notification asks for: a sync of a source, or a lifecycle event."""

    source_id: int
    lifecycle: str = ""


def resource_of(src: GraphSource) -> tuple[str, str]:
    """(resource, changeType) to subscribe to: the drive root (Graph refuses folders) or the mail folder."""
    if src.kind == "drive":
        return f"drives/{src.drive_id}/root", "updated"
    return f"users/{src.mailbox}/mailFolders('{src.mail_folder or 'inbox'}')/messages", "created"


def label_of(src: GraphSource) -> str:
    return f"SharePoint {src.folder_path}" if src.kind == "drive" else f"Mailbox {src.mailbox}"


def source_actor(src: GraphSource) -> Actor:
    """Who 'uploaded' a file taken from a source, in the audit trail and on the card."""
    return Actor(f"graph:source:{src.id}", label_of(src), "clerk")


class GraphWatch:
    def __init__(self, db: Database, service: ReviewService | None, client_for: Callable[[str], GraphClient], *,
                 public_url: str, alert: Alert | None = None, renew_interval_s: float = 900.0) -> None:
        self.db = db
        self.service = service
        self._client_for = client_for
        self._clients: dict[str, GraphClient] = {}
        self.public_url = public_url.rstrip("/")
        self.alert = alert
        self.renew_interval_s = renew_interval_s
        self._subs: dict[str, tuple[int, str]] = {}  # subscription id -> (source id, client state)
        self._running: set[int] = set()
        self._again: set[int] = set()
        self._failures: dict[int, int] = {}
        self._alerted: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.Task[None] | None = None

    @property
    def notification_url(self) -> str:
        return f"{self.public_url}/api/graph/notifications"

    @property
    def lifecycle_url(self) -> str:
        return f"{self.public_url}/api/graph/lifecycle"

    def client(self, tenant_id: str) -> GraphClient:
        if tenant_id not in self._clients:
            self._clients[tenant_id] = self._client_for(tenant_id)
        return self._clients[tenant_id]

    # ------------------------------------------------------------------------------------------ life

    async def start(self) -> None:
        """Load the subscriptions, drop claims a crashed run left half-done, then (in the background) make sure
        every source is subscribed and caught up, and keep renewing."""
        async with self.db.write() as s:
            await store.drop_stale_claims(s)
            for src in await store.list_sources(s):
                if src.subscription_id:
                    self._subs[src.subscription_id] = (src.id, src.client_state)
        self._loop = asyncio.create_task(self._keep())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self._clients.values():
            await client.close()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until no sync or subscription work is running (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _keep(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # a failed round is logged and retried; the loop must not die
                log.exception("graph subscription round failed")
            await asyncio.sleep(self.renew_interval_s)

    async def round(self, now: dt.datetime | None = None) -> int:
        """One keeper round: subscribe what is not, renew what expires soon, and sync every source (catches what
        a dropped notification would have told). Returns how many subscriptions were created or renewed."""
        async with self.db.write() as s:
            await store.drop_stale_claims(s)
            ids = [src.id for src in await store.list_sources(s)]
        changed = 0
        for source_id in ids:
            if await self.ensure(source_id, now=now):
                changed += 1
            self.queue_sync(source_id)
        return changed

    async def sources(self, tenant_id: str) -> list[dict[str, Any]]:
        """The tenant's sources as the admin chat command shows them."""
        async with self.db.read() as s:
            return await store.listed(s, tenant_id)

    async def fetch_shared(self, tenant_id: str, url: str) -> tuple[str, bytes]:
        """A file shared in a Teams channel or group chat, fetched by its SharePoint/OneDrive link (Files.Read.All)."""
        return await self.client(tenant_id).shared_file(url)

    async def refetch(self, tenant_id: str, ref: dict[str, Any]) -> bytes:
        """The file of an invoice from a source, downloaded again (Retry of one that was gone at first)."""
        client = self.client(tenant_id)
        try:
            if ref.get("channel") == "sharepoint":
                return await client.download(str(ref.get("drive_id")), str(ref.get("item_id")))
            if ref.get("channel") == "mailbox":
                for att in await client.attachments(str(ref.get("mailbox")), str(ref.get("message_id"))):
                    if att.id == ref.get("attachment_id"):
                        return att.data
                raise GraphError(404, "itemNotFound", "the attachment is gone")
        except GraphError as exc:
            if exc.gone:
                raise ExtractionError("source_removed", "The file is still gone from its source (deleted or "
                                      "moved). Restore it, then press Retry.") from exc
            raise ExtractionError("source_unreachable", f"Microsoft Graph did not give the file: {exc.message}. "
                                  "Press Retry in a minute.") from exc
        raise ExtractionError("original_missing", "The original file is missing from storage.")

    # ------------------------------------------------------------------------------------------ notifications

    async def check(self, note: dict[str, Any]) -> Notification | None:
        """The source a notification is for, if its clientState is the one we gave that subscription."""
        sub_id = str(note.get("subscriptionId") or "")
        known = self._subs.get(sub_id)
        if known is None and sub_id:
            async with self.db.read() as s:
                src = await store.by_subscription(s, sub_id)
            if src is not None:
                known = self._subs[sub_id] = (src.id, src.client_state)
        if known is None:
            log.warning("graph notification for unknown subscription %r ignored", sub_id[:64])
            return None
        if not hmac.compare_digest(str(note.get("clientState") or "").encode(), known[1].encode()):
            log.warning("graph notification with a wrong clientState for subscription %s ignored", sub_id)
            return None
        return Notification(known[0], str(note.get("lifecycleEvent") or ""))

    def notified(self, n: Notification) -> None:
        """Act on a validated notification in the background (the webhook has already answered)."""
        if not n.lifecycle:
            self.queue_sync(n.source_id)
        elif n.lifecycle == "missed":
            log.info("graph says notifications were missed for source %s: resync by delta", n.source_id)
            self.queue_sync(n.source_id)
        elif n.lifecycle == "subscriptionRemoved":
            self._spawn(self._resubscribe(n.source_id))
        elif n.lifecycle == "reauthorizationRequired":
            self._spawn(self.ensure(n.source_id, renew=True))
        else:
            log.info("graph lifecycle event %r for source %s ignored", n.lifecycle, n.source_id)

    async def _resubscribe(self, source_id: int) -> None:
        await self.ensure(source_id, recreate=True)
        self.queue_sync(source_id)  # catch up on what happened while there was no subscription

    # ------------------------------------------------------------------------------------------ subscriptions

    async def ensure(self, source_id: int, *, now: dt.datetime | None = None, renew: bool = False,
                     recreate: bool = False) -> bool:
        """Make the source's subscription exist and last; True when one was created or renewed."""
        now = now or utcnow()  # when to judge "expires soon" by; the new expiry always counts from the real now
        async with self.db.read() as s:
            src = await store.get_source(s, source_id)
        if src is None:
            return False
        max_minutes = MAX_MINUTES[src.kind]
        expires = utcnow() + dt.timedelta(minutes=max_minutes)
        client = self.client(src.tenant_id)
        try:
            if src.kind == "drive":
                await self._folder(src, client)
            if not src.delta_link and not src.include_existing:  # only what arrives from now on
                if src.kind == "drive":
                    _, link = await client.drive_delta(src.drive_id, "latest")
                else:  # mail delta has no "latest": enumerate once and keep only the link
                    _, link = await client.mail_delta(src.mailbox, src.mail_folder, "")
                await self._update(source_id, delta_link=link)
            if not self.public_url:
                return False  # nowhere for Graph to post to: the keeper's rounds poll the source instead
            left = (src.subscription_expires_at - now) if src.subscription_expires_at else None
            if src.subscription_id and not recreate:
                if not renew and left is not None and left > dt.timedelta(minutes=max_minutes * RENEW_SHARE):
                    return False
                try:
                    until = await client.renew_subscription(src.subscription_id, expires)
                    await self._update(source_id, subscription_expires_at=until, status="ok", last_error="")
                    log.info("renewed the graph subscription of source %s until %s", source_id, until.isoformat())
                    return True
                except GraphError as exc:
                    if not exc.gone:
                        raise
                    log.warning("the graph subscription of source %s vanished: creating a new one", source_id)
            resource, change = resource_of(src)
            sub_id, until = await client.create_subscription(
                resource=resource, change_type=change, notification_url=self.notification_url,
                lifecycle_url=self.lifecycle_url, expires=expires, client_state=src.client_state)
            self._subs.pop(src.subscription_id, None)
            self._subs[sub_id] = (source_id, src.client_state)
            await self._update(source_id, subscription_id=sub_id, subscription_expires_at=until, status="ok",
                               last_error="")
            log.info("subscribed to %s for source %s until %s", resource, source_id, until.isoformat())
            self._fine(src.tenant_id)
            return True
        except GraphError as exc:
            await self._failed(src, exc)
            return False

    # ------------------------------------------------------------------------------------------ sync

    def queue_sync(self, source_id: int) -> None:
        """Sync the source soon; a sync already running for it makes one more pass instead."""
        if source_id in self._running:
            self._again.add(source_id)
            return
        self._running.add(source_id)
        self._spawn(self._sync_loop(source_id))

    async def _sync_loop(self, source_id: int) -> None:
        try:
            while True:
                self._again.discard(source_id)
                wait = await self.sync(source_id)
                if wait is not None:  # throttled or failing: back off, then try again
                    await asyncio.sleep(wait)
                    self._again.add(source_id)
                if source_id not in self._again:
                    return
        finally:
            self._running.discard(source_id)

    async def sync(self, source_id: int) -> float | None:
        """One pass over what changed in the source; the seconds to wait before retrying, or None when done."""
        async with self.db.read() as s:
            src = await store.get_source(s, source_id)
        if src is None:
            return None
        client = self.client(src.tenant_id)
        try:
            complete = await (self._sync_drive(src, client) if src.kind == "drive" else self._sync_mail(src, client))
        except GraphError as exc:
            await self._failed(src, exc)
            if exc.credentials or exc.status in (400, 403, 404):
                return None  # retrying will not help; the next renewal round tries again
            tries = self._failures[source_id] = self._failures.get(source_id, 0) + 1
            return min(MAX_BACKOFF, exc.retry_after if exc.retry_after is not None else 2.0 ** tries)
        self._failures.pop(source_id, None)
        self._fine(src.tenant_id)
        return None if complete else min(MAX_BACKOFF, 30.0)

    async def _delta(self, src: GraphSource, fetch: Callable[[str], Awaitable[tuple[list[Any], str]]],
                     first: str) -> tuple[list[Any], str, dt.datetime | None]:
        """Changes since the stored link; after a 410 (the link expired), everything again, but only what arrived
        after the source was added (unless it takes existing files) - the claims drop what was already taken."""
        # timestamps from Graph may be truncated to the second: a little slack keeps a file dropped right after
        # the source was added
        since = None if src.include_existing else src.created_at - dt.timedelta(minutes=1)
        try:
            changes, link = await fetch(src.delta_link or first)
            return changes, link, since if not src.delta_link else None
        except GraphError as exc:
            if not exc.resync:
                raise
            log.warning("delta link of source %s expired: full resync", src.id)
            changes, link = await fetch("")
            return changes, link, since

    async def _folder(self, src: GraphSource, client: GraphClient) -> None:
        """The configured folder's item id (delta names parents by id, not path), looked up once and kept."""
        if not src.folder_item_id:
            src.folder_item_id = await client.folder_id(src.drive_id, src.folder_path)
            await self._update(src.id, folder_item_id=src.folder_item_id)

    async def _sync_drive(self, src: GraphSource, client: GraphClient) -> bool:
        await self._folder(src, client)
        first = "" if src.include_existing else "latest"
        changes, link, since = await self._delta(src, lambda lk: client.drive_delta(src.drive_id, lk), first)
        complete = True
        for ch in changes:
            if ch.deleted or not ch.is_file or ch.parent_id != src.folder_item_id:
                continue
            if PurePosixPath(ch.name.lower()).suffix not in TAKEN_SUFFIXES:
                continue
            if since is not None and ch.modified_at is not None and ch.modified_at < since:
                continue
            done = await self._take_drive_file(src, client, ch)
            complete = complete and done
        return await self._synced(src, link, complete)

    async def _sync_mail(self, src: GraphSource, client: GraphClient) -> bool:
        changes, link, since = await self._delta(
            src, lambda lk: client.mail_delta(src.mailbox, src.mail_folder, lk), "")
        complete = True
        for msg in changes:
            if msg.removed or not msg.has_attachments:
                continue
            if since is not None and msg.received_at is not None and msg.received_at < since:
                continue
            done = await self._take_message(src, client, msg)
            complete = complete and done
        return await self._synced(src, link, complete)

    async def _synced(self, src: GraphSource, link: str, complete: bool) -> bool:
        """Keep the new delta link only when every change was taken (else the next pass replays them)."""
        if complete:
            await self._update(src.id, delta_link=link, last_sync_at=utcnow(), status="ok", last_error="")
        return complete

    async def _take_drive_file(self, src: GraphSource, client: GraphClient, ch: DriveChange) -> bool:
        """Take one file (once); False when another run holds its claim, so the delta must be replayed later."""
        claimed = await self._claim(src, ch.id, ch.content_key)
        if claimed is None or claimed == 0:
            return claimed is None
        path = f"{src.folder_path.rstrip('/')}/{ch.name}"
        ref = {"channel": "sharepoint", "source_id": src.id, "conversation_id": src.target_conversation_id,
               "drive_id": src.drive_id, "item_id": ch.id, "web_url": ch.web_url, "path": path}
        try:
            data = await client.download(src.drive_id, ch.id)
        except GraphError as exc:
            if not exc.gone:
                await self._release(claimed)
                raise
            received = await self.service.receive_missing(
                src.tenant_id, source_actor(src), ch.name, ExtractionError(
                    "source_removed", f"'{path}' was deleted from SharePoint before it could be read. Restore it "
                    "from the site's recycle bin, then press Retry."),
                source="sharepoint", source_ref=ref)
            await self._settle(claimed, received.invoice["id"])
            return True
        received = await self.service.receive(src.tenant_id, source_actor(src), ch.name, data, source="sharepoint",
                                              source_ref=ref)
        await self._settle(claimed, received.invoice["id"])
        return True

    async def _take_message(self, src: GraphSource, client: GraphClient, msg: MailChange) -> bool:
        try:
            attachments = await client.attachments(src.mailbox, msg.id)
        except GraphError as exc:
            if exc.gone:  # the message was deleted or moved before we read it; delta will show it where it went
                return True
            raise
        complete = True
        for att in attachments:
            if PurePosixPath(att.name.lower()).suffix not in TAKEN_SUFFIXES:
                continue
            if att.inline and not att.name.lower().endswith((".pdf", ".xml")):
                continue  # logos and signature images
            claimed = await self._claim(src, f"{msg.id}/{att.id}", "attachment")
            if claimed is None or claimed == 0:
                complete = complete and claimed is None
                continue
            ref = {"channel": "mailbox", "source_id": src.id, "conversation_id": src.target_conversation_id,
                   "mailbox": src.mailbox, "message_id": msg.id, "attachment_id": att.id, "sender": msg.sender_name,
                   "sender_address": msg.sender_address, "subject": msg.subject, "web_link": msg.web_link}
            received = await self.service.receive(src.tenant_id, source_actor(src), att.name, att.data,
                                                  source="mailbox", source_ref=ref)
            await self._settle(claimed, received.invoice["id"])
        return complete

    # ------------------------------------------------------------------------------------------ store helpers

    async def _claim(self, src: GraphSource, item_key: str, content_key: str) -> int | None:
        """The claim's id when this run takes the file; None when it was taken before; 0 when another run holds
        it right now (so this delta must be replayed later)."""
        async with self.db.write() as s:
            row = await store.get_source(s, src.id)
            if row is None:
                return None
            got = await store.claim(s, row, item_key, content_key)
            if got == store.TAKEN:
                return None
            return 0 if got == store.BUSY else got.id  # type: ignore[union-attr]

    async def _settle(self, claim_id: int, invoice_id: str) -> None:
        async with self.db.write() as s:
            await store.settle(s, claim_id, invoice_id)

    async def _release(self, claim_id: int) -> None:
        async with self.db.write() as s:
            await store.release(s, claim_id)

    async def _update(self, source_id: int, **values: Any) -> None:
        async with self.db.write() as s:
            src = await store.get_source(s, source_id)
            if src is not None:
                for key, value in values.items():
                    setattr(src, key, value)

    async def _failed(self, src: GraphSource, exc: GraphError) -> None:
        log.warning("graph source %s (%s): %s", src.id, label_of(src), exc)
        await self._update(src.id, status="error", last_error=exc.message[:2000])
        if exc.credentials and src.tenant_id not in self._alerted:
            self._alerted.add(src.tenant_id)
            if self.alert is not None:
                await self.alert(src.tenant_id, (
                    f"I cannot reach Microsoft Graph for {label_of(src)}: {exc.message}. The app's credentials "
                    "may have expired or lack a permission. Renew the client secret (GRAPH_CLIENT_SECRET) or grant "
                    "the permissions listed in the README; new files wait meanwhile and are read once it works. "
                    "I will not repeat this message until it has worked again."))

    def _fine(self, tenant_id: str) -> None:
        self._alerted.discard(tenant_id)
