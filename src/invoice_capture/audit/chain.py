"""Append audit events to a per-tenant hash chain.

Each event's hash covers the previous event's hash and the event's canonical JSON (sorted keys, no spaces,
UTC timestamps in ISO form), so changing or deleting any event breaks every link after it. Appends within one
tenant are serialised (a FOR NO KEY UPDATE row lock on the tenant on PostgreSQL, the single-writer lock on
SQLite), so two decisions at the same instant can never both claim the same previous hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_capture.store.models import AuditEvent, Tenant, utcnow

GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_body(ev: AuditEvent) -> dict[str, Any]:
    """What the hash covers: everything but the row id and the hash itself."""
    return {
        "tenant_id": ev.tenant_id, "seq": ev.seq, "invoice_id": ev.invoice_id, "actor_id": ev.actor_id,
        "actor_name": ev.actor_name, "action": ev.action, "changes": ev.changes, "reason": ev.reason,
        "at": ev.at.astimezone(dt.UTC).isoformat(timespec="microseconds"), "prev_hash": ev.prev_hash,
    }


def event_hash(ev: AuditEvent) -> str:
    return hashlib.sha256(canonical(event_body(ev)).encode()).hexdigest()


async def append(session: AsyncSession, *, tenant_id: str, action: str, actor_id: str, actor_name: str = "",
                 invoice_id: str = "", changes: dict[str, Any] | None = None, reason: str = "") -> AuditEvent:
    """Add one event to ``tenant_id``'s chain inside the caller's transaction."""
    if session.bind.dialect.name == "postgresql":
        # NO KEY UPDATE, not UPDATE: inserting an invoice takes KEY SHARE on its tenant (the foreign key), and a
        # full UPDATE lock would deadlock two transactions that each inserted an invoice before appending.
        await session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True))
    last = (await session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.tenant_id == tenant_id)
        .order_by(AuditEvent.seq.desc()).limit(1))).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ev = AuditEvent(tenant_id=tenant_id, seq=seq, invoice_id=invoice_id, actor_id=actor_id or "system",
                    actor_name=actor_name, action=action, changes=_jsonable(changes or {}), reason=reason or "",
                    at=utcnow(), prev_hash=prev)
    ev.hash = event_hash(ev)
    session.add(ev)
    await session.flush()
    return ev


def _jsonable(value: Any) -> Any:
    """Changes as they will read back from the JSON column (so the hash is stable across a round trip)."""
    return json.loads(json.dumps(value, default=str))
