"""cluster jobs: worker, claim and heartbeat of a job; a comparison's solves (progress labels: 0002)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 15:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('claim', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('job_solves',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('variant', sa.String(length=80), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timetable', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id', 'variant', 'seed', name='uq_job_solve')
    )
    op.create_index(op.f('ix_job_solves_job_id'), 'job_solves', ['job_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_job_solves_job_id'), table_name='job_solves')
    op.drop_table('job_solves')
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('heartbeat_at')
        batch.drop_column('claim')
        batch.drop_column('worker')
