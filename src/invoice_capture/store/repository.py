"""Queries and writes, as small functions over an ``AsyncSession`` (the caller owns the transaction).

The one rule that matters: an invoice is only ever changed through ``update_invoice``, an
``UPDATE ... WHERE id = :id AND version = :seen`` that bumps the version. Of two clicks at the same instant
exactly one matches the row; the other gets ``False`` and shows the clicker the current state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_capture.store.models import AuditEvent, ConversationRef, Invoice, Tenant, User, utcnow

ROLES = ("clerk", "approver", "manager", "admin")


async def ensure_tenant(session: AsyncSession, tenant_id: str, name: str = "") -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, name=name)
        session.add(tenant)
        await session.flush()
    return tenant


def configured_role(role_map: dict[str, str] | None, external_id: str, name: str = "") -> str | None:
    """The role settings give this user (by id first, then by display name), or None."""
    if not role_map:
        return None
    role = role_map.get(external_id.casefold()) or (role_map.get(name.casefold()) if name else None)
    return role if role in ROLES else None


def user_is_current(user: User, name: str, channel_user_id: str, role_map: dict[str, str] | None) -> bool:
    """Whether ``upsert_user`` would change nothing (so a read is enough)."""
    role = configured_role(role_map, user.external_id, name or user.name)
    return (not name or user.name == name) and (not channel_user_id or user.channel_user_id == channel_user_id) \
        and (role is None or role == user.role)


async def upsert_user(session: AsyncSession, tenant_id: str, external_id: str, name: str = "",
                      role_map: dict[str, str] | None = None, channel_user_id: str = "") -> User:
    """The user behind an activity; created as a clerk unless the configured role map says otherwise."""
    await ensure_tenant(session, tenant_id)
    user = (await session.execute(select(User).where(User.tenant_id == tenant_id,
                                                     User.external_id == external_id))).scalar_one_or_none()
    configured = configured_role(role_map, external_id, name)
    if user is None:
        user = User(tenant_id=tenant_id, external_id=external_id, name=name or external_id,
                    channel_user_id=channel_user_id, role=configured or "clerk")
        session.add(user)
        await session.flush()
        return user
    if name and user.name != name:
        user.name = name
    if channel_user_id and user.channel_user_id != channel_user_id:
        user.channel_user_id = channel_user_id
    if configured and user.role != configured:
        user.role = configured
    user.last_seen_at = utcnow()
    return user


async def get_user(session: AsyncSession, tenant_id: str, external_id: str) -> User | None:
    return (await session.execute(select(User).where(User.tenant_id == tenant_id,
                                                     User.external_id == external_id))).scalar_one_or_none()


async def channel_user_ids(session: AsyncSession, tenant_id: str, external_ids: Sequence[str]) -> list[str]:
    """Chat-channel ids (Teams "29:...") of these users, in one query; users without one are left out."""
    if not external_ids:
        return []
    rows = await session.execute(select(User.external_id, User.channel_user_id).where(
        User.tenant_id == tenant_id, User.external_id.in_(list(external_ids))))
    found = {ext: ch for ext, ch in rows.all() if ch}
    return [found[x] for x in dict.fromkeys(external_ids) if x in found]


async def users_with_roles(session: AsyncSession, tenant_id: str, roles: Sequence[str]) -> list[User]:
    rows = await session.execute(select(User).where(User.tenant_id == tenant_id, User.role.in_(roles))
                                 .order_by(User.name))
    return list(rows.scalars())


async def set_role(session: AsyncSession, tenant_id: str, external_id: str, role: str, name: str = "") -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user = await upsert_user(session, tenant_id, external_id, name)
    user.role = role
    return user


async def get_invoice(session: AsyncSession, invoice_id: str) -> Invoice | None:
    return await session.get(Invoice, invoice_id, populate_existing=True)


async def find_by_sha(session: AsyncSession, tenant_id: str, sha: str) -> Invoice | None:
    rows = await session.execute(select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.content_sha256 == sha)
                                 .order_by(Invoice.received_at).limit(1))
    return rows.scalar_one_or_none()


async def find_by_number(session: AsyncSession, tenant_id: str, number_norm: str, *,
                         exclude_id: str = "") -> list[Invoice]:
    if not number_norm:
        return []
    rows = await session.execute(select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.invoice_number_norm == number_norm, Invoice.id != exclude_id,
        Invoice.state != "failed").order_by(Invoice.received_at))
    return list(rows.scalars())


async def update_invoice(session: AsyncSession, invoice_id: str, seen_version: int, **values: Any) -> bool:
    """Apply ``values`` only if nobody changed the invoice since ``seen_version``; bumps the version."""
    values.setdefault("updated_at", utcnow())
    result = await session.execute(
        update(Invoice).where(Invoice.id == invoice_id, Invoice.version == seen_version)
        .values(version=Invoice.version + 1, **values).execution_options(synchronize_session=False))
    return result.rowcount == 1


async def list_invoices(session: AsyncSession, tenant_id: str, *, states: Sequence[str] | None = None,
                        vendor: str | None = None, since: dt.datetime | None = None,
                        until: dt.datetime | None = None, limit: int = 50, oldest_first: bool = False
                        ) -> list[Invoice]:
    q = select(Invoice).where(Invoice.tenant_id == tenant_id)
    if states:
        q = q.where(Invoice.state.in_(states))
    if vendor:
        q = q.where(func.lower(Invoice.vendor_name).contains(vendor.casefold()))
    if since is not None:
        q = q.where(Invoice.received_at >= since)
    if until is not None:
        q = q.where(Invoice.received_at < until)
    q = q.order_by(Invoice.received_at.asc() if oldest_first else Invoice.received_at.desc()).limit(limit)
    return list((await session.execute(q)).scalars())


async def count_by_state(session: AsyncSession, tenant_id: str) -> dict[str, int]:
    rows = await session.execute(select(Invoice.state, func.count()).where(Invoice.tenant_id == tenant_id)
                                 .group_by(Invoice.state))
    return {state: n for state, n in rows.all()}


async def unfinished(session: AsyncSession) -> list[Invoice]:
    """Invoices a restart must pick up again: received but never extracted, or cut off mid-extraction."""
    rows = await session.execute(select(Invoice).where(Invoice.state.in_(("received", "extracting")))
                                 .order_by(Invoice.received_at))
    return list(rows.scalars())


async def audit_trail(session: AsyncSession, invoice_id: str) -> list[AuditEvent]:
    rows = await session.execute(select(AuditEvent).where(AuditEvent.invoice_id == invoice_id)
                                 .order_by(AuditEvent.seq))
    return list(rows.scalars())


async def save_conversation(session: AsyncSession, tenant_id: str, conversation_id: str, reference: dict[str, Any],
                            *, conversation_type: str = "personal", user_external_id: str = "") -> None:
    await ensure_tenant(session, tenant_id)
    row = (await session.execute(select(ConversationRef).where(
        ConversationRef.tenant_id == tenant_id, ConversationRef.conversation_id == conversation_id)
    )).scalar_one_or_none()
    if row is None:
        session.add(ConversationRef(tenant_id=tenant_id, conversation_id=conversation_id, reference=reference,
                                    conversation_type=conversation_type, user_external_id=user_external_id))
        await session.flush()
        return
    row.reference = reference
    row.conversation_type = conversation_type
    if user_external_id:
        row.user_external_id = user_external_id
    row.updated_at = utcnow()


async def conversation_is_current(session: AsyncSession, tenant_id: str, conversation_id: str,
                                  reference: dict[str, Any], conversation_type: str, user_external_id: str) -> bool:
    row = (await session.execute(select(ConversationRef).where(
        ConversationRef.tenant_id == tenant_id, ConversationRef.conversation_id == conversation_id)
    )).scalar_one_or_none()
    return row is not None and row.reference == reference and row.conversation_type == conversation_type and (
        not user_external_id or row.user_external_id == user_external_id)


async def personal_conversation(session: AsyncSession, tenant_id: str, user_external_id: str) -> dict[str, Any] | None:
    """The stored 1:1 conversation with a user, for proactive messages (None: the user never talked to the bot)."""
    row = (await session.execute(select(ConversationRef).where(
        ConversationRef.tenant_id == tenant_id, ConversationRef.user_external_id == user_external_id,
        ConversationRef.conversation_type == "personal").order_by(ConversationRef.updated_at.desc()).limit(1)
    )).scalar_one_or_none()
    return row.reference if row else None
