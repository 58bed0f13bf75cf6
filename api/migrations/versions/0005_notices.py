"""notices: subscriptions, the outbox of notices, deliveries (one per notice and subscription) and attempts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_subscriptions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('summit_id', sa.String(length=32), nullable=False),
    sa.Column('delegation', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['summit_id'], ['scenarios.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_notice_subscriptions_summit_id'), 'notice_subscriptions', ['summit_id'], unique=False)
    op.create_table('notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('summit_id', sa.String(length=32), nullable=False),
    sa.Column('publish_id', sa.String(length=64), nullable=False),
    sa.Column('delegation', sa.String(length=64), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['summit_id'], ['scenarios.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('publish_id', 'delegation', name='uq_notice_publish_delegation')
    )
    op.create_index(op.f('ix_notices_summit_id'), 'notices', ['summit_id'], unique=False)
    op.create_index(op.f('ix_notices_publish_id'), 'notices', ['publish_id'], unique=False)
    op.create_table('notice_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['notice_subscriptions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notice_id', 'subscription_id', name='uq_delivery_notice_subscription')
    )
    op.create_index(op.f('ix_notice_deliveries_notice_id'), 'notice_deliveries', ['notice_id'], unique=False)
    op.create_index(op.f('ix_notice_deliveries_subscription_id'), 'notice_deliveries', ['subscription_id'],
                    unique=False)
    op.create_index(op.f('ix_notice_deliveries_status'), 'notice_deliveries', ['status'], unique=False)
    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['notice_deliveries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_delivery_attempts_delivery_id'), 'delivery_attempts', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_delivery_attempts_delivery_id'), table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
    op.drop_index(op.f('ix_notice_deliveries_status'), table_name='notice_deliveries')
    op.drop_index(op.f('ix_notice_deliveries_subscription_id'), table_name='notice_deliveries')
    op.drop_index(op.f('ix_notice_deliveries_notice_id'), table_name='notice_deliveries')
    op.drop_table('notice_deliveries')
    op.drop_index(op.f('ix_notices_publish_id'), table_name='notices')
    op.drop_index(op.f('ix_notices_summit_id'), table_name='notices')
    op.drop_table('notices')
    op.drop_index(op.f('ix_notice_subscriptions_summit_id'), table_name='notice_subscriptions')
    op.drop_table('notice_subscriptions')
