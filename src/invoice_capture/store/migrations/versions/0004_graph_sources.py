"""Graph sources (SharePoint folders, mailboxes) with their subscription and delta link, and the files taken
from them under their processing key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('graph_sources',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('drive_id', sa.String(length=200), nullable=False),
    sa.Column('folder_path', sa.String(length=500), nullable=False),
    sa.Column('folder_item_id', sa.String(length=200), nullable=False),
    sa.Column('mailbox', sa.String(length=320), nullable=False),
    sa.Column('mail_folder', sa.String(length=200), nullable=False),
    sa.Column('target_conversation_id', sa.String(length=300), nullable=False),
    sa.Column('include_existing', sa.Boolean(), nullable=False),
    sa.Column('subscription_id', sa.String(length=100), nullable=False),
    sa.Column('subscription_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_state', sa.String(length=128), nullable=False),
    sa.Column('delta_link', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_graph_sources_tenant_id', 'graph_sources', ['tenant_id'])
    op.create_index('ix_graph_sources_subscription_id', 'graph_sources', ['subscription_id'])
    op.create_table('graph_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=400), nullable=False),
    sa.Column('content_key', sa.String(length=200), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['graph_sources.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id', 'item_key', 'content_key', name='uq_graph_items_key')
    )


def downgrade() -> None:
    op.drop_table('graph_items')
    op.drop_index('ix_graph_sources_subscription_id', table_name='graph_sources')
    op.drop_index('ix_graph_sources_tenant_id', table_name='graph_sources')
    op.drop_table('graph_sources')
