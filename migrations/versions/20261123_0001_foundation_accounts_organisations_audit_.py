"""foundation: accounts, organisations, audit, mail

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 07:18:54.192555
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('district',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district')),
    sa.UniqueConstraint('name', name=op.f('uq_district_name'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('organisation_type', sa.Enum('REGISTERED_CHARITY', 'CIO', 'COMPANY_LIMITED_BY_GUARANTEE', 'COMMUNITY_INTEREST_COMPANY', 'OTHER', name='organisation_type', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('charity_number', sa.String(length=10), nullable=True),
    sa.Column('company_number', sa.String(length=8), nullable=True),
    sa.Column('address_line_1', sa.String(length=120), nullable=True),
    sa.Column('address_line_2', sa.String(length=120), nullable=True),
    sa.Column('town', sa.String(length=80), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('registered_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("registered_at IS NULL OR charity_number IS NOT NULL OR company_number IS NOT NULL OR organisation_type = 'OTHER'", name=op.f('ck_organisation_has_registration_number')),
    sa.CheckConstraint('registered_at IS NULL OR (organisation_type IS NOT NULL AND address_line_1 IS NOT NULL AND town IS NOT NULL AND postcode IS NOT NULL)', name=op.f('ck_organisation_registered_has_address')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('charity_number', name=op.f('uq_organisation_charity_number')),
    sa.UniqueConstraint('company_number', name=op.f('uq_organisation_company_number'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=False)

    op.create_table('outgoing_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_email'))
    )
    with op.batch_alter_table('outgoing_email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_email_sent_at'), ['sent_at'], unique=False)

    op.create_table('organisation_district',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_organisation_district_district_id_district'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_organisation_district_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'district_id', name=op.f('pk_organisation_district'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.Enum('PROVIDER', 'OFFICER', 'EVALUATOR', 'ADMIN', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('is_organisation_admin', sa.Boolean(), nullable=False),
    sa.Column('email_verified_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('deactivated_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_signed_in_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(role = 'PROVIDER' AND (organisation_id IS NOT NULL OR deactivated_at IS NOT NULL)) OR (role <> 'PROVIDER' AND organisation_id IS NULL)", name=op.f('ck_user_account_provider_has_organisation')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_account_email_lowercase')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_user_account_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_user_account_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_organisation_id'))

    op.drop_table('user_account')
    op.drop_table('organisation_district')
    with op.batch_alter_table('outgoing_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_email_sent_at'))

    op.drop_table('outgoing_email')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_name'))

    op.drop_table('organisation')
    op.drop_table('district')

