"""mail worker: when a failed email may be tried again

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 00:40:00
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outgoing_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', portal.db.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outgoing_email', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
