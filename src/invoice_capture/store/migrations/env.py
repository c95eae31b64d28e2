"""Alembic environment: migrations run on the connection the service hands in (see store.db.Database.migrate)."""

from __future__ import annotations

from alembic import context

from invoice_capture.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the service always passes its connection
    raise RuntimeError("Run migrations through invoice_capture.store.db.Database.migrate()")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
