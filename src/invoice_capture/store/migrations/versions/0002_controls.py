"""Controls: gate level, reasons and check findings on invoices, vendor matching, reminders, vendor memories.

New NOT NULL columns carry server defaults so that rows written before this migration read as "not gated yet"
rather than failing the upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vendor_norm', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('vendor_match', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('gate_level', sa.String(length=2), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('gate_reasons', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('checks', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('reminders_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_invoices_tenant_vendor_norm', ['tenant_id', 'vendor_norm'], unique=False)
        batch_op.create_index('ix_invoices_tenant_vendor_id', ['tenant_id', 'vendor_id'], unique=False)
    _fill_vendor_norm()
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_vendors_tenant_name', ['tenant_id', 'name'])
    # summaries and exports read the audit trail by tenant and period
    op.create_index('ix_audit_tenant_at', 'audit_events', ['tenant_id', 'at'], unique=False)
    op.create_table('vendor_memories',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('memory', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vendor_memories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_memories_tenant_id'), ['tenant_id'], unique=False)
    op.create_table('vendor_memory_keys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('memory_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['memory_id'], ['vendor_memories.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'key', name='uq_vendor_memory_keys')
    )
    with op.batch_alter_table('vendor_memory_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_memory_keys_memory_id'), ['memory_id'], unique=False)


def _fill_vendor_norm() -> None:
    """Invoices received before this migration get their normalised vendor name too, or the duplicate checks
    (which find a vendor's earlier invoices by it) would never compare against them."""
    from invoice_capture.review.vendors import normalize_name

    invoices = sa.table('invoices', sa.column('id', sa.String), sa.column('vendor_name', sa.String),
                        sa.column('vendor_norm', sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(invoices.c.id, invoices.c.vendor_name).where(invoices.c.vendor_name != '')).all()
    if rows:
        bind.execute(invoices.update().where(invoices.c.id == sa.bindparam('row_id'))
                     .values(vendor_norm=sa.bindparam('norm')),
                     [{'row_id': i, 'norm': normalize_name(name)[:300]} for i, name in rows])


def downgrade() -> None:
    op.drop_index('ix_audit_tenant_at', table_name='audit_events')
    op.drop_table('vendor_memory_keys')
    op.drop_table('vendor_memories')
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.drop_constraint('uq_vendors_tenant_name', type_='unique')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_tenant_vendor_id')
        batch_op.drop_index('ix_invoices_tenant_vendor_norm')
        for column in ('reminded_at', 'reminders_sent', 'checks', 'gate_reasons', 'gate_level', 'vendor_match',
                       'vendor_norm'):
            batch_op.drop_column(column)
