"""The tables, as SQLAlchemy 2 declarative models (one schema for SQLite and PostgreSQL).

JSON columns hold what is naturally a document (the extraction result, the fields after edits, a conversation
reference): they are read and written whole, never queried inside, so the portable ``JSON`` type is enough.
Timestamps are stored in UTC; ``UTCDateTime`` gives them back timezone-aware on both databases (SQLite would
otherwise return naive datetimes and comparisons across the two would break).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: UTCDateTime}


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Entra tenant id, or "local"
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who acts on invoices; ``external_id`` is the Entra object id (or the page's user name)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(128))
    #: The user's id in the chat channel (Teams "29:..." id): Universal Actions refresh lists users by it.
    channel_user_id: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    role: Mapped[str] = mapped_column(String(20), default="clerk")  # clerk | approver | manager | admin
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Vendor(Base):
    """The tenant's vendor master (imported from CSV): invoices are matched to it by tax id, IBAN, then name."""

    __tablename__ = "vendors"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_vendors_tenant_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    iban: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    default_approver: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    """One received document and everything decided about it.

    ``version`` is the optimistic lock: every change is ``UPDATE ... WHERE version = :seen`` and bumps it, so a
    stale card click or a second concurrent click changes nothing (see store.repository).
    """

    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_tenant_state", "tenant_id", "state"),
        Index("ix_invoices_tenant_sha", "tenant_id", "content_sha256"),
        Index("ix_invoices_tenant_number", "tenant_id", "invoice_number_norm"),
        Index("ix_invoices_tenant_vendor_norm", "tenant_id", "vendor_norm"),
        Index("ix_invoices_tenant_vendor_id", "tenant_id", "vendor_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    state: Mapped[str] = mapped_column(String(20), default="received")
    version: Mapped[int] = mapped_column(Integer, default=1)
    filename: Mapped[str] = mapped_column(String(500))
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="teams")  # teams | upload | api | sharepoint | mailbox
    source_ref: Mapped[dict[str, Any]] = mapped_column(default=dict)
    uploaded_by_id: Mapped[str] = mapped_column(String(128), default="")
    uploaded_by_name: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    extracted_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # extraction: the contract's JSON as read, and the fields as they stand after human edits
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    items: Mapped[list[Any]] = mapped_column(default=list)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    error_code: Mapped[str] = mapped_column(String(64), default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    # denormalised for lists, summaries and duplicate checks
    vendor_name: Mapped[str] = mapped_column(String(300), default="")
    invoice_number: Mapped[str] = mapped_column(String(100), default="")
    invoice_number_norm: Mapped[str] = mapped_column(String(100), default="")
    invoice_date: Mapped[str] = mapped_column(String(10), default="")
    total: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="")
    duplicate_of: Mapped[str] = mapped_column(String(36), default="")
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), nullable=True)
    #: The vendor name as duplicate checks compare it (no case, accents, punctuation or legal form).
    vendor_norm: Mapped[str] = mapped_column(String(300), default="")
    #: ``{"vendor_id", "name", "by": tax_id|iban|name, "score"}`` or empty when no master vendor matched.
    vendor_match: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # controls: the HITL gate level (L0..L3) with its reasons in plain words, and the named check findings
    gate_level: Mapped[str] = mapped_column(String(2), default="")
    gate_reasons: Mapped[list[Any]] = mapped_column(default=list)
    checks: Mapped[list[Any]] = mapped_column(default=list)
    # decisions
    decided_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    decided_by_id: Mapped[str] = mapped_column(String(128), default="")
    decided_by_name: Mapped[str] = mapped_column(String(200), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    escalated_to_id: Mapped[str] = mapped_column(String(128), default="")
    escalated_to_name: Mapped[str] = mapped_column(String(200), default="")
    escalated_by_name: Mapped[str] = mapped_column(String(200), default="")
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    #: Reminders sent for the current escalation (0, 1 = the approver again, 2 = the manager too).
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # where the card lives, so it can be replaced in place: [{"conversation_id", "activity_id", "kind"}]
    cards: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Append-only, hash-chained per tenant (``seq`` orders the chain; triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"), Index("ix_audit_invoice", "invoice_id"),
                      Index("ix_audit_tenant_at", "tenant_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    invoice_id: Mapped[str] = mapped_column(String(36), default="")
    actor_id: Mapped[str] = mapped_column(String(128))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class VendorMemory(Base):
    """What clerks taught the reader about one vendor (review/learning.py), found through its identity keys."""

    __tablename__ = "vendor_memories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    memory: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VendorMemoryKey(Base):
    """One identity key ("vendor:12", "tax:DE123...", "iban:...", "name:acme") pointing at a vendor memory."""

    __tablename__ = "vendor_memory_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_vendor_memory_keys"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(400))
    memory_id: Mapped[int] = mapped_column(ForeignKey("vendor_memories.id"), index=True)


class ConversationRef(Base):
    """Where the bot can write to someone later (proactive messages): stored on install and on first contact."""

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("tenant_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str] = mapped_column(String(300))
    conversation_type: Mapped[str] = mapped_column(String(20), default="personal")
    user_external_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    reference: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EngineCallRecord(Base):
    """One call of one extraction engine (issue 6): the status summary's cost (pages) and speed per engine."""

    __tablename__ = "engine_calls"
    __table_args__ = (Index("ix_engine_calls_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(300), default="")
    engine: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100), default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(40), default="ok")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GraphSource(Base):
    """A place Microsoft Graph is watched for invoices (issue 5): a SharePoint/OneDrive drive folder or a mailbox
    (folder), and the Teams conversation its review cards go to. Holds what the watch needs between runs: the change
    subscription (id, expiry, the secret ``client_state`` every notification must carry) and the delta link, so a
    restart or a missed notification resumes exactly where the last sync stopped."""

    __tablename__ = "graph_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # drive | mailbox
    drive_id: Mapped[str] = mapped_column(String(200), default="")
    folder_path: Mapped[str] = mapped_column(String(500), default="")  # "/Invoices" under the drive root
    folder_item_id: Mapped[str] = mapped_column(String(200), default="")  # delta items name their parent by id
    mailbox: Mapped[str] = mapped_column(String(320), default="")
    mail_folder: Mapped[str] = mapped_column(String(200), default="")  # well-known name or id; "" = inbox
    target_conversation_id: Mapped[str] = mapped_column(String(300), default="")
    #: Also take the files/messages already there when the source was added (default: only new ones).
    include_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    subscription_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    subscription_expires_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    client_state: Mapped[str] = mapped_column(String(128), default="")
    delta_link: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="new")  # new | ok | error
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GraphItem(Base):
    """One file taken from a source, under its processing key: (driveItem id, content hash) or (message id,
    attachment id). The unique key is the claim that makes a notification delivered twice, two notifications for
    one file, or a rename/re-save give one invoice and one card, even when two syncs race."""

    __tablename__ = "graph_items"
    __table_args__ = (UniqueConstraint("source_id", "item_key", "content_key", name="uq_graph_items_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[int] = mapped_column(ForeignKey("graph_sources.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(400))
    content_key: Mapped[str] = mapped_column(String(200))
    invoice_id: Mapped[str] = mapped_column(String(36), default="")
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
