"""agreements register and ending notices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:18:56.803670
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('notice_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('months_before', sa.Integer(), nullable=False),
    sa.CheckConstraint('months_before > 0 AND months_before <= 24', name=op.f('ck_notice_rule_months_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_rule')),
    sa.UniqueConstraint('months_before', name=op.f('uq_notice_rule_months_before'))
    )
    op.create_table('notice_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notify_on_extension', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_settings'))
    )
    op.create_table('service_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_category')),
    sa.UniqueConstraint('name', name=op.f('uq_service_category_name'))
    )
    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('annual_value_pence', sa.BigInteger(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('original_end_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('annual_value_pence >= 0', name=op.f('ck_agreement_annual_value_not_negative')),
    sa.CheckConstraint('end_date >= original_end_date', name=op.f('ck_agreement_extension_only_later')),
    sa.CheckConstraint('original_end_date >= start_date', name=op.f('ck_agreement_ends_after_start')),
    sa.ForeignKeyConstraint(['category_id'], ['service_category.id'], name=op.f('fk_agreement_category_id_service_category'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_agreement_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement')),
    sa.UniqueConstraint('reference', name=op.f('uq_agreement_reference'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_agreement_end_date', ['end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('agreement_delivery_mode',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('FACE_TO_FACE', 'OUTREACH', 'VIRTUAL', name='delivery_mode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_delivery_mode_agreement_id_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_id', 'mode', name=op.f('pk_agreement_delivery_mode'))
    )
    op.create_table('agreement_district',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_district_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_agreement_district_district_id_district'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('agreement_id', 'district_id', name=op.f('pk_agreement_district'))
    )
    op.create_table('agreement_extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('previous_end_date', sa.Date(), nullable=False),
    sa.Column('new_end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('agreed_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('new_end_date > previous_end_date', name=op.f('ck_agreement_extension_extends_later')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_extension_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_agreement_extension_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_extension'))
    )
    with op.batch_alter_table('agreement_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_extension_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('agreement_spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('amount_pence', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_pence >= 0', name=op.f('ck_agreement_spend_amount_not_negative')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_spend_agreement_id_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_spend')),
    sa.UniqueConstraint('agreement_id', 'financial_year', name='uq_agreement_spend_year')
    )
    op.create_table('ending_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('SCHEDULED', 'EXTENSION', 'MANUAL', 'REPLACEMENT', name='notice_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('schedule_key', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('emailed_to', sa.Integer(), nullable=False),
    sa.Column('read_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('read_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_ending_notice_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ending_notice_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['read_by_id'], ['user_account.id'], name=op.f('fk_ending_notice_read_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_ending_notice_sent_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ending_notice')),
    sa.UniqueConstraint('agreement_id', 'schedule_key', name='uq_ending_notice_schedule')
    )
    with op.batch_alter_table('ending_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ending_notice_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index('ix_ending_notice_org_read', ['organisation_id', 'read_at'], unique=False)

    # The council's starting categories and notice schedule (officers change them later).
    op.bulk_insert(sa.table("service_category", sa.column("name", sa.String)), [
        {"name": "Early Intervention & Prevention"},
        {"name": "Disabled Children's Services"},
        {"name": "16+ Leaving Care"},
    ])
    op.bulk_insert(sa.table("notice_rule", sa.column("months_before", sa.Integer)),
                   [{"months_before": 6}, {"months_before": 3}, {"months_before": 1}])
    op.bulk_insert(sa.table("notice_settings", sa.column("id", sa.Integer), sa.column("notify_on_extension", sa.Boolean)),
                   [{"id": 1, "notify_on_extension": True}])


def downgrade() -> None:

    with op.batch_alter_table('ending_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_ending_notice_org_read')
        batch_op.drop_index(batch_op.f('ix_ending_notice_agreement_id'))

    op.drop_table('ending_notice')
    op.drop_table('agreement_spend')
    with op.batch_alter_table('agreement_extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_extension_agreement_id'))

    op.drop_table('agreement_extension')
    op.drop_table('agreement_district')
    op.drop_table('agreement_delivery_mode')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_organisation_id'))
        batch_op.drop_index('ix_agreement_end_date')
        batch_op.drop_index(batch_op.f('ix_agreement_category_id'))

    op.drop_table('agreement')
    op.drop_table('service_category')
    op.drop_table('notice_settings')
    op.drop_table('notice_rule')

