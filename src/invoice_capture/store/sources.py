"""Graph sources and the files taken from them: the queries, kept apart from the Graph calls (ingest/graph/).

A source is added by an admin (CLI), read by the watcher on every notification and renewal, and shown in chat.
The processing-key claim (``claim``) is an INSERT guarded by a unique constraint, so two syncs racing on one file
(two notifications, two service instances) end with exactly one winner on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_capture.store.models import GraphItem, GraphSource, utcnow

KINDS = ("drive", "mailbox")
#: A claim older than this with no invoice was left by a run that died between claiming and receiving: retake it.
STALE_CLAIM = dt.timedelta(minutes=10)


class SourceError(ValueError):
    """A source that cannot be added as given; the message says what to change."""


def normalize_folder(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    return "/" + "/".join(parts)


async def add_source(s: AsyncSession, tenant_id: str, *, kind: str, target: str, drive_id: str = "",
                     folder: str = "", mailbox: str = "", mail_folder: str = "",
                     include_existing: bool = False) -> GraphSource:
    if kind not in KINDS:
        raise SourceError(f"kind must be one of {', '.join(KINDS)}")
    if not target.strip():
        raise SourceError("name the Teams conversation the cards go to (--target: a channel or chat id the bot is "
                          "in; `admin sources` in that conversation shows its id)")
    if kind == "drive" and not drive_id.strip():
        raise SourceError("a SharePoint source needs --drive (the document library's drive id)")
    if kind == "mailbox" and not mailbox.strip():
        raise SourceError("a mailbox source needs --mailbox (the shared mailbox's address or user id)")
    same = await s.scalar(select(GraphSource).where(
        GraphSource.tenant_id == tenant_id, GraphSource.kind == kind, GraphSource.drive_id == drive_id.strip(),
        GraphSource.folder_path == (normalize_folder(folder) if kind == "drive" else ""),
        GraphSource.mailbox == mailbox.strip().lower(), GraphSource.mail_folder == mail_folder.strip()))
    if same is not None:
        raise SourceError(f"this is already source #{same.id}; remove it first to change its target")
    src = GraphSource(tenant_id=tenant_id, kind=kind, drive_id=drive_id.strip(),
                      folder_path=normalize_folder(folder) if kind == "drive" else "",
                      mailbox=mailbox.strip().lower(), mail_folder=mail_folder.strip(),
                      target_conversation_id=target.strip(), include_existing=include_existing,
                      client_state=secrets.token_urlsafe(32), status="new", created_at=utcnow())
    s.add(src)
    await s.flush()
    return src


async def list_sources(s: AsyncSession, tenant_id: str | None = None) -> list[GraphSource]:
    q = select(GraphSource).order_by(GraphSource.id)
    if tenant_id is not None:
        q = q.where(GraphSource.tenant_id == tenant_id)
    return list(await s.scalars(q))


async def get_source(s: AsyncSession, source_id: int) -> GraphSource | None:
    return await s.get(GraphSource, source_id)


async def by_subscription(s: AsyncSession, subscription_id: str) -> GraphSource | None:
    return await s.scalar(select(GraphSource).where(GraphSource.subscription_id == subscription_id))


async def remove_source(s: AsyncSession, tenant_id: str | None, source_id: int) -> GraphSource | None:
    src = await s.get(GraphSource, source_id)
    if src is None or (tenant_id is not None and src.tenant_id != tenant_id):
        return None
    await s.execute(delete(GraphItem).where(GraphItem.source_id == source_id))
    await s.delete(src)
    return src


#: ``claim`` answers for a file already taken (settled), or held right now by another run.
TAKEN, BUSY = "taken", "busy"


async def claim(s: AsyncSession, src: GraphSource, item_key: str, content_key: str) -> GraphItem | str:
    """Take a file under its processing key: the claim, or TAKEN (done before) or BUSY (another run holds a fresh
    claim on it). A claim left without an invoice for longer than STALE_CLAIM is retaken."""
    existing = await s.scalar(select(GraphItem).where(
        GraphItem.source_id == src.id, GraphItem.item_key == item_key, GraphItem.content_key == content_key))
    if existing is not None:
        if existing.invoice_id:
            return TAKEN
        if utcnow() - existing.claimed_at < STALE_CLAIM:
            return BUSY
        existing.claimed_at = utcnow()
        return existing
    item = GraphItem(tenant_id=src.tenant_id, source_id=src.id, item_key=item_key[:400],
                     content_key=content_key[:200], claimed_at=utcnow())
    try:
        async with s.begin_nested():
            s.add(item)
            await s.flush()
    except IntegrityError:
        return BUSY
    return item


async def drop_stale_claims(s: AsyncSession) -> int:
    """Forget claims a run left without an invoice (it died between claiming and receiving), so they are retaken."""
    res = await s.execute(delete(GraphItem).where(GraphItem.invoice_id == "",
                                                  GraphItem.claimed_at < utcnow() - STALE_CLAIM))
    return int(getattr(res, "rowcount", 0) or 0)


async def release(s: AsyncSession, item_id: int) -> None:
    """Give a claim back (the file could not be fetched for a passing reason), so the next sync retries it."""
    await s.execute(delete(GraphItem).where(GraphItem.id == item_id, GraphItem.invoice_id == ""))


async def settle(s: AsyncSession, item_id: int, invoice_id: str) -> None:
    item = await s.get(GraphItem, item_id)
    if item is not None:
        item.invoice_id = invoice_id


async def listed(s: AsyncSession, tenant_id: str | None = None) -> list[dict[str, Any]]:
    """Sources as the CLI and the chat show them, each with how many invoices it gave (one grouped count)."""
    rows = await list_sources(s, tenant_id)
    counts = dict((await s.execute(
        select(GraphItem.source_id, func.count()).where(GraphItem.invoice_id != "")
        .where(GraphItem.source_id.in_([r.id for r in rows])).group_by(GraphItem.source_id))).tuples().all())
    return [{**describe(r), "taken": int(counts.get(r.id, 0))} for r in rows]


def describe(src: GraphSource) -> dict[str, Any]:
    """A source as the CLI and the chat show it (never the client state secret or the delta link)."""
    where = (f"SharePoint drive {src.drive_id}, folder {src.folder_path}" if src.kind == "drive"
             else f"mailbox {src.mailbox}, folder {src.mail_folder or 'Inbox'}")
    return {"id": src.id, "tenant": src.tenant_id, "kind": src.kind, "where": where,
            "target": src.target_conversation_id, "status": src.status, "last_error": src.last_error or None,
            "subscription_expires": src.subscription_expires_at.isoformat() if src.subscription_expires_at else None,
            "last_sync": src.last_sync_at.isoformat() if src.last_sync_at else None,
            "include_existing": src.include_existing}
