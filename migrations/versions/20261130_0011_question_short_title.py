"""bid journey: a question's short title; an answer saved to come back to later

Question.short_title is nullable: existing questions keep none, and the pages
show the first words of the question (cut at a word) in its place, so nothing
has to be guessed for rows already published. BidAnswer.is_complete is true
for every existing answer (each was saved with "Save and continue").

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_title', sa.String(length=80), nullable=True))
    with op.batch_alter_table('bid_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_complete', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('bid_answer', schema=None) as batch_op:
        batch_op.drop_column('is_complete')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('short_title')
