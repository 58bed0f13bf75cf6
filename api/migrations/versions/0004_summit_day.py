"""the summit day: published plan and clock per summit, publications, published events (SEQUENCE), proposals

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 20:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('summit_states',
    sa.Column('scenario_id', sa.String(length=32), sa.ForeignKey('scenarios.id'), nullable=False),
    sa.Column('published_timetable_id', sa.String(length=32), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('scenario_id'))
    op.create_table('publications',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scenario_id', sa.String(length=32), sa.ForeignKey('scenarios.id'), nullable=False),
    sa.Column('timetable_id', sa.String(length=32), nullable=False),
    sa.Column('previous_timetable_id', sa.String(length=32), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=32), nullable=True),
    sa.Column('past_changes', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_publications_scenario_id', 'publications', ['scenario_id'])
    op.create_table('published_events',
    sa.Column('scenario_id', sa.String(length=32), sa.ForeignKey('scenarios.id'), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('room', sa.String(length=200), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('scenario_id', 'event_id'))
    op.create_table('proposals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('scenario_id', sa.String(length=32), sa.ForeignKey('scenarios.id'), nullable=False),
    sa.Column('base_timetable_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reports', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('unfreeze', sa.JSON(), nullable=True),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_proposals_scenario_id', 'proposals', ['scenario_id'])


def downgrade() -> None:
    op.drop_index('ix_proposals_scenario_id', table_name='proposals')
    op.drop_table('proposals')
    op.drop_table('published_events')
    op.drop_index('ix_publications_scenario_id', table_name='publications')
    op.drop_table('publications')
    op.drop_table('summit_states')
