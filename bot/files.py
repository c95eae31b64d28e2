"""Find the files in a Teams message and download them.

Teams sends a file dropped into a 1:1 chat as an attachment of type
``application/vnd.microsoft.teams.file.download.info`` whose ``content.downloadUrl`` is a short-lived,
pre-authenticated link; a pasted image arrives as an ``image/*`` attachment whose ``contentUrl`` is on the Bot
Framework's attachment service and needs the bot's token. Files shared in channels and group chats are not sent
to bots at all (only their SharePoint link): with Microsoft Graph configured, ``shared_files`` gives those links
for the bot to fetch through Graph; without it, ``unreachable_files`` spots them so the bot can say what set-up is
needed instead of ignoring them.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import aiohttp
from botbuilder.schema import Activity

from invoice_capture.ingest.fetch import is_loopback, read_capped

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
#: Download ceiling: above the 50 MiB accepted size so an oversized file is still kept (and refused with a
#: clear message), but a bounded amount of memory.
MAX_DOWNLOAD = 200 * 1024 * 1024

TokenProvider = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True)
class IncomingFile:
    name: str
    url: str
    needs_token: bool  # inline images on the attachment service need the bot's bearer token
    via_graph: bool = False  # a file shared in a channel or group chat: fetched through Microsoft Graph


class DownloadError(Exception):
    """The file could not be fetched; ``message`` is for the user."""


def incoming_files(activity: Activity) -> list[IncomingFile]:
    out: list[IncomingFile] = []
    for n, att in enumerate(activity.attachments or [], start=1):
        ctype = (att.content_type or "").lower()
        content = att.content if isinstance(att.content, dict) else {}
        if ctype == FILE_DOWNLOAD_INFO and content.get("downloadUrl"):
            out.append(IncomingFile(att.name or f"file-{n}", content["downloadUrl"], False))
        elif ctype.startswith("image/") and att.content_url:
            ext = mimetypes.guess_extension(ctype.split(";")[0]) or ".png"
            name = att.name or f"pasted-image-{n}{'.jpg' if ext == '.jpe' else ext}"
            out.append(IncomingFile(name, att.content_url, True))
    return out


_HREF = re.compile(r"""href=["'](https://[^"'<>\s]+)["']""", re.IGNORECASE)


def shared_files(activity: Activity) -> list[IncomingFile]:
    """Files shared in a channel or group chat: Teams gives the bot only their SharePoint/OneDrive link (a
    ``reference`` attachment's contentUrl, or a link inside the message's HTML), which Graph can open."""
    out: list[IncomingFile] = []
    seen: set[str] = set()
    for n, att in enumerate(activity.attachments or [], start=1):
        ctype = (att.content_type or "").lower()
        urls: list[str] = []
        if ctype == FILE_DOWNLOAD_INFO:
            continue
        if att.content_url and _is_sharepoint(att.content_url):
            urls.append(att.content_url)
        elif ctype == "text/html":
            urls.extend(u for u in _HREF.findall(str(att.content or "")) if _is_sharepoint(u))
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            name = att.name or unquote(urlparse(url).path.rsplit("/", 1)[-1]) or f"shared-file-{n}"
            out.append(IncomingFile(name, url, False, via_graph=True))
    return out


def _is_sharepoint(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return urlparse(url).scheme == "https" and (host.endswith(".sharepoint.com") or host.endswith(
        ".sharepoint.us") or host.endswith(".sharepoint.cn") or host == "1drv.ms" or host.endswith(
        "onedrive.live.com"))


def unreachable_files(activity: Activity) -> list[str]:
    """Names (or links) of files shared where Teams gives the bot only a link, not the file."""
    out: list[str] = []
    for att in activity.attachments or []:
        ctype = (att.content_type or "").lower()
        if ctype == "text/html" and "sharepoint" in str(att.content or "").lower():
            out.append(att.name or "a file")
        elif ctype == "reference" or (att.content_url and "sharepoint.com" in att.content_url
                                      and ctype != FILE_DOWNLOAD_INFO):
            out.append(att.name or att.content_url or "a file")
    return out


def _allowed(url: str, extra_hosts: frozenset[str]) -> bool:
    """https anywhere (Teams/SharePoint links), http only to loopback (Agents Playground, tests) or listed hosts."""
    parts = urlparse(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https":
        return bool(host)
    if parts.scheme != "http":
        return False
    return host in extra_hosts or is_loopback(host)


async def download(session: aiohttp.ClientSession, f: IncomingFile, *, token: TokenProvider | None = None,
                   extra_hosts: frozenset[str] = frozenset()) -> bytes:
    if not _allowed(f.url, extra_hosts):
        raise DownloadError(f"{f.name}: the link to this file is not one the bot may download from.")
    headers = {}
    if f.needs_token and token is not None:
        bearer = await token()
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
    try:
        async with session.get(f.url, headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as resp:
            if resp.status in (401, 403):
                raise DownloadError(f"{f.name}: Teams refused the download ({resp.status}). Send the file again "
                                    "in a 1:1 chat with the bot, or ask an admin to check the bot's permissions.")
            if resp.status == 404:
                raise DownloadError(f"{f.name}: the file is gone (the link expired or it was deleted). "
                                    "Send it again.")
            if resp.status >= 400:
                raise DownloadError(f"{f.name}: the download failed ({resp.status}). Try again in a minute.")
            data = await read_capped(resp, MAX_DOWNLOAD)
            if data is None:
                raise DownloadError(f"{f.name}: the file is larger than {MAX_DOWNLOAD // 2**20} MB. Send a "
                                    "smaller scan or a PDF export.")
            return data
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadError(f"{f.name}: the download failed ({type(exc).__name__}). Try again in a minute.") from exc
