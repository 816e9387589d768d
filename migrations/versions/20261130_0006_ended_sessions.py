"""accounts: sessions ended by signing out

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ended_session',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ended_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_ended_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ended_session'))
    )
    with op.batch_alter_table('ended_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ended_session_ended_at'), ['ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ended_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ended_session_ended_at'))
    op.drop_table('ended_session')
