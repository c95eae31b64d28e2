"""A local fake of the parts of Microsoft Graph v1.0 the Graph sources use, for msgraph-sdk (or plain HTTP) to talk to.

Graph cannot be reached from the test machines, so this fake is the proof that our code speaks Graph. It follows
Graph's *documented* shapes and rules (learn.microsoft.com/graph, v1.0), including the inconvenient ones, because a
fake that is kinder than Graph hides bugs:

- **Drives** (SharePoint document libraries): ``GET /drives/{d}/root/delta`` (also ``/items/root/delta``, and the
  SDK's ``delta()`` / ``delta(token='...')`` forms). The first call enumerates everything, later calls with the
  deltaLink's ``token`` return what changed since, each item once in its latest state, deleted items as a ``deleted``
  facet with only ``id`` and ``parentReference``. As documented for OneDrive for Business, delta items carry no
  ``cTag`` and their ``parentReference`` has no ``path`` (track items by id), and the ancestors of a changed item are
  returned too unless the request has a ``deltaExcludeParent`` header. A token the service can no longer serve is
  ``410 Gone`` with ``resyncRequired`` and a ``Location`` to restart from scratch.
  ``GET /drives/{d}/items/{i}`` (or by path: ``/drives/{d}/root:/Invoices/a.pdf:``) and ``.../content``: a ``302``
  to a pre-authenticated download URL, served on a second port as Graph serves it from another host, so the SDK
  drops the Authorization header on the redirect exactly as it does in production.
- **Shares**: ``GET /shares/u!{base64url(webUrl)}/driveItem[/content]`` resolves a sharing URL (a file's webUrl).
- **Mail**: ``GET /users/{u}/mailFolders/{f}/messages/delta`` (pages by ``Prefer: odata.maxpagesize``; removed
  messages as ``@removed``), messages and their ``fileAttachment`` attachments (``contentBytes`` base64, ``$value``).
  ``hasAttachments`` ignores inline attachments, as Graph documents.
- **Subscriptions**: create (with Graph's validation handshake against the notificationUrl and the
  lifecycleNotificationUrl), renew, get, list, delete, reauthorize; Graph's limits (only a drive's root, drive
  changeType ``updated``, maximum lifetimes). Change and lifecycle notifications are POSTed to our webhook by the
  test (``notify_drive``, ``notify_message``, ``lifecycle``) or, with ``auto_notify``, on every change.
- **Failure modes**: 401 for a missing or expired token, 429/503 throttling with ``Retry-After``; every error in
  Graph's JSON shape (``error.code``, ``error.message``, ``error.innerError`` with ``request-id``).

Error *codes* and status follow Graph; error *messages* approximate Graph's wording, so match on codes. Paths and
well-known names are matched case-insensitively (notification resources say ``Users/{id}/Messages/{id}``).
Requests to a path the fake does not implement get ``400 BadRequest`` saying so, so no test mistakes a gap in the
fake for Graph's answer. Every request is logged in ``requests``.

Deliberately not modelled: ``/me`` (app-only tokens cannot use it), timestamp delta tokens, item and reference
attachments, rich notifications (``includeResourceData``), ``$batch``. Graph requires HTTPS notification URLs; the
fake also accepts ``http`` on loopback, where tests serve their webhooks.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import secrets
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp import web

UTC = dt.UTC

#: Maximum subscription lifetimes (minutes) from Graph's subscription resource page: driveItem 42,300; Outlook
#: message 10,080 (under 7 days) for subscriptions without resource data.
MAX_MINUTES = {"driveItem": 42300, "message": 10080}
#: Graph answers a 401 with this challenge (no ``claims``, so the SDK does not retry with a CAE claims challenge).
WWW_AUTHENTICATE = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                    'client_id="00000003-0000-0000-c000-000000000000"')
SHAREPOINT = "https://contoso.sharepoint.com"
RESYNC_MESSAGE = ("Resync required. Replace any local items with the server's version (including deletes) if you're "
                  "sure that the service was up to date with your local changes when you last sync'd. Upload any "
                  "local changes that the server doesn't know about.")
#: Exchange's answer to a mail delta token it no longer knows.
SYNC_STATE_MESSAGE = "The sync state generation is not found."
_CHANGE_TYPES = {"created", "updated", "deleted"}
_TLS = {"v1_0", "v1_1", "v1_2", "v1_3"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class GraphError(Exception):
    """An error answer in Graph's shape; raised inside handlers, turned into the JSON response by the dispatcher."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


# ---------------------------------------------------------------------------------------------------------------- utils

def quick_xor_hash(data: bytes) -> str:
    """OneDrive's QuickXorHash (the only hash OneDrive for Business and SharePoint report), base64.

    The documented algorithm: byte ``i`` is XORed into a 160-bit register at bit ``(11 * i) mod 160`` (wrapping
    around), then the little-endian 64-bit length is XORed into the last 8 of the 20 little-endian bytes. Bytes 160
    apart land on the same bit, so 160-byte blocks are folded first (fast for multi-MB files)."""
    width = 160
    folded = 0
    for off in range(0, len(data), width):
        folded ^= int.from_bytes(data[off:off + width], "little")
    register, mask = 0, (1 << width) - 1
    for i, byte in enumerate(folded.to_bytes(width, "little")):
        if byte:
            shifted = byte << (i * 11 % width)
            register ^= (shifted & mask) ^ (shifted >> width)
    out = bytearray(register.to_bytes(20, "little"))
    for i, b in enumerate(len(data).to_bytes(8, "little")):
        out[12 + i] ^= b
    return base64.b64encode(bytes(out)).decode()


def encode_sharing_url(url: str) -> str:
    """A sharing URL as a shareId, Graph's documented encoding: ``u!`` + unpadded base64url of the URL."""
    return "u!" + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def _decode_share_id(share_id: str) -> str | None:
    if not share_id.startswith("u!"):
        return None
    raw = share_id[2:]
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _iso(t: dt.datetime) -> str:
    """Graph's resource timestamps: UTC, whole seconds, ``Z``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso7(t: dt.datetime) -> str:
    """Graph's subscription timestamps carry seven fractional digits (``2016-11-20T18:23:45.9356913Z``)."""
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond * 10:07d}Z"


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _guid() -> str:
    return str(uuid.uuid4())


def _item_id() -> str:
    """OneDrive for Business item ids: ``01`` + 32 base32 characters (``01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K``)."""
    return "01" + base64.b32encode(secrets.token_bytes(20)).decode()


def _exchange_id(n: int = 100) -> str:
    """Exchange ids (folders, messages, attachments): URL-safe base64 starting ``AAMkAG``, ending in ``=``."""
    return "AAMkAG" + base64.urlsafe_b64encode(secrets.token_bytes(n)).decode().rstrip("=") + "="


def _select(obj: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    """``$select``, loosely: the named properties plus ``id`` and annotations (``@odata.*``, ``@removed``)."""
    if not select:
        return obj
    keep = {s.lower() for s in select} | {"id", "deleted"}
    return {k: v for k, v in obj.items() if k.startswith("@") or k.lower() in keep}


def _select_param(request: web.Request) -> list[str] | None:
    raw = request.query.get("$select")
    return [s.strip() for s in raw.split(",") if s.strip()] if raw else None


def _positive_int(value: str | None) -> int | None:
    try:
        n = int(value) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and n > 0 else None


def _max_page_size(request: web.Request) -> int | None:
    for part in request.headers.getall("Prefer", []):
        for pref in part.split(","):
            name, _, value = pref.strip().partition("=")
            if name.strip().lower() == "odata.maxpagesize":
                return _positive_int(value.strip())
    return None


# Normalises Graph's key-as-segment and parenthesised forms (``mailFolders('Inbox')`` -> ``mailFolders/Inbox``).
_PAREN_KEY = re.compile(r"\b(users|mailFolders|messages|drives|items|subscriptions|attachments)\('([^']*)'\)", re.I)


def _normalise(path: str) -> str:
    return _PAREN_KEY.sub(r"\1/\2", path)


# ---------------------------------------------------------------------------------------------------------------- model

@dataclass
class Delivery:
    """One POST the fake made to a webhook (a validation, a change or lifecycle notification): what and how it went.
    ``status`` is 0 when nothing answered (connection refused or timeout)."""

    kind: str  # "validation" | "notification" | "lifecycle" | "raw"
    url: str
    body: Any
    status: int
    seconds: float
    answer: str = ""


@dataclass
class _Item:
    id: str
    name: str
    parent_id: str | None
    folder: bool
    created: dt.datetime
    modified: dt.datetime
    order: int
    seq: int
    data: bytes = b""
    mime: str = "application/octet-stream"
    tag_guid: str = field(default_factory=lambda: _guid().upper())
    etag_n: int = 1
    ctag_n: int = 1
    deleted: bool = False


@dataclass
class _Drive:
    id: str
    web_root: str
    root_id: str
    items: dict[str, _Item] = field(default_factory=dict)
    seq: int = 0


@dataclass
class _Attachment:
    id: str
    name: str
    data: bytes
    content_type: str
    inline: bool
    modified: dt.datetime
    content_id: str | None = None


@dataclass
class _Message:
    id: str
    folder_id: str
    subject: str
    sender: tuple[str, str]
    to: tuple[str, str]
    body: str
    received: dt.datetime
    modified: dt.datetime
    attachments: list[_Attachment]
    internet_message_id: str
    conversation_id: str
    seq: int
    change_key: str = field(default_factory=lambda: "CQAAABYAAAA" + secrets.token_urlsafe(12))
    is_read: bool = False
    deleted: bool = False


@dataclass
class _Folder:
    id: str
    name: str
    parent_id: str
    well_known: str | None = None


@dataclass
class _Mailbox:
    id: str
    address: str | None
    root_folder_id: str = field(default_factory=_exchange_id)
    folders: dict[str, _Folder] = field(default_factory=dict)
    messages: dict[str, _Message] = field(default_factory=dict)
    seq: int = 0


@dataclass
class _Page:
    """The rest of a delta round: results are fixed when the round starts, the final deltaLink points at ``end``."""

    kind: str  # "drive" | "mail"
    scope: tuple[str, ...]
    rest: list[dict[str, Any]]
    end: int
    size: int
    select: list[str] | None


Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]


# ----------------------------------------------------------------------------------------------------------------- fake

class FakeGraph:
    """Microsoft Graph v1.0 on a loopback port: ``await FakeGraph().start()``, then point the SDK at ``base_url``.

    Control methods (``add_drive``, ``put_file``, ``add_message``, ...) change the fake's state synchronously, the
    way users change SharePoint and Exchange behind our back; ``notify_*``/``lifecycle`` send what Graph would."""

    def __init__(self) -> None:
        self.tenant_id = _guid()
        self.application_id = _guid()
        self.creator_id = _guid()
        #: (method, path with query) of every request received, downloads included, in order.
        self.requests: list[tuple[str, str]] = []
        #: Every POST made to a webhook: validations, notifications, lifecycle notifications, raw sends.
        self.deliveries: list[Delivery] = []
        #: Active subscriptions by id, as Graph answers them (plus the fake's own ``_target`` key).
        self.subscriptions: dict[str, dict[str, Any]] = {}
        #: Requests answered 429/503 by ``throttle``.
        self.throttled = 0
        #: Downloads that arrived with an Authorization header (Graph's pre-authenticated URLs need none; a client
        #: that sends its Graph token to the download host leaks it).
        self.authorized_downloads = 0
        #: Items per drive delta page when the request has no ``$top``.
        self.delta_page_size = 200
        #: Messages per mail delta page without ``Prefer: odata.maxpagesize`` (Graph's default for messages is 10).
        self.message_page_size = 10
        #: Graph gives a notification endpoint 10 s to answer the validation request.
        self.validation_timeout_s = 10.0
        self.notification_timeout_s = 10.0
        #: Graph requires a lifecycleNotificationUrl only for Teams resources whose expiration is more than an hour
        #: away (subscription resource, lifecycleNotificationUrl); for drives and mail it is optional. Set this to
        #: require one for every subscription lasting more than an hour (a stricter policy of our own).
        self.require_lifecycle_url = False
        #: Send change notifications from the control methods (one per change), as Graph does on its own.
        self.auto_notify = False
        #: The fake's clock; tests may replace it to move time (subscription expiry, timestamps).
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC)
        self._drives: dict[str, _Drive] = {}
        self._mailboxes: dict[str, _Mailbox] = {}  # by id and by lower-cased address
        self._tokens: dict[str, tuple[str, tuple[str, ...], int]] = {}  # delta token -> (kind, scope, position)
        self._pages: dict[str, _Page] = {}  # skiptoken -> rest of a round
        self._downloads: dict[str, tuple[str, str]] = {}  # tempauth -> (drive, item)
        self._throttle = (0, 429, 1)
        self._expired = False
        self._order = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0
        self._download_port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._route_table()

    # ------------------------------------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeGraph:
        """Serve on two free loopback ports: the API, and the download host that pre-authenticated URLs point to."""
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for attr in ("_port", "_download_port"):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            setattr(self, attr, sock.getsockname()[1])
            await web.SockSite(self._runner, sock).start()
        self._session = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeGraph:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1.0"

    @property
    def download_base_url(self) -> str:
        return f"http://127.0.0.1:{self._download_port}"

    async def drain(self) -> None:
        """Wait until every notification sent by ``auto_notify`` has been answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------------------------------------- failure modes

    def expire_credentials(self, expired: bool = True) -> None:
        """Make every API request answer 401 as Graph does for an expired access token (until called with False)."""
        self._expired = expired

    def throttle(self, n: int, status: int = 429, retry_after: int = 1) -> None:
        """The next ``n`` API requests answer ``status`` (429 or 503) with ``Retry-After: retry_after``."""
        if status not in (429, 503):
            raise ValueError("Graph throttles with 429 or 503")
        self._throttle = (n, status, retry_after)

    def expire_delta_tokens(self) -> None:
        """Forget every delta token and page (Graph does after some time): the next delta call with one is a 410."""
        self._tokens.clear()
        self._pages.clear()

    def expire_download_urls(self) -> None:
        """Pre-authenticated download URLs last about an hour in Graph; this ends all of them now."""
        self._downloads.clear()

    # ---------------------------------------------------------------------------------------------- drives

    def add_drive(self, drive_id: str | None = None, *, site: str | None = None,
                  library: str = "Shared Documents") -> str:
        """A document library with its root folder; returns the drive id (``b!`` + 64 opaque characters)."""
        drive_id = drive_id or "b!" + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
        site = site or ("ap" if not self._drives else f"ap{len(self._drives) + 1}")
        drive = _Drive(drive_id, f"{SHAREPOINT}/sites/{quote(site)}/{quote(library)}", _item_id())
        self._drives[drive_id] = drive
        now = self.clock()
        self._order += 1
        drive.seq += 1
        drive.items[drive.root_id] = _Item(drive.root_id, "root", None, True, now, now, self._order, drive.seq)
        return drive_id

    def put_file(self, drive_id: str, path: str, data: bytes, mime: str = "application/pdf") -> str:
        """Upload ``path`` (``/Invoices/a.pdf``), creating missing folders; an existing file of that name is replaced
        (same id, new content, new eTag and cTag). Returns the item id."""
        drive = self._drive(drive_id)
        *folders, name = [p for p in path.strip("/").split("/") if p]
        parent = drive.items[drive.root_id]
        for folder_name in folders:
            child = self._child(drive, parent.id, folder_name)
            if child is None:
                child = self._new_item(drive, folder_name, parent.id, folder=True)
            elif not child.folder:
                raise ValueError(f"{folder_name!r} is a file")
            parent = child
        existing = self._child(drive, parent.id, name)
        if existing is not None:
            if existing.folder:
                raise ValueError(f"{path!r} is a folder")
            existing.data, existing.mime = data, mime
            existing.etag_n += 1
            existing.ctag_n += 1
            existing.modified = self.clock()
            self._touch(drive, existing)
            return existing.id
        item = self._new_item(drive, name, parent.id, folder=False, data=data, mime=mime)
        return item.id

    def rename(self, drive_id: str, item_id: str, new_name: str) -> None:
        """Rename (new eTag and lastModifiedDateTime; content and cTag unchanged)."""
        drive, item = self._drive(drive_id), self._live(drive_id, item_id)
        other = self._child(drive, item.parent_id or "", new_name)
        if other is not None and other is not item:
            raise ValueError(f"{new_name!r} exists")
        item.name = new_name
        self._metadata_change(drive, item)

    def move(self, drive_id: str, item_id: str, new_parent_path: str) -> None:
        """Move under the folder at ``new_parent_path`` (``/`` for the root), which must exist."""
        drive, item = self._drive(drive_id), self._live(drive_id, item_id)
        parent = self._by_path(drive, new_parent_path)
        if parent is None or not parent.folder:
            raise ValueError(f"no folder {new_parent_path!r}")
        if self._child(drive, parent.id, item.name) is not None:
            raise ValueError(f"{item.name!r} exists in {new_parent_path!r}")
        item.parent_id = parent.id
        self._metadata_change(drive, item)

    def resave(self, drive_id: str, item_id: str) -> None:
        """Save without changing content (Office's autosave, a metadata edit): new eTag and lastModifiedDateTime, same
        content and cTag."""
        drive, item = self._drive(drive_id), self._live(drive_id, item_id)
        self._metadata_change(drive, item)

    def delete(self, drive_id: str, item_id: str) -> None:
        """Delete an item (and a folder's descendants); delta reports each as deleted."""
        drive, item = self._drive(drive_id), self._live(drive_id, item_id)
        if item.id == drive.root_id:
            raise ValueError("the root cannot be deleted")
        for victim in [*self._descendants(drive, item.id), item]:
            victim.deleted = True
            drive.seq += 1
            victim.seq = drive.seq
        self._drive_changed(drive)

    def item(self, drive_id: str, item_id: str) -> dict[str, Any]:
        """The item as ``GET /drives/{d}/items/{i}`` answers it (KeyError if deleted or unknown)."""
        drive = self._drive(drive_id)
        return self._render_item(drive, self._live(drive_id, item_id), delta=False)

    def item_id(self, drive_id: str, path: str) -> str:
        """The id of the item at ``path`` (KeyError if none)."""
        item = self._by_path(self._drive(drive_id), path)
        if item is None:
            raise KeyError(path)
        return item.id

    def root_id(self, drive_id: str) -> str:
        return self._drive(drive_id).root_id

    def content(self, drive_id: str, item_id: str) -> bytes:
        return self._live(drive_id, item_id).data

    def _drive(self, drive_id: str) -> _Drive:
        return self._drives[drive_id]

    def _live(self, drive_id: str, item_id: str) -> _Item:
        item = self._drive(drive_id).items[item_id]
        if item.deleted:
            raise KeyError(item_id)
        return item

    def _new_item(self, drive: _Drive, name: str, parent_id: str, *, folder: bool, data: bytes = b"",
                  mime: str = "application/octet-stream") -> _Item:
        now = self.clock()
        self._order += 1
        item = _Item(_item_id(), name, parent_id, folder, now, now, self._order, 0, data=data, mime=mime)
        drive.items[item.id] = item
        self._touch(drive, item)
        return item

    def _metadata_change(self, drive: _Drive, item: _Item) -> None:
        item.etag_n += 1
        item.modified = self.clock()
        self._touch(drive, item)

    def _touch(self, drive: _Drive, item: _Item) -> None:
        drive.seq += 1
        item.seq = drive.seq
        self._drive_changed(drive)

    def _children(self, drive: _Drive, parent_id: str) -> list[_Item]:
        return [i for i in drive.items.values() if i.parent_id == parent_id and not i.deleted]

    def _child(self, drive: _Drive, parent_id: str, name: str) -> _Item | None:
        # SharePoint names are case-insensitive within a folder.
        return next((i for i in self._children(drive, parent_id) if i.name.lower() == name.lower()), None)

    def _descendants(self, drive: _Drive, item_id: str) -> list[_Item]:
        out: list[_Item] = []
        for child in self._children(drive, item_id):
            out += [*self._descendants(drive, child.id), child]
        return out

    def _by_path(self, drive: _Drive, path: str) -> _Item | None:
        item: _Item | None = drive.items[drive.root_id]
        for part in [p for p in path.strip("/").split("/") if p]:
            item = self._child(drive, item.id, part) if item is not None else None
        return item

    def _ancestors(self, drive: _Drive, item: _Item) -> list[_Item]:
        """Live ancestors, root first."""
        out: list[_Item] = []
        parent_id = item.parent_id
        while parent_id is not None:
            parent = drive.items[parent_id]
            if parent.deleted:
                break
            out.append(parent)
            parent_id = parent.parent_id
        return out[::-1]

    def _path_parts(self, drive: _Drive, item: _Item) -> list[str]:
        return [a.name for a in self._ancestors(drive, item)[1:]] + ([item.name] if item.parent_id else [])

    def _size(self, drive: _Drive, item: _Item) -> int:
        if not item.folder:
            return len(item.data)
        return sum(len(d.data) for d in self._descendants(drive, item.id) if not d.folder)

    def _web_url(self, drive: _Drive, item: _Item) -> str:
        parts = self._path_parts(drive, item)
        return drive.web_root + "".join("/" + quote(p) for p in parts)

    def _render_item(self, drive: _Drive, item: _Item, *, delta: bool) -> dict[str, Any]:
        """A driveItem. In delta answers, as documented for OneDrive for Business: no cTag, no parentReference.path,
        and a deleted item is only its id, parentReference and the deleted facet."""
        parent_ref: dict[str, Any] = {"driveType": "documentLibrary", "driveId": drive.id}
        if item.parent_id is not None:
            parent_ref["id"] = item.parent_id
            if not delta:
                parts = self._path_parts(drive, drive.items[item.parent_id])
                parent_ref["path"] = f"/drives/{drive.id}/root:" + "".join("/" + p for p in parts)
        if item.deleted:
            return {"id": item.id, "parentReference": parent_ref, "deleted": {"state": "deleted"}}
        user = {"user": {"email": "clerk@contoso.com", "id": self.creator_id, "displayName": "AP Clerk"}}
        out: dict[str, Any] = {
            "createdDateTime": _iso(item.created),
            "eTag": f'"{{{item.tag_guid}}},{item.etag_n}"',
            "id": item.id,
            "lastModifiedDateTime": _iso(item.modified),
            "name": item.name,
            "webUrl": self._web_url(drive, item),
            "cTag": f'"c:{{{item.tag_guid}}},{item.ctag_n}"',
            "size": self._size(drive, item),
            "createdBy": user,
            "lastModifiedBy": user,
            "parentReference": parent_ref,
            "fileSystemInfo": {"createdDateTime": _iso(item.created), "lastModifiedDateTime": _iso(item.modified)},
        }
        if delta:
            del out["cTag"]
        if item.folder:
            out["folder"] = {"childCount": len(self._children(drive, item.id))}
        else:
            out["file"] = {"mimeType": item.mime, "hashes": {"quickXorHash": quick_xor_hash(item.data)}}
        if item.parent_id is None:
            out["root"] = {}
        return out

    def _download_url(self, drive: _Drive, item: _Item) -> str:
        tempauth = secrets.token_urlsafe(32)
        self._downloads[tempauth] = (drive.id, item.id)
        return f"{self.download_base_url}/download/{secrets.token_hex(8)}?tempauth={tempauth}"

    # ------------------------------------------------------------------------------------------------ mail

    def add_mailbox(self, user: str) -> str:
        """A mailbox with the well-known ``inbox`` (and ``deleteditems``); ``user`` is an address or a user id.
        Returns the user id (a GUID, what notification resources carry)."""
        try:
            user_id, address = str(uuid.UUID(user)), None
        except ValueError:
            user_id, address = _guid(), user
        box = _Mailbox(user_id, address)
        for well_known, name in (("inbox", "Inbox"), ("deleteditems", "Deleted Items")):
            folder = _Folder(_exchange_id(), name, box.root_folder_id, well_known)
            box.folders[folder.id] = folder
        self._mailboxes[user_id.lower()] = box
        if address:
            self._mailboxes[address.lower()] = box
        return user_id

    def add_folder(self, user: str, name: str) -> str:
        box = self._mailbox(user)
        folder = _Folder(_exchange_id(), name, box.root_folder_id)
        box.folders[folder.id] = folder
        return folder.id

    def folder_id(self, user: str, folder: str) -> str:
        """The id of a folder given its id or well-known name (``inbox``)."""
        found = self._folder(self._mailbox(user), folder)
        if found is None:
            raise KeyError(folder)
        return found.id

    def add_message(self, user: str, folder: str = "inbox", *, subject: str = "Invoice",
                    sender: tuple[str, str] = ("Acme Billing", "billing@acme.example"), body: str = "",
                    attachments: Iterable[tuple[str, bytes, str]] = (),
                    inline: Iterable[tuple[str, bytes, str]] = ()) -> str:
        """Deliver a message (``attachments``/``inline`` are (name, bytes, contentType)); returns its id."""
        box = self._mailbox(user)
        target = self._folder(box, folder)
        if target is None:
            raise KeyError(folder)
        now = self.clock()
        atts = [_Attachment(_exchange_id(120), n, d, ct, False, now) for n, d, ct in attachments]
        atts += [_Attachment(_exchange_id(120), n, d, ct, True, now, content_id=f"{secrets.token_hex(6)}@contoso")
                 for n, d, ct in inline]
        box.seq += 1
        msg = _Message(_exchange_id(), target.id, subject, sender, ("", box.address or f"{box.id}@contoso.com"),
                       body, now, now, atts, f"<{secrets.token_hex(12)}@{sender[1].rpartition('@')[2] or 'x'}>",
                       _exchange_id(16), box.seq)
        box.messages[msg.id] = msg
        self._mail_changed(box, msg, "created")
        return msg.id

    def update_message(self, user: str, message_id: str, *, subject: str | None = None,
                       is_read: bool | None = None) -> None:
        """Change a message (an ``updated`` change for delta and notifications)."""
        box = self._mailbox(user)
        msg = self._message_obj(box, message_id)
        if subject is not None:
            msg.subject = subject
        if is_read is not None:
            msg.is_read = is_read
        box.seq += 1
        msg.seq, msg.modified = box.seq, self.clock()
        msg.change_key = "CQAAABYAAAA" + secrets.token_urlsafe(12)
        self._mail_changed(box, msg, "updated")

    def delete_message(self, user: str, message_id: str) -> None:
        """Delete for good (delta reports ``@removed``; GET answers 404)."""
        box = self._mailbox(user)
        msg = self._message_obj(box, message_id)
        box.seq += 1
        msg.deleted, msg.seq = True, box.seq
        self._mail_changed(box, msg, "deleted")

    def _mailbox(self, user: str) -> _Mailbox:
        return self._mailboxes[user.lower()]

    @staticmethod
    def _folder(box: _Mailbox, folder: str) -> _Folder | None:
        if folder in box.folders:
            return box.folders[folder]
        return next((f for f in box.folders.values() if f.well_known == folder.lower()), None)

    @staticmethod
    def _message_obj(box: _Mailbox, message_id: str) -> _Message:
        msg = box.messages[message_id]
        if msg.deleted:
            raise KeyError(message_id)
        return msg

    def _render_message(self, box: _Mailbox, msg: _Message) -> dict[str, Any]:
        def address(pair: tuple[str, str]) -> dict[str, Any]:
            return {"emailAddress": {"name": pair[0] or pair[1], "address": pair[1]}}

        return {
            "@odata.etag": f'W/"{msg.change_key}"',
            "id": msg.id,
            "createdDateTime": _iso(msg.received),
            "lastModifiedDateTime": _iso(msg.modified),
            "changeKey": msg.change_key,
            "categories": [],
            "receivedDateTime": _iso(msg.received),
            "sentDateTime": _iso(msg.received),
            # Graph: hasAttachments does not count inline attachments.
            "hasAttachments": any(not a.inline for a in msg.attachments),
            "internetMessageId": msg.internet_message_id,
            "subject": msg.subject,
            "bodyPreview": msg.body[:255],
            "importance": "normal",
            "parentFolderId": msg.folder_id,
            "conversationId": msg.conversation_id,
            "isDeliveryReceiptRequested": False,
            "isReadReceiptRequested": False,
            "isRead": msg.is_read,
            "isDraft": False,
            "webLink": f"https://outlook.office365.com/owa/?ItemID={quote(msg.id, safe='')}"
                       "&exvsurl=1&viewmodel=ReadMessageItem",
            "inferenceClassification": "focused",
            "body": {"contentType": "text", "content": msg.body},
            "sender": address(msg.sender),
            "from": address(msg.sender),
            "toRecipients": [address(msg.to)],
            "ccRecipients": [],
            "bccRecipients": [],
            "replyTo": [],
            "flag": {"flagStatus": "notFlagged"},
        }

    @staticmethod
    def _render_attachment(att: _Attachment) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "@odata.mediaContentType": att.content_type,
            "id": att.id,
            "lastModifiedDateTime": _iso(att.modified),
            "name": att.name,
            "contentType": att.content_type,
            # Exchange reports a stored size that need not equal the decoded length; never compare them.
            "size": len(att.data),
            "isInline": att.inline,
            "contentId": att.content_id,
            "contentLocation": None,
            "contentBytes": base64.b64encode(att.data).decode(),
        }

    # -------------------------------------------------------------------------------------- subscriptions

    def remove_subscription(self, subscription_id: str) -> None:
        """The subscription vanishes, as Graph removes expired or revoked ones (GET/PATCH then answer 404)."""
        self.subscriptions.pop(subscription_id, None)

    def set_expiry(self, subscription_id: str, when: dt.datetime) -> None:
        """Set the expiration; one in the past makes the subscription vanish on the next look."""
        self.subscriptions[subscription_id]["expirationDateTime"] = _iso7(when)

    def _active(self) -> dict[str, dict[str, Any]]:
        now = self.clock()
        for sid, sub in list(self.subscriptions.items()):
            expires = _parse_time(sub["expirationDateTime"])
            if expires is not None and expires <= now:
                del self.subscriptions[sid]
        return self.subscriptions

    def _drive_subscriptions(self, drive_id: str) -> list[dict[str, Any]]:
        return [s for s in self._active().values() if s["_target"] == ("driveItem", drive_id)]

    def _mail_subscriptions(self, box: _Mailbox, msg: _Message, change_type: str) -> list[dict[str, Any]]:
        out = []
        for sub in self._active().values():
            kind, user_id, folder_id = (*sub["_target"], None)[:3]
            if kind != "message" or user_id != box.id or change_type not in sub["changeType"].split(","):
                continue
            if folder_id is None or folder_id == msg.folder_id:
                out.append(sub)
        return out

    @staticmethod
    def _public(sub: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in sub.items() if not k.startswith("_")}

    async def notify_drive(self, drive_id: str, *, client_state: str | None = None,
                           subscription_id: str | None = None, copies: int = 1) -> int:
        """POST a drive change notification (Graph's carry no item: the receiver must run delta) to every active
        subscription on the drive (or just ``subscription_id``), ``copies`` times (Graph may deliver duplicates).
        Returns the last HTTP status our endpoint answered (0: no answer); all answers are in ``deliveries``."""
        subs = [s for s in self._drive_subscriptions(drive_id) if subscription_id in (None, s["id"])]
        if not subs:
            raise LookupError(f"no active subscription on drive {drive_id}")
        status = 0
        for sub in subs:
            for _ in range(copies):
                status = await self._post_notification(sub, self._drive_notification(sub, drive_id, client_state))
        return status

    def _drive_notification(self, sub: dict[str, Any], drive_id: str, client_state: str | None) -> dict[str, Any]:
        return {"value": [{
            "subscriptionId": sub["id"],
            "clientState": client_state if client_state is not None else sub["clientState"],
            "changeType": "updated",
            "resource": f"drives/{drive_id}/root",
            "subscriptionExpirationDateTime": sub["expirationDateTime"],
            "tenantId": self.tenant_id,
            "resourceData": None,
        }]}

    async def notify_message(self, user: str, message_id: str, *, change_type: str = "created",
                             client_state: str | None = None, copies: int = 1) -> int:
        """POST a message change notification (``Users/{id}/Messages/{id}``) to the matching subscriptions.
        Returns the last HTTP status our endpoint answered (0: no answer)."""
        box = self._mailbox(user)
        msg = box.messages[message_id]
        subs = self._mail_subscriptions(box, msg, change_type)
        if not subs:
            raise LookupError(f"no active {change_type} subscription for message {message_id}")
        status = 0
        for sub in subs:
            body = self._message_notification(sub, box, msg, change_type, client_state)
            for _ in range(copies):
                status = await self._post_notification(sub, body)
        return status

    def _message_notification(self, sub: dict[str, Any], box: _Mailbox, msg: _Message, change_type: str,
                              client_state: str | None) -> dict[str, Any]:
        resource = f"Users/{box.id}/Messages/{msg.id}"
        return {"value": [{
            "subscriptionId": sub["id"],
            "subscriptionExpirationDateTime": sub["expirationDateTime"],
            "changeType": change_type,
            "resource": resource,
            "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "@odata.id": resource,
                             "@odata.etag": f'W/"{msg.change_key}"', "id": msg.id},
            "clientState": client_state if client_state is not None else sub["clientState"],
            "tenantId": self.tenant_id,
        }]}

    async def lifecycle(self, subscription_id: str, event: str) -> int:
        """POST a lifecycle notification (``reauthorizationRequired``, ``subscriptionRemoved``, ``missed``) to the
        subscription's lifecycleNotificationUrl. After ``subscriptionRemoved`` the subscription is gone, as in Graph."""
        if event not in ("reauthorizationRequired", "subscriptionRemoved", "missed"):
            raise ValueError(event)
        sub = self.subscriptions[subscription_id]
        url = sub["lifecycleNotificationUrl"]
        if not url:
            raise LookupError(f"subscription {subscription_id} has no lifecycleNotificationUrl")
        body = {"value": [{"subscriptionId": sub["id"], "subscriptionExpirationDateTime": sub["expirationDateTime"],
                           "tenantId": self.tenant_id, "clientState": sub["clientState"], "lifecycleEvent": event}]}
        status = await self._post("lifecycle", url, body)
        if event == "subscriptionRemoved":
            self.remove_subscription(subscription_id)
        return status

    async def send_raw(self, url: str, body: Any, *, headers: dict[str, str] | None = None) -> int:
        """POST anything (malformed notifications); ``body`` is sent as JSON unless it is bytes or str."""
        return await self._post("raw", url, body, headers=headers)

    async def _post_notification(self, sub: dict[str, Any], body: dict[str, Any]) -> int:
        return await self._post("notification", sub["notificationUrl"], body)

    async def _post(self, kind: str, url: str, body: Any, *, headers: dict[str, str] | None = None) -> int:
        assert self._session is not None, "start() the fake first"
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        started = time.perf_counter()
        status, answer = 0, ""
        try:
            async with self._session.post(url, data=data, headers=hdrs, allow_redirects=False,
                                          timeout=aiohttp.ClientTimeout(total=self.notification_timeout_s)) as resp:
                status, answer = resp.status, await resp.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError):
            pass
        self.deliveries.append(Delivery(kind, url, body, status, time.perf_counter() - started, answer))
        return status

    async def _validate_endpoint(self, url: str) -> bool:
        """Graph's handshake: POST ``url?validationToken=<token>`` (text/plain, empty body); the endpoint must answer
        200, text/plain, with exactly the (URL-decoded) token, within 10 s. Graph's tokens are prose with spaces
        and colons, so an endpoint that does not URL-decode fails here as it would against Graph."""
        assert self._session is not None, "start() the fake first"
        token = f"Validation: Testing client application reachability for subscription Request-Id: {_guid()}"
        target = f"{url}{'&' if '?' in url else '?'}validationToken={quote(token, safe='')}"
        started = time.perf_counter()
        status, answer, ok = 0, "", False
        try:
            async with self._session.post(target, data=b"", headers={"Content-Type": "text/plain; charset=utf-8"},
                                          allow_redirects=False,
                                          timeout=aiohttp.ClientTimeout(total=self.validation_timeout_s)) as resp:
                status, answer = resp.status, await resp.text(errors="replace")
                ok = status == 200 and answer == token and resp.content_type == "text/plain"
        except (aiohttp.ClientError, TimeoutError):
            pass
        self.deliveries.append(Delivery("validation", target, token, status, time.perf_counter() - started, answer))
        return ok

    # ------------------------------------------------------------------------------------------ auto notify

    def _schedule(self, sends: list[Callable[[], Awaitable[int]]]) -> None:
        if not self.auto_notify or not sends:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for send in sends:
            task = loop.create_task(send())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _drive_changed(self, drive: _Drive) -> None:
        if self.auto_notify:
            self._schedule([self._bind_post(s, self._drive_notification(s, drive.id, None))
                            for s in self._drive_subscriptions(drive.id)])

    def _mail_changed(self, box: _Mailbox, msg: _Message, change_type: str) -> None:
        if self.auto_notify:
            self._schedule([self._bind_post(s, self._message_notification(s, box, msg, change_type, None))
                            for s in self._mail_subscriptions(box, msg, change_type)])

    def _bind_post(self, sub: dict[str, Any], body: dict[str, Any]) -> Callable[[], Awaitable[int]]:
        return lambda: self._post_notification(sub, body)

    # ------------------------------------------------------------------------------------------------ HTTP

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        seg = r"[^/]+"
        msg = rf"/users/(?P<user>{seg})(?:/mailFolders/(?P<folder>{seg}))?/messages/(?P<message>{seg})"
        table: list[tuple[str, str, Handler]] = [
            ("GET", rf"/drives/(?P<drive>{seg})/(?:root|items/(?P<item>{seg}))/delta"
                    r"(?:\(\)|\(token='?(?P<ptoken>[^')]*)'?\))?", self._drive_delta),
            ("GET", rf"/drives/(?P<drive>{seg})/root:/(?P<path>.+?):/content", self._drive_content),
            ("GET", rf"/drives/(?P<drive>{seg})/root:/(?P<path>.+?):?", self._drive_item),
            ("GET", rf"/drives/(?P<drive>{seg})/(?:root|items/(?P<item>{seg}))/content", self._drive_content),
            ("GET", rf"/drives/(?P<drive>{seg})/(?:root|items/(?P<item>{seg}))", self._drive_item),
            ("GET", rf"/shares/(?P<share>{seg})/driveItem/content", self._share_content),
            ("GET", rf"/shares/(?P<share>{seg})/driveItem", self._share_item),
            ("GET", rf"/users/(?P<user>{seg})/mailFolders/(?P<folder>{seg})/messages/delta(?:\(\))?", self._mail_delta),
            ("GET", rf"/users/(?P<user>{seg})/mailFolders/(?P<folder>{seg})", self._mail_folder),
            ("GET", rf"{msg}/attachments/(?P<attachment>{seg})/\$value", self._attachment_value),
            ("GET", rf"{msg}/attachments/(?P<attachment>{seg})", self._attachment),
            ("GET", rf"{msg}/attachments", self._attachments),
            ("GET", msg, self._message),
            ("POST", r"/subscriptions", self._subscription_create),
            ("GET", r"/subscriptions", self._subscription_list),
            ("POST", rf"/subscriptions/(?P<sid>{seg})/reauthorize", self._subscription_reauthorize),
            ("GET", rf"/subscriptions/(?P<sid>{seg})", self._subscription_get),
            ("PATCH", rf"/subscriptions/(?P<sid>{seg})", self._subscription_update),
            ("DELETE", rf"/subscriptions/(?P<sid>{seg})", self._subscription_delete),
        ]
        return [(method, re.compile(f"^{rx}/?$", re.I), handler) for method, rx, handler in table]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs))
        rid = _guid()
        try:
            if request.path.startswith("/download/"):
                response = await self._download(request)
            elif request.path.lower().startswith("/v1.0/"):
                response = await self._api(request)
            else:
                raise GraphError(404, "itemNotFound", "The fake Graph serves /v1.0/ and /download/ only.")
        except GraphError as e:
            response = self._error(request, rid, e)
        response.headers.setdefault("request-id", rid)
        response.headers.setdefault("client-request-id", request.headers.get("client-request-id", rid))
        return response

    def _error(self, request: web.Request, rid: str, e: GraphError) -> web.Response:
        inner = {"date": _iso(self.clock()).rstrip("Z"), "request-id": rid,
                 "client-request-id": request.headers.get("client-request-id", rid)}
        return web.json_response({"error": {"code": e.code, "message": e.message, "innerError": inner}},
                                 status=e.status, headers=e.headers)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.",
                             {"WWW-Authenticate": WWW_AUTHENTICATE})
        if self._expired:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.",
                             {"WWW-Authenticate": WWW_AUTHENTICATE})
        left, status, retry_after = self._throttle
        if left > 0:
            self._throttle = (left - 1, status, retry_after)
            self.throttled += 1
            if status == 429:
                raise GraphError(429, "TooManyRequests", "Please retry again later.",
                                 {"Retry-After": str(retry_after)})
            raise GraphError(503, "ServiceUnavailable", "The service is temporarily unavailable.",
                             {"Retry-After": str(retry_after)})
        # msgraph-sdk's default base_url ends in "/", so its paths start "/v1.0//"; Graph accepts that, so does this.
        path = _normalise(re.sub("/{2,}", "/", request.path[len("/v1.0"):]))
        for method, pattern, handler in self._routes:
            m = pattern.match(path)
            if m and method == request.method:
                return await handler(request, {k: v for k, v in m.groupdict().items() if v is not None})
        raise GraphError(400, "BadRequest", f"The fake Graph does not implement {request.method} {request.path}.")

    # ---------------------------------------------------------------------------------------- drive handlers

    def _req_drive(self, params: dict[str, str]) -> _Drive:
        drive = self._drives.get(params["drive"])
        if drive is None:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return drive

    def _req_item(self, drive: _Drive, params: dict[str, str]) -> _Item:
        """The item named by id, ``root``, or path (``root:/Invoices/a.pdf:``, Graph's path addressing)."""
        item_id = params.get("item")
        if "path" in params:
            item = self._by_path(drive, params["path"])
        elif item_id is None or item_id.lower() == "root":
            item = drive.items[drive.root_id]
        else:
            item = drive.items.get(item_id)
        if item is None or item.deleted:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return item

    async def _drive_item(self, request: web.Request, params: dict[str, str]) -> web.Response:
        drive = self._req_drive(params)
        item = self._req_item(drive, params)
        out = {"@odata.context": f"{self.base_url}/$metadata#drives('{drive.id}')/items/$entity",
               **self._render_item(drive, item, delta=False)}
        if not item.folder:
            out = {"@microsoft.graph.downloadUrl": self._download_url(drive, item), **out}
        return web.json_response(_select(out, _select_param(request)))

    async def _drive_content(self, request: web.Request, params: dict[str, str]) -> web.Response:
        drive = self._req_drive(params)
        item = self._req_item(drive, params)
        return self._redirect_to_content(drive, item)

    def _redirect_to_content(self, drive: _Drive, item: _Item) -> web.Response:
        if item.folder:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return web.Response(status=302, headers={"Location": self._download_url(drive, item)})

    async def _download(self, request: web.Request) -> web.Response:
        """The pre-authenticated URL: no Authorization needed (or wanted); the bytes with the file's type."""
        self.authorized_downloads += "Authorization" in request.headers
        found = self._downloads.get(request.query.get("tempauth", ""))
        if found is None:
            raise GraphError(401, "unauthenticated", "The tempauth token is invalid or has expired.")
        drive = self._drives[found[0]]
        item = drive.items.get(found[1])
        if item is None or item.deleted:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return web.Response(body=item.data, content_type=item.mime,
                            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.name)}",
                                     "ETag": f'"{{{item.tag_guid}}},{item.etag_n}"'})

    def _shared(self, params: dict[str, str]) -> tuple[_Drive, _Item]:
        url = _decode_share_id(params["share"])
        for drive in self._drives.values():
            for item in drive.items.values():
                if url is not None and not item.deleted and self._web_url(drive, item) == url:
                    return drive, item
        raise GraphError(404, "itemNotFound", "The sharing link no longer exists, or you do not have permission "
                         "to access it.")

    async def _share_item(self, request: web.Request, params: dict[str, str]) -> web.Response:
        drive, item = self._shared(params)
        out = self._render_item(drive, item, delta=False)
        if not item.folder:
            out = {"@microsoft.graph.downloadUrl": self._download_url(drive, item), **out}
        return web.json_response(_select(out, _select_param(request)))

    async def _share_content(self, request: web.Request, params: dict[str, str]) -> web.Response:
        drive, item = self._shared(params)
        return self._redirect_to_content(drive, item)

    async def _drive_delta(self, request: web.Request, params: dict[str, str]) -> web.Response:
        drive = self._req_drive(params)
        item_id = params.get("item")
        if item_id is not None and item_id.lower() != "root" and item_id != drive.root_id:
            # OneDrive for Business and SharePoint support delta on the root folder only.
            raise GraphError(400, "invalidRequest", "Delta is only supported on the root of a drive in OneDrive for "
                             "Business and SharePoint.")
        delta_url = f"{self.base_url}/drives/{drive.id}/root/delta"
        skip = request.query.get("$skiptoken")
        token = request.query.get("token", params.get("ptoken"))
        if skip is not None:
            return self._next_page(skip, "drive", (drive.id,), delta_url, code="resyncRequired",
                                   message=RESYNC_MESSAGE)
        size = _positive_int(request.query.get("$top")) or self.delta_page_size
        select = _select_param(request)
        if token == "latest":
            return self._start_round("drive", (drive.id,), [], drive.seq, size, select, delta_url)
        if token is None:
            live = [i for i in drive.items.values() if not i.deleted]
            live.sort(key=lambda i: (len(self._ancestors(drive, i)), i.order))
            results = [self._render_item(drive, i, delta=True) for i in live]
        else:
            since = self._known_token(token, "drive", (drive.id,), restart=delta_url, code="resyncRequired",
                                      message=RESYNC_MESSAGE)
            results = self._drive_changes(drive, since, with_parents="deltaExcludeParent" not in request.headers)
        return self._start_round("drive", (drive.id,), results, drive.seq, size, select, delta_url)

    def _drive_changes(self, drive: _Drive, since: int, *, with_parents: bool) -> list[dict[str, Any]]:
        """What changed after position ``since``: each item once, in its latest state; by default with its live
        ancestors (parents first), as OneDrive for Business returns them."""
        changed = sorted((i for i in drive.items.values() if i.seq > since), key=lambda i: i.seq)
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in changed:
            chain = [*self._ancestors(drive, item), item] if with_parents else [item]
            for entry in chain:
                if entry.id not in seen:
                    seen.add(entry.id)
                    out.append(self._render_item(drive, entry, delta=True))
        return out

    # ----------------------------------------------------------------------------------------- delta paging

    def _new_token(self, kind: str, scope: tuple[str, ...], position: int) -> str:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = (kind, scope, position)
        return token

    def _known_token(self, token: str, kind: str, scope: tuple[str, ...], *, restart: str, code: str,
                     message: str) -> int:
        found = self._tokens.get(token)
        if found is None or found[0] != kind or found[1] != scope:
            raise GraphError(410, code, message, {"Location": restart})
        return found[2]

    def _start_round(self, kind: str, scope: tuple[str, ...], results: list[dict[str, Any]], end: int, size: int,
                     select: list[str] | None, delta_url: str, headers: dict[str, str] | None = None) -> web.Response:
        return self._serve(_Page(kind, scope, results, end, size, select), delta_url, headers)

    def _next_page(self, skip: str, kind: str, scope: tuple[str, ...], delta_url: str, *, code: str,
                   message: str, size: int | None = None, headers: dict[str, str] | None = None) -> web.Response:
        page = self._pages.pop(skip, None)
        if page is None or page.kind != kind or page.scope != scope:
            raise GraphError(410, code, message, {"Location": delta_url})
        page.size = size or page.size
        return self._serve(page, delta_url, headers)

    def _serve(self, page: _Page, delta_url: str, headers: dict[str, str] | None) -> web.Response:
        """One page: a nextLink (``$skiptoken``) while results remain, else the deltaLink (drives: ``token``,
        mail: ``$deltatoken``) to the position the round started at."""
        chunk, page.rest = page.rest[:page.size], page.rest[page.size:]
        entity = "driveItem" if page.kind == "drive" else "message"
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}/$metadata#Collection({entity})",
                                "value": [_select(v, page.select) for v in chunk]}
        if page.rest:
            skip = secrets.token_urlsafe(24)
            self._pages[skip] = page
            body["@odata.nextLink"] = f"{delta_url}?$skiptoken={skip}"
        else:
            token_param = "token" if page.kind == "drive" else "$deltatoken"
            body["@odata.deltaLink"] = f"{delta_url}?{token_param}={self._new_token(page.kind, page.scope, page.end)}"
        return web.json_response(body, headers=headers)

    # ----------------------------------------------------------------------------------------- mail handlers

    def _req_mailbox(self, params: dict[str, str]) -> _Mailbox:
        user = params["user"]
        box = self._mailboxes.get(user.lower())
        if box is None:
            if user.lower() == "me":
                raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
        return box

    def _req_folder(self, box: _Mailbox, folder: str) -> _Folder:
        found = self._folder(box, folder)
        if found is None:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return found

    def _req_message(self, params: dict[str, str]) -> tuple[_Mailbox, _Message]:
        box = self._req_mailbox(params)
        msg = box.messages.get(params["message"])
        folder = params.get("folder")
        if msg is None or msg.deleted or (folder is not None and self._req_folder(box, folder).id != msg.folder_id):
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return box, msg

    def _req_attachment(self, params: dict[str, str]) -> _Attachment:
        _, msg = self._req_message(params)
        att = next((a for a in msg.attachments if a.id == params["attachment"]), None)
        if att is None:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return att

    async def _mail_folder(self, request: web.Request, params: dict[str, str]) -> web.Response:
        box = self._req_mailbox(params)
        folder = self._req_folder(box, params["folder"])
        live = [m for m in box.messages.values() if m.folder_id == folder.id and not m.deleted]
        return web.json_response(_select({
            "id": folder.id, "displayName": folder.name, "parentFolderId": folder.parent_id, "childFolderCount": 0,
            "unreadItemCount": sum(not m.is_read for m in live), "totalItemCount": len(live), "isHidden": False,
        }, _select_param(request)))

    async def _mail_delta(self, request: web.Request, params: dict[str, str]) -> web.Response:
        box = self._req_mailbox(params)
        folder = self._req_folder(box, params["folder"])
        scope = (box.id, folder.id)
        delta_url = f"{self.base_url}/users/{box.id}/mailFolders('{folder.id}')/messages/delta"
        preferred = _max_page_size(request)
        size = preferred or _positive_int(request.query.get("$top")) or self.message_page_size
        headers = {"Preference-Applied": f"odata.maxpagesize={preferred}"} if preferred else None
        skip = request.query.get("$skiptoken")
        if skip is not None:  # a Prefer header on a later page sets that page's size; without one the round's holds
            return self._next_page(skip, "mail", scope, delta_url, code="SyncStateNotFound",
                                   message=SYNC_STATE_MESSAGE, size=preferred, headers=headers)
        token = request.query.get("$deltatoken")
        if token is None:
            msgs = sorted((m for m in box.messages.values() if m.folder_id == folder.id and not m.deleted),
                          key=lambda m: m.received, reverse=True)
            results = [{"@odata.type": "#microsoft.graph.message", **self._render_message(box, m)} for m in msgs]
        else:
            since = self._known_token(token, "mail", scope, restart=delta_url, code="SyncStateNotFound",
                                      message=SYNC_STATE_MESSAGE)
            results = []
            for m in sorted(box.messages.values(), key=lambda m: m.seq):
                if m.folder_id != folder.id or m.seq <= since:
                    continue
                if m.deleted:
                    results.append({"@odata.type": "#microsoft.graph.message", "id": m.id,
                                    "@removed": {"reason": "deleted"}})
                else:
                    results.append({"@odata.type": "#microsoft.graph.message", **self._render_message(box, m)})
        return self._start_round("mail", scope, results, box.seq, size, _select_param(request), delta_url, headers)

    async def _message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        box, msg = self._req_message(params)
        out = {"@odata.context": f"{self.base_url}/$metadata#users('{box.id}')/messages/$entity",
               **self._render_message(box, msg)}
        if "attachments" in request.query.get("$expand", "").lower():
            out["attachments"] = [self._render_attachment(a) for a in msg.attachments]
        return web.json_response(_select(out, _select_param(request)))

    async def _attachments(self, request: web.Request, params: dict[str, str]) -> web.Response:
        box, msg = self._req_message(params)
        return web.json_response({
            "@odata.context": f"{self.base_url}/$metadata#users('{box.id}')/messages('{msg.id}')/attachments",
            "value": [_select(self._render_attachment(a), _select_param(request)) for a in msg.attachments]})

    async def _attachment(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return web.json_response(_select(self._render_attachment(self._req_attachment(params)),
                                         _select_param(request)))

    async def _attachment_value(self, request: web.Request, params: dict[str, str]) -> web.Response:
        att = self._req_attachment(params)
        return web.Response(body=att.data, content_type=att.content_type)

    # --------------------------------------------------------------------------------- subscription handlers

    def _resource_target(self, resource: str) -> tuple[str, ...]:
        """("driveItem", drive id) or ("message", user id[, folder id]) for a resource Graph would accept."""
        path = _normalise("/" + resource.strip().lstrip("/"))
        m = re.match(r"^/drives/(?P<drive>[^/]+)/(?P<rest>.*)$", path, re.I)
        if m:
            drive = self._drives.get(m["drive"])
            if drive is None:
                raise GraphError(404, "ExtensionError", "Operation: Create; Exception: [Status Code: NotFound; "
                                 "Reason: The resource could not be found.]")
            rest = m["rest"].rstrip("/")
            if rest.lower() in ("root", f"items/{drive.root_id.lower()}", "items/root"):
                return ("driveItem", drive.id)
            # OneDrive for Business and SharePoint: subscriptions on the root folder only.
            raise GraphError(400, "ExtensionError", "Operation: Create; Exception: [Status Code: BadRequest; Reason: "
                             "Only the root of a OneDrive for Business or SharePoint drive can be subscribed to; "
                             "folder-level subscriptions are not supported.]")
        m = re.match(r"^/(?P<me>me)/|^/users/(?P<user>[^/]+)/(?:mailFolders/(?P<folder>[^/]+)/)?messages/?$", path,
                     re.I)
        if m and m["me"]:
            raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        if m:
            box = self._req_mailbox({"user": m["user"]})
            if m["folder"] is None:
                return ("message", box.id)
            return ("message", box.id, self._req_folder(box, m["folder"]).id)
        raise GraphError(400, "InvalidRequest", f"The fake Graph does not support subscriptions to '{resource}'.")

    def _check_expiration(self, kind: str, value: Any) -> dt.datetime:
        expires = _parse_time(value)
        if expires is None:
            raise GraphError(400, "InvalidRequest", "expirationDateTime is missing or not a valid date and time.")
        now = self.clock()
        if expires <= now:
            raise GraphError(400, "InvalidRequest", "Subscription expiration must be in the future.")
        limit = MAX_MINUTES[kind]
        if expires > now + dt.timedelta(minutes=limit):
            raise GraphError(400, "InvalidRequest", f"Subscription expiration can only be {limit} minutes in the "
                             "future.")
        return expires

    @staticmethod
    def _check_url(value: Any, name: str) -> str:
        parts = urlsplit(value) if isinstance(value, str) else None
        # Graph requires HTTPS; the fake lets loopback endpoints use http, since tests serve them locally.
        if parts is None or not parts.hostname or not (parts.scheme == "https" or (
                parts.scheme == "http" and parts.hostname in _LOOPBACK)):
            raise GraphError(400, "InvalidRequest", f"{name} must be an HTTPS URL.")
        return value

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
        return body

    async def _subscription_create(self, request: web.Request, params: dict[str, str]) -> web.Response:
        body = await self._body(request)
        for required in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not body.get(required):
                raise GraphError(400, "InvalidRequest", f"The property '{required}' is required.")
        target = self._resource_target(str(body["resource"]))
        kind = target[0]
        change_types = [c.strip() for c in str(body["changeType"]).split(",")]
        if kind == "driveItem" and change_types != ["updated"]:
            raise GraphError(400, "InvalidRequest", "Drive root subscriptions support only the 'updated' changeType.")
        if not change_types or any(c not in _CHANGE_TYPES for c in change_types):
            raise GraphError(400, "InvalidRequest", f"Invalid changeType '{body['changeType']}'.")
        expires = self._check_expiration(kind, body["expirationDateTime"])
        notification_url = self._check_url(body["notificationUrl"], "notificationUrl")
        lifecycle_url = body.get("lifecycleNotificationUrl")
        if lifecycle_url is not None:
            self._check_url(lifecycle_url, "lifecycleNotificationUrl")
        elif self.require_lifecycle_url and expires > self.clock() + dt.timedelta(hours=1):
            raise GraphError(400, "InvalidRequest", "lifecycleNotificationUrl is required when expirationDateTime is "
                             "more than 1 hour from now.")
        client_state = body.get("clientState")
        if client_state is not None and len(str(client_state)) > 128:
            raise GraphError(400, "InvalidRequest", "clientState must be at most 128 characters.")
        tls = body.get("latestSupportedTlsVersion") or "v1_2"
        if tls not in _TLS:
            raise GraphError(400, "InvalidRequest", f"Invalid latestSupportedTlsVersion '{tls}'.")
        for url in (notification_url, lifecycle_url):
            if url is not None and not await self._validate_endpoint(url):
                raise GraphError(400, "ValidationError", "Subscription validation request failed. Notification "
                                 "endpoint must respond with 200 OK to validation request.")
        sub = {
            "id": _guid(),
            "resource": body["resource"],
            "applicationId": self.application_id,
            "changeType": ",".join(change_types),
            "clientState": client_state,
            "notificationUrl": notification_url,
            "notificationQueryOptions": None,
            "lifecycleNotificationUrl": lifecycle_url,
            "expirationDateTime": _iso7(expires),
            "creatorId": self.creator_id,
            "includeResourceData": False,
            "latestSupportedTlsVersion": tls,
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
            "_target": target,
        }
        self.subscriptions[sub["id"]] = sub
        return web.json_response({"@odata.context": f"{self.base_url}/$metadata#subscriptions/$entity",
                                  **self._public(sub)}, status=201)

    def _req_subscription(self, params: dict[str, str]) -> dict[str, Any]:
        sub = self._active().get(params["sid"])
        if sub is None:
            raise GraphError(404, "ResourceNotFound", "The object was not found.")
        return sub

    async def _subscription_get(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return web.json_response({"@odata.context": f"{self.base_url}/$metadata#subscriptions/$entity",
                                  **self._public(self._req_subscription(params))})

    async def _subscription_list(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return web.json_response({"@odata.context": f"{self.base_url}/$metadata#subscriptions",
                                  "value": [self._public(s) for s in self._active().values()]})

    async def _subscription_update(self, request: web.Request, params: dict[str, str]) -> web.Response:
        sub = self._req_subscription(params)
        body = await self._body(request)
        expires = self._check_expiration(sub["_target"][0], body.get("expirationDateTime")) \
            if "expirationDateTime" in body else None
        new_url = body.get("notificationUrl")
        if new_url is not None and new_url != sub["notificationUrl"]:
            self._check_url(new_url, "notificationUrl")
            if not await self._validate_endpoint(new_url):
                raise GraphError(400, "ValidationError", "Subscription validation request failed. Notification "
                                 "endpoint must respond with 200 OK to validation request.")
            sub["notificationUrl"] = new_url
        if expires is not None:
            sub["expirationDateTime"] = _iso7(expires)
        return web.json_response({"@odata.context": f"{self.base_url}/$metadata#subscriptions/$entity",
                                  **self._public(sub)})

    async def _subscription_delete(self, request: web.Request, params: dict[str, str]) -> web.Response:
        self._req_subscription(params)
        self.remove_subscription(params["sid"])
        return web.Response(status=204)

    async def _subscription_reauthorize(self, request: web.Request, params: dict[str, str]) -> web.Response:
        self._req_subscription(params)
        return web.Response(status=204)

