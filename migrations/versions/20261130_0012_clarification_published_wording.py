"""clarifications: the question's wording as published, and the answer's audience while it is a draft

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clarification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_question', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('is_answer_for_everyone', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clarification', schema=None) as batch_op:
        batch_op.drop_column('is_answer_for_everyone')
        batch_op.drop_column('published_question')
