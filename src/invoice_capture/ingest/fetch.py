"""Fetching an invoice file from a URL another system hands us (``POST /api/invoices`` with a JSON body).

A URL from a request is an invitation to make this server fetch things on the caller's behalf (SSRF), so only hosts
an operator listed (settings ``FETCH_HOSTS``) are fetched from, over https; plain http only to a listed loopback
host (tests, a sidecar). Redirects are followed by hand, at most a few, and every hop must pass the same test, so a
listed host cannot bounce the fetch to an unlisted one. The body is read up to a ceiling above the accepted file
size (so an oversized file is still kept and refused with the usual sentence) but bounded in memory. Every failure
is a ``FetchError`` with a code and a sentence for the calling system's operator.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote

import aiohttp
from yarl import URL

from invoice_capture.ingest.validation import MAX_FILE_BYTES

#: Download ceiling: the accepted size plus slack, like a multipart part (the file is then refused by validation
#: with the limit in the message, not by a cut-off read).
MAX_DOWNLOAD = MAX_FILE_BYTES + 10 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT_S = 60.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """The file could not be fetched: ``code`` for programs, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Fetched:
    url: str
    data: bytes
    filename: str


def parse_hosts(text: str) -> frozenset[str]:
    """``FETCH_HOSTS`` as lower-case host names (a trailing dot, a scheme or a port given by mistake are dropped)."""
    out = set()
    for item in text.split(","):
        host = item.strip().lower()
        if "://" in host:
            host = URL(host).host or ""
        host = host.split("/")[0]
        if host.startswith("[") and "]" in host:
            host = host[1:host.index("]")]
        elif host.count(":") == 1:
            host = host.split(":")[0]
        if host.rstrip("."):
            out.add(host.rstrip("."))
    return frozenset(out)


def is_loopback(host: str) -> bool:
    """localhost or a loopback address: the only hosts plain http is allowed to (tests, the Agents Playground)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, hosts: frozenset[str]) -> URL:
    """The URL, if this service may fetch it: a listed host, https (http only to a listed loopback host)."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        raise FetchError("bad_url", f"{url[:200]!r} is not a URL.") from None
    scheme, host = parsed.scheme.lower(), (parsed.host or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host or not parsed.is_absolute():
        raise FetchError("bad_url", f"{url[:200]!r} is not an http(s) URL.")
    if host not in hosts:
        raise FetchError("host_not_allowed", f"{host} is not a host this service fetches from (FETCH_HOSTS).")
    if scheme == "http" and not is_loopback(host):
        raise FetchError("https_required", f"Only https URLs are fetched from {host}.")
    return parsed


async def read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes | None:
    """The response body, or None as soon as it is (announced or read to be) larger than ``max_bytes``: memory stays
    bounded whatever the remote sends."""
    if resp.content_length is not None and resp.content_length > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _filename(resp: aiohttp.ClientResponse, url: URL) -> str:
    """The server's name for the file (Content-Disposition), else the URL's last path segment."""
    name = ""
    disposition = resp.content_disposition
    if disposition is not None and disposition.filename:
        name = disposition.filename
    if not name:
        name = unquote(PurePosixPath(url.path).name)
    name = PurePosixPath(name.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:200] or "download"


async def fetch(url: str, hosts: frozenset[str], *, session: aiohttp.ClientSession | None = None,
                max_bytes: int = MAX_DOWNLOAD, timeout_s: float = TIMEOUT_S) -> Fetched:
    """GET the file at ``url`` (checked against ``hosts`` at every hop), or raise ``FetchError``."""
    current = check_url(url, hosts)
    own = session is None
    http = session or aiohttp.ClientSession(trust_env=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(10.0, timeout_s))
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with http.get(current, allow_redirects=False, timeout=timeout) as resp:
                if resp.status in REDIRECTS:
                    location = resp.headers.get("Location", "")
                    if not location:
                        raise FetchError("remote_error", f"{current.host} answered {resp.status} with no Location.")
                    try:
                        target = current.join(URL(location))
                    except ValueError:
                        raise FetchError("bad_redirect", f"{current.host} redirected to an invalid URL.") from None
                    try:
                        current = check_url(str(target), hosts)
                    except FetchError as exc:
                        raise FetchError("redirect_not_allowed",
                                         f"{current.host} redirected to a URL this service does not fetch from: "
                                         f"{exc.message}") from None
                    continue
                if resp.status >= 400:
                    raise FetchError("remote_error", f"{current.host} answered {resp.status} "
                                                     f"{resp.reason or ''}".rstrip() + ".")
                if resp.status != 200:
                    raise FetchError("remote_error", f"{current.host} answered {resp.status} instead of the file.")
                data = await read_capped(resp, max_bytes)
                if data is None:
                    raise FetchError("too_large", f"The file is larger than {max_bytes // 2**20} MB.")
                return Fetched(url, data, _filename(resp, current))
        raise FetchError("too_many_redirects", f"More than {MAX_REDIRECTS} redirects.")
    except TimeoutError:
        raise FetchError("timeout", f"{current.host} did not send the file within {timeout_s:g} s.") from None
    except aiohttp.ClientError as exc:
        raise FetchError("unreachable", f"{current.host} could not be reached ({type(exc).__name__}).") from None
    finally:
        if own:
            await http.close()
