"""calendar feeds of the published plan, built once per publication and served as stored (issue 27 item 5)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('scenario_id', sa.String(length=32), sa.ForeignKey('scenarios.id'), nullable=False),
    sa.Column('audience', sa.String(length=300), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('delegation', sa.String(length=64), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scenario_id', 'audience'))


def downgrade() -> None:
    op.drop_table('calendar_feeds')
