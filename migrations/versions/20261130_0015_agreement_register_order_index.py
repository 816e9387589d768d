"""agreements: an index in the register's default order (end date, then reference)

The register's page of rows and its districts and modes were each sorted from every
agreement on every page view; read from this index, a page is the next fifty entries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 15:00:00
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_end_date_reference', ['end_date', 'reference'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_end_date_reference')
