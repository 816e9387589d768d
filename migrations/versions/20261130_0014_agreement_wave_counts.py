"""agreements: the transition dashboard's counts stored per wave (end date), and its incumbents to chase

One row per end date: its agreements and value, and how many of its incumbents were
notified, read a notice, registered, were reached, and are reached in every later wave but
not this one (the providers to chase, summed over the waves still to end); and one row per
incumbent not reached in a wave (with its name, to list them in order), whether it read a
notice and when it was last sent one,
from which the dashboard lists the first providers to chase. Kept current by
the transactions that change them (portal/agreements/waves.py), so that the dashboard reads
a row per wave rather than counting the register. Filled here from the register.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreement_wave',
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('agreements', sa.Integer(), nullable=False),
    sa.Column('value_pence', sa.BigInteger(), nullable=False),
    sa.Column('incumbents', sa.Integer(), nullable=False),
    sa.Column('notified', sa.Integer(), nullable=False),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('last_chased', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('end_date', name=op.f('pk_agreement_wave'))
    )
    op.create_table('agreement_chase',
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('last_sent', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_agreement_chase_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('end_date', 'organisation_id', name=op.f('pk_agreement_chase'))
    )
    with op.batch_alter_table('agreement_chase', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_chase_end_date_name', ['end_date', 'name', 'organisation_id'], unique=False)
        batch_op.create_index('ix_agreement_chase_organisation_end_date', ['organisation_id', 'end_date', 'read', 'last_sent'], unique=False)
    from portal.agreements.waves import refresh

    refresh(op.get_bind())


def downgrade() -> None:
    op.drop_table('agreement_chase')
    op.drop_table('agreement_wave')
