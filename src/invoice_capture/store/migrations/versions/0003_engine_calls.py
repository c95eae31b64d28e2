"""Engine calls: one row per extraction engine call (engine, model, duration, pages, outcome) per tenant.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('engine_calls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('file', sa.String(length=300), nullable=False),
    sa.Column('engine', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_engine_calls_tenant_at', 'engine_calls', ['tenant_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_engine_calls_tenant_at', table_name='engine_calls')
    op.drop_table('engine_calls')
