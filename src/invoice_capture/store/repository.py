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

from invoice_capture.review.vendors import VendorRecord, same_tax_id, tax_key
from invoice_capture.store.models import (
    AuditEvent,
    ConversationRef,
    Invoice,
    Tenant,
    User,
    Vendor,
    VendorMemory,
    VendorMemoryKey,
    utcnow,
)

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
                        until: dt.datetime | None = None, limit: int = 50, oldest_first: bool = False,
                        after: tuple[dt.datetime, str] | None = None) -> list[Invoice]:
    """The tenant's invoices by received time (newest first unless ``oldest_first``), ties broken by id so the
    order is total. ``vendor`` is a case-insensitive substring (``%`` and ``_`` match themselves); ``since`` is
    inclusive, ``until`` exclusive. ``after`` is a keyset cursor, the ``(received_at, id)`` of the last row of the
    previous page: the next page starts right after it, and rows arriving meanwhile neither repeat nor shift it."""
    q = select(Invoice).where(Invoice.tenant_id == tenant_id)
    if states:
        q = q.where(Invoice.state.in_(states))
    if vendor:
        q = q.where(func.lower(Invoice.vendor_name).contains(vendor.casefold(), autoescape=True))
    if since is not None:
        q = q.where(Invoice.received_at >= since)
    if until is not None:
        q = q.where(Invoice.received_at < until)
    if after is not None:
        at, last_id = after
        if oldest_first:
            q = q.where((Invoice.received_at > at) | ((Invoice.received_at == at) & (Invoice.id > last_id)))
        else:
            q = q.where((Invoice.received_at < at) | ((Invoice.received_at == at) & (Invoice.id < last_id)))
    order = (Invoice.received_at.asc(), Invoice.id.asc()) if oldest_first else \
        (Invoice.received_at.desc(), Invoice.id.desc())
    q = q.order_by(*order).limit(limit)
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


async def list_escalated(session: AsyncSession) -> list[Invoice]:
    """Escalated invoices of every tenant that may still be owed a reminder (oldest escalation first)."""
    rows = await session.execute(select(Invoice).where(Invoice.state == "escalated", Invoice.reminders_sent < 2)
                                 .order_by(Invoice.escalated_at))
    return list(rows.scalars())


async def mark_reminded(session: AsyncSession, invoice_id: str, step: int, at: dt.datetime) -> None:
    """Record a reminder without bumping the version: it changes nothing a card could be stale about."""
    await session.execute(update(Invoice).where(Invoice.id == invoice_id)
                          .values(reminders_sent=step, reminded_at=at).execution_options(synchronize_session=False))


async def vendor_memory(session: AsyncSession, tenant_id: str, keys: Sequence[str]) -> dict[str, Any] | None:
    """The memory found under the strongest of ``keys`` (they are given strongest first)."""
    if not keys:
        return None
    rows = (await session.execute(select(VendorMemoryKey.key, VendorMemory.memory).join(
        VendorMemory, VendorMemory.id == VendorMemoryKey.memory_id).where(
        VendorMemoryKey.tenant_id == tenant_id, VendorMemoryKey.key.in_(list(keys))))).all()
    found = dict(rows)
    return next((found[k] for k in keys if k in found), None)


async def save_vendor_memory(session: AsyncSession, tenant_id: str, keys: Sequence[str],
                             memory: dict[str, Any]) -> None:
    """Store ``memory`` and point every key at it (a key that pointed at another memory now points here: the
    newest correction is what the clerk meant)."""
    existing = (await session.execute(select(VendorMemoryKey).where(
        VendorMemoryKey.tenant_id == tenant_id, VendorMemoryKey.key.in_(list(keys))))).scalars().all()
    target = next((k.memory_id for k in existing), None)
    row = await session.get(VendorMemory, target) if target is not None else None
    if row is None:
        row = VendorMemory(tenant_id=tenant_id, memory=memory)
        session.add(row)
        await session.flush()
    else:
        row.memory = memory
        row.updated_at = utcnow()
    have = {k.key: k for k in existing}
    for key in keys:
        if key in have:
            have[key].memory_id = row.id
        else:
            session.add(VendorMemoryKey(tenant_id=tenant_id, key=key[:400], memory_id=row.id))
    await session.flush()


async def audit_trail(session: AsyncSession, invoice_id: str, tenant_id: str | None = None) -> list[AuditEvent]:
    """Every audit event of one invoice, in chain order; with ``tenant_id``, only if it belongs to that tenant (an
    id from another tenant yields nothing, whoever asks)."""
    q = select(AuditEvent).where(AuditEvent.invoice_id == invoice_id)
    if tenant_id is not None:
        q = q.where(AuditEvent.tenant_id == tenant_id)
    return list((await session.execute(q.order_by(AuditEvent.seq))).scalars())


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


# ----------------------------------------------------------------------------------------------------------------
# vendors: the tenant's vendor master (`invoice-capture vendors import`, matched in review/vendors.py)


class VendorImport(tuple[int, int]):
    """``(created, updated)`` as a plain tuple, plus what else the import did: vendors removed (``replace``),
    vendors kept although absent from the file because invoices refer to them, and records skipped because they
    would take the name of another vendor. ``kept`` and ``problems`` are sentences for the person importing."""

    removed: int
    kept: tuple[str, ...]
    problems: tuple[str, ...]

    def __new__(cls, created: int, updated: int, *, removed: int = 0, kept: Sequence[str] = (),
                problems: Sequence[str] = ()) -> VendorImport:
        self = super().__new__(cls, (created, updated))
        self.removed, self.kept, self.problems = removed, tuple(kept), tuple(problems)
        return self

    @property
    def created(self) -> int:
        return self[0]

    @property
    def updated(self) -> int:
        return self[1]


def _apply_vendor_record(row: Vendor, rec: VendorRecord) -> None:
    """A non-empty cell overwrites; an empty one keeps what is on file, so a file with only names and tax ids
    cannot wipe the bank details."""
    row.name = rec.name
    if rec.aliases:
        row.aliases = list(rec.aliases)
    for attr in ("tax_id", "iban", "currency", "default_approver"):
        value = getattr(rec, attr)
        if value:
            setattr(row, attr, value)


async def import_vendors(session: AsyncSession, tenant_id: str, records: Sequence[VendorRecord], *,
                         replace: bool = False) -> VendorImport:
    """Upsert vendor records: the same vendor is found by tax id when the record has one, else by name (case
    ignored), so importing the same file twice changes nothing and creates no duplicates.

    ``replace=True`` makes the file the whole master: vendors absent from it are removed, except those invoices
    refer to, which are kept and listed in ``kept`` (removing them would orphan the invoices' history).
    """
    await ensure_tenant(session, tenant_id)
    rows = list((await session.execute(
        select(Vendor).where(Vendor.tenant_id == tenant_id).order_by(Vendor.id))).scalars())
    by_tax: dict[str, list[Vendor]] = {}
    by_name: dict[str, Vendor] = {}
    for row in rows:
        if row.tax_id:
            by_tax.setdefault(tax_key(row.tax_id), []).append(row)
        by_name.setdefault(row.name.casefold(), row)

    problems: list[str] = []
    plan: list[tuple[VendorRecord, Vendor | None]] = []
    matched: set[int] = set()
    for rec in records:
        same_tax = (r for r in by_tax.get(tax_key(rec.tax_id), []) if same_tax_id(r.tax_id, rec.tax_id))
        row = (next(same_tax, None) if rec.tax_id else None) or by_name.get(rec.name.casefold())
        if row is not None and row.id in matched:
            problems.append(f"Skipped {rec.name}: an earlier record in the file is the same vendor ({row.name}).")
            continue
        if row is not None:
            matched.add(row.id)
        plan.append((rec, row))

    removed, kept = 0, []
    if replace:
        absent = [row for row in rows if row.id not in matched]
        refs: dict[int, int] = {}
        if absent:
            refs = {vid: n for vid, n in (await session.execute(
                select(Invoice.vendor_id, func.count()).where(Invoice.vendor_id.in_([r.id for r in absent]))
                .group_by(Invoice.vendor_id))).all()}
        for row in absent:
            if refs.get(row.id):
                n = refs[row.id]
                kept.append(f"Kept {row.name}: it is not in the file, but {n} invoice{'s' if n != 1 else ''} "
                            f"refer{'' if n != 1 else 's'} to it.")
            else:
                await session.delete(row)
                removed += 1
        await session.flush()  # deletes first: a record may take the name a removed vendor had
        rows = [row for row in rows if row.id in matched or refs.get(row.id)]

    names_in_use: dict[str, int | None] = {row.name.casefold(): row.id for row in rows}
    created = updated = 0
    for rec, row in plan:
        key = rec.name.casefold()
        owner = names_in_use.get(key, -1)
        if owner != -1 and (row is None or owner != row.id):
            why = f"its tax id is on file for {row.name}, but " if row is not None else ""
            problems.append(f"Skipped {rec.name}: {why}another vendor is already called {rec.name}. "
                            "Rename or remove one of them.")
            continue
        if row is None:
            session.add(Vendor(tenant_id=tenant_id, name=rec.name, aliases=list(rec.aliases), tax_id=rec.tax_id,
                               iban=rec.iban, currency=rec.currency, default_approver=rec.default_approver))
            names_in_use[key] = None
            created += 1
            continue
        if names_in_use.get(row.name.casefold()) == row.id:
            del names_in_use[row.name.casefold()]
        names_in_use[key] = row.id
        _apply_vendor_record(row, rec)
        updated += 1
    await session.flush()
    return VendorImport(created, updated, removed=removed, kept=kept, problems=problems)


async def list_vendors(session: AsyncSession, tenant_id: str) -> list[Vendor]:
    """The tenant's vendor master, by name."""
    return list((await session.execute(
        select(Vendor).where(Vendor.tenant_id == tenant_id).order_by(func.lower(Vendor.name), Vendor.id))).scalars())


async def get_vendor(session: AsyncSession, tenant_id: str, vendor_id: int) -> Vendor | None:
    """One vendor of this tenant (None for another tenant's id, so ids cannot be probed across tenants)."""
    row = await session.get(Vendor, vendor_id)
    return row if row is not None and row.tenant_id == tenant_id else None


async def conversation_reference(session: AsyncSession, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
    """The stored reference of a channel or chat the bot is in (where a Graph source's cards are posted)."""
    row = (await session.execute(select(ConversationRef).where(
        ConversationRef.tenant_id == tenant_id, ConversationRef.conversation_id == conversation_id)
    )).scalar_one_or_none()
    return row.reference if row else None
