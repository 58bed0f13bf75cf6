"""job progress points carry a label (which variant of a comparison, which step of a re-plan)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job_progress', schema=None) as batch_op:
        batch_op.drop_column('label')
