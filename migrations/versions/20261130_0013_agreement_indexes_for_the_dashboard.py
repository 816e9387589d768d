"""agreements: indexes that keep the transition dashboard flat as the register grows

The end-date index becomes (end date, organisation, annual value, replacing tender): the
waves and their incumbents in order, counted and summed from the index alone; (organisation, end date)
finds an incumbent's agreements in a wave, for the incumbents still to chase. The start
date is indexed for the public contracts register, which lists newest start first.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_end_date')
        batch_op.create_index('ix_agreement_end_date_organisation', ['end_date', 'organisation_id', 'annual_value_pence', 'replacement_tender_id'], unique=False)
        batch_op.create_index('ix_agreement_organisation_end_date', ['organisation_id', 'end_date'], unique=False)
        batch_op.create_index('ix_agreement_start_date', ['start_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_start_date')
        batch_op.drop_index('ix_agreement_organisation_end_date')
        batch_op.drop_index('ix_agreement_end_date_organisation')
        batch_op.create_index('ix_agreement_end_date', ['end_date'], unique=False)
