"""The Microsoft Graph calls invoice-capture makes, through msgraph-sdk with app-only credentials.

Only what the sources need: change subscriptions (create, renew, delete), drive delta (to find files under a
folder: Graph refuses folder-level subscriptions, so we watch the drive root), item download, mail-folder delta and
attachments, and files behind a sharing link (files shared in Teams channels and group chats).

Every SDK error becomes a ``GraphError`` with the HTTP status and Graph's error code, so callers decide by kind
(credentials, gone, resync, throttled) instead of parsing SDK exceptions. Throttling (429/503/504) is first retried
by the SDK's retry middleware, which honours ``Retry-After``; what is still throttled after that surfaces with the
server's ``retry_after`` for the caller's own backoff.

msgraph-sdk lives in the optional ``graph`` extra (it is ~200 MB and slow to import), so it is imported here only
when a client is built.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Longest subscription Graph grants per resource type (minutes), less a margin for clock skew.
MAX_MINUTES = {"drive": 42_300 - 60, "mailbox": 10_080 - 60}
#: Attachments and files larger than this are not taken (invoices are far smaller; validation refuses > 50 MiB).
MAX_FILE = 200 * 1024 * 1024


class GraphError(Exception):
    """A Graph call that failed, by status and Graph error code; ``message`` is safe to show an admin."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @property
    def credentials(self) -> bool:
        """The app's credentials are wrong or expired, or it lacks a permission: retrying will not help."""
        return self.status in (401, 403) or self.code in ("InvalidAuthenticationToken", "credentials")

    @property
    def gone(self) -> bool:
        return self.status == 404

    @property
    def resync(self) -> bool:
        """The delta link is no longer valid (410 Gone, resyncRequired): start a fresh delta."""
        return self.status == 410

    @property
    def throttled(self) -> bool:
        return self.status in (429, 503, 504)


@dataclass(frozen=True)
class DriveChange:
    """One item from a drive delta page: Graph gives the latest state, or ``deleted``."""

    id: str
    name: str
    parent_id: str
    deleted: bool
    is_file: bool
    content_key: str  # the content hash Graph reports (quickXorHash, sha256, sha1), else the cTag
    web_url: str = ""
    size: int = 0
    modified_at: dt.datetime | None = None


@dataclass(frozen=True)
class MailChange:
    id: str
    removed: bool
    subject: str = ""
    sender_name: str = ""
    sender_address: str = ""
    has_attachments: bool = False
    web_link: str = ""
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class Attachment:
    id: str
    name: str
    content_type: str
    data: bytes
    inline: bool


def share_id(url: str) -> str:
    """Graph's id for a sharing or web URL: ``u!`` + unpadded base64url of the URL (the /shares documented form)."""
    return "u!" + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def _content_key(item: Any) -> str:
    hashes = getattr(getattr(item, "file", None), "hashes", None)
    for name in ("quick_xor_hash", "sha256_hash", "sha1_hash", "crc32_hash"):
        value = getattr(hashes, name, None) if hashes is not None else None
        if value:
            return f"{name.split('_')[0]}:{value}"
    return f"ctag:{getattr(item, 'c_tag', '') or ''}"


class GraphClient:
    """App-only Graph access for one Entra tenant (one credential, one SDK client, reused)."""

    def __init__(self, credential: Any, base_url: str = "https://graph.microsoft.com/v1.0") -> None:
        from msgraph import GraphServiceClient

        self.credential = credential
        self.base_url = base_url.rstrip("/")
        self.sdk = GraphServiceClient(credentials=credential)
        self.sdk.request_adapter.base_url = self.base_url

    async def close(self) -> None:
        """Close the connections and the credential. Closing the SDK's httpx client is not enough: msgraph-core's
        transport wrapper does not pass ``aclose`` on, so each wrapped transport is closed in turn."""
        http = getattr(self.sdk.request_adapter, "_http_client", None)
        if http is not None:
            await http.aclose()
            transport = getattr(http, "_transport", None)
            while transport is not None:
                await transport.aclose()
                transport = getattr(transport, "transport", None)
        close = getattr(self.credential, "close", None)
        if close is not None:
            await close()

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one SDK call; its failure becomes a GraphError."""
        from kiota_abstractions.api_error import APIError

        try:
            return await call()
        except APIError as exc:
            status = exc.response_status_code or 0
            err = getattr(exc, "error", None)
            code = str(getattr(err, "code", "") or "")
            message = str(getattr(err, "message", "") or exc.message or "")
            headers = {k.lower(): v for k, v in (exc.response_headers or {}).items()}
            retry_after = _seconds(headers.get("retry-after"))
            raise GraphError(status, code or f"http_{status}", f"{what}: {message or 'failed'}", retry_after) from exc
        except GraphError:
            raise
        except Exception as exc:  # network errors, credential errors (azure-identity), timeouts
            from azure.core.exceptions import ClientAuthenticationError

            if isinstance(exc, ClientAuthenticationError):
                raise GraphError(401, "credentials", f"{what}: the app could not sign in ({exc})") from exc
            raise GraphError(0, type(exc).__name__, f"{what}: {exc}") from exc

    # ------------------------------------------------------------------------------------------ subscriptions

    async def create_subscription(self, *, resource: str, change_type: str, notification_url: str, lifecycle_url: str,
                                  expires: dt.datetime, client_state: str) -> tuple[str, dt.datetime]:
        from msgraph.generated.models.subscription import Subscription

        body = Subscription(change_type=change_type, notification_url=notification_url,
                            lifecycle_notification_url=lifecycle_url, resource=resource,
                            expiration_date_time=expires, client_state=client_state)
        made = await self._call("create subscription", lambda: self.sdk.subscriptions.post(body))
        if made is None or not made.id:
            raise GraphError(0, "empty", "create subscription: Graph answered without a subscription")
        return made.id, made.expiration_date_time or expires

    async def renew_subscription(self, subscription_id: str, expires: dt.datetime) -> dt.datetime:
        from msgraph.generated.models.subscription import Subscription

        made = await self._call("renew subscription", lambda: self.sdk.subscriptions.by_subscription_id(
            subscription_id).patch(Subscription(expiration_date_time=expires)))
        return (made.expiration_date_time if made else None) or expires

    async def delete_subscription(self, subscription_id: str) -> None:
        await self._call("delete subscription",
                         lambda: self.sdk.subscriptions.by_subscription_id(subscription_id).delete())

    # ------------------------------------------------------------------------------------------ drives

    async def folder_id(self, drive_id: str, path: str) -> str:
        """The item id of a folder given by path under the drive root ("" or "/" is the root itself)."""
        clean = "/".join(p for p in path.split("/") if p)
        suffix = f"/root:/{quote(clean)}:" if clean else "/root"
        url = f"{self.base_url}/drives/{quote(drive_id, safe='')}{suffix}"
        builder = self.sdk.drives.by_drive_id(drive_id).items.by_drive_item_id("root").with_url(url)
        item = await self._call(f"find folder {path or '/'}", builder.get)
        if item is None or not item.id:
            raise GraphError(404, "itemNotFound", f"find folder {path}: not found")
        if item.folder is None and item.root is None:
            raise GraphError(400, "notAFolder", f"{path} is a file, not a folder")
        return item.id

    async def drive_delta(self, drive_id: str, link: str) -> tuple[list[DriveChange], str]:
        """All changes since ``link`` (every page), and the delta link to start from next time. An empty ``link``
        enumerates the whole drive; ``latest`` gives no items and a link to now."""
        root = self.sdk.drives.by_drive_id(drive_id).items.by_drive_item_id("root").delta
        if link == "latest":
            link = f"{self.base_url}/drives/{quote(drive_id, safe='')}/root/delta?token=latest"

        def change(item: Any) -> DriveChange:
            parent = item.parent_reference
            return DriveChange(
                id=item.id or "", name=item.name or "", parent_id=(parent.id if parent else "") or "",
                deleted=item.deleted is not None, is_file=item.file is not None, content_key=_content_key(item),
                web_url=item.web_url or "", size=item.size or 0, modified_at=item.last_modified_date_time)

        return await self._delta_pages("drive delta", root, link, change)

    async def download(self, drive_id: str, item_id: str) -> bytes:
        content = self.sdk.drives.by_drive_id(drive_id).items.by_drive_item_id(item_id).content
        data = await self._call("download", content.get)
        return _checked_size(data or b"")

    async def shared_file(self, url: str) -> tuple[str, bytes]:
        """The name and bytes of the file a Teams message links to (its SharePoint/OneDrive web URL)."""
        shared = self.sdk.shares.by_shared_drive_item_id(share_id(url)).drive_item
        item = await self._call("open shared file", shared.get)
        data = await self._call("download shared file", shared.content.get)
        return (item.name if item and item.name else url.rsplit("/", 1)[-1]), _checked_size(data or b"")

    # ------------------------------------------------------------------------------------------ mail

    async def mail_delta(self, mailbox: str, folder: str, link: str) -> tuple[list[MailChange], str]:
        """New and changed messages in a mail folder since ``link`` (every page) and the next delta link."""
        delta = self.sdk.users.by_user_id(mailbox).mail_folders.by_mail_folder_id(folder or "inbox").messages.delta

        def change(msg: Any) -> MailChange:
            sender = msg.from_ or msg.sender
            addr = sender.email_address if sender else None
            return MailChange(
                id=msg.id or "", removed=bool((msg.additional_data or {}).get("@removed")), subject=msg.subject or "",
                sender_name=(addr.name if addr else "") or "", sender_address=(addr.address if addr else "") or "",
                has_attachments=bool(msg.has_attachments), web_link=msg.web_link or "",
                received_at=msg.received_date_time)

        return await self._delta_pages("mail delta", delta, link, change)

    async def _delta_pages(self, what: str, root: Any, link: str, parse: Callable[[Any], T]) -> tuple[list[T], str]:
        """Every page of a delta query from ``link`` (or the start), following @odata.nextLink, and the
        @odata.deltaLink to start from next time."""
        url = link or None
        out: list[T] = []
        while True:
            page = await self._call(what, (root.with_url(url) if url else root).get)
            out.extend(parse(x) for x in (page.value if page else None) or [])
            if page and page.odata_next_link:
                url = page.odata_next_link
                continue
            if not page or not page.odata_delta_link:
                raise GraphError(0, "noDeltaLink", f"{what}: Graph gave neither a next nor a delta link")
            return out, page.odata_delta_link

    async def attachments(self, mailbox: str, message_id: str) -> list[Attachment]:
        """The message's file attachments (item and reference attachments are not files and are skipped)."""
        from msgraph.generated.models.file_attachment import FileAttachment

        got = await self._call("read attachments", self.sdk.users.by_user_id(mailbox).messages.by_message_id(
            message_id).attachments.get)
        out: list[Attachment] = []
        for att in (got.value if got else None) or []:
            if not isinstance(att, FileAttachment):
                continue
            out.append(Attachment(id=att.id or "", name=att.name or "attachment", content_type=att.content_type or "",
                                  data=_checked_size(att.content_bytes or b""), inline=bool(att.is_inline)))
        return out


def _checked_size(data: bytes) -> bytes:
    if len(data) > MAX_FILE:
        raise GraphError(413, "tooLarge", f"the file is larger than {MAX_FILE // 2**20} MB")
    return data


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - dt.datetime.now(dt.UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def app_credential(tenant_id: str, client_id: str, client_secret: str) -> Any:
    """azure-identity's async client-secret credential (app-only, the ``.default`` Graph scope)."""
    from azure.identity.aio import ClientSecretCredential

    return ClientSecretCredential(tenant_id=tenant_id, client_id=client_id, client_secret=client_secret)


def _is_entra_id(tenant_id: str) -> bool:
    import uuid

    try:
        uuid.UUID(tenant_id)
    except ValueError:
        return False
    return True


def clients_for(client_id: str, client_secret: str, *, default_tenant: str = "", base_url: str = "") -> Any:
    """A factory of one GraphClient per tenant: our tenant ids are Entra tenant ids (from Teams), so a multi-tenant
    app signs in to each customer's directory; a tenant that is not an Entra id (``local``) uses ``default_tenant``."""

    def make(tenant_id: str) -> GraphClient:
        entra = tenant_id if _is_entra_id(tenant_id) else default_tenant
        if not entra:
            raise GraphError(401, "credentials", f"tenant {tenant_id!r} is not an Entra tenant id and GRAPH_TENANT_ID "
                             "is not set")
        return GraphClient(app_credential(entra, client_id, client_secret), base_url or
                           "https://graph.microsoft.com/v1.0")

    return make
