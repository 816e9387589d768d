"""bids, submissions, evidence, opening

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:33:41.247240
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('SAFEGUARDING_POLICY', 'INSURANCE', 'DBS_POLICY', 'ACCOUNTS', 'ACCREDITATION', 'OTHER', name='evidence_kind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('reminder_sent_for', sa.Date(), nullable=True),
    sa.Column('archived_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_evidence_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_evidence_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_evidence_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('bid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'WITHDRAWN', name='bid_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('declarations_confirmed_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('declarations_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_bid_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['declarations_confirmed_by_id'], ['user_account.id'], name=op.f('fk_bid_declarations_confirmed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_bid_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_bid_tender_id_tender'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid')),
    sa.UniqueConstraint('tender_id', 'organisation_id', name='uq_bid_tender_organisation')
    )
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_tender_id'), ['tender_id'], unique=False)

    op.create_table('bid_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['officer_id'], ['user_account.id'], name=op.f('fk_bid_opening_officer_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_bid_opening_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_opening')),
    sa.UniqueConstraint('tender_id', 'officer_id', name='uq_bid_opening_officer')
    )
    with op.batch_alter_table('bid_opening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_opening_tender_id'), ['tender_id'], unique=False)

    op.create_table('bid_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_attachment_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_bid_attachment_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_bid_attachment_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_attachment'))
    )
    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_attachment_bid_id'), ['bid_id'], unique=False)

    op.create_table('bid_evidence',
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_evidence_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_bid_evidence_evidence_id_evidence'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('bid_id', 'evidence_id', name=op.f('pk_bid_evidence'))
    )
    op.create_table('bid_lot',
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('price_pence', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('price_pence IS NULL OR price_pence >= 0', name=op.f('ck_bid_lot_price_not_negative')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_lot_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_bid_lot_lot_id_lot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('bid_id', 'lot_id', name=op.f('pk_bid_lot'))
    )
    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_revision', sa.Integer(), nullable=False),
    sa.Column('receipt_reference', sa.String(length=80), nullable=False),
    sa.Column('submitted_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_submission_bid_id_bid'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_submission_submitted_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission')),
    sa.UniqueConstraint('bid_id', 'from_revision', name='uq_submission_revision'),
    sa.UniqueConstraint('bid_id', 'version', name='uq_submission_version'),
    sa.UniqueConstraint('receipt_reference', name=op.f('uq_submission_receipt_reference'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_bid_id'), ['bid_id'], unique=False)

    op.create_table('bid_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('yes_no', sa.Boolean(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_answer_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_bid_answer_question_id_question'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_bid_answer_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_answer')),
    sa.UniqueConstraint('bid_id', 'question_id', name='uq_bid_answer_question')
    )
    with op.batch_alter_table('bid_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_answer_bid_id'), ['bid_id'], unique=False)

    op.create_table('pending_save',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_pending_save_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_pending_save_question_id_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_pending_save_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_save')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_save_token'))
    )
    with op.batch_alter_table('pending_save', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_save_user_id'), ['user_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('pending_save', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_save_user_id'))

    op.drop_table('pending_save')
    with op.batch_alter_table('bid_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_answer_bid_id'))

    op.drop_table('bid_answer')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_bid_id'))

    op.drop_table('submission')
    op.drop_table('bid_lot')
    op.drop_table('bid_evidence')
    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_attachment_bid_id'))

    op.drop_table('bid_attachment')
    with op.batch_alter_table('bid_opening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_opening_tender_id'))

    op.drop_table('bid_opening')
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_tender_id'))
        batch_op.drop_index(batch_op.f('ix_bid_organisation_id'))

    op.drop_table('bid')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_organisation_id'))

    op.drop_table('evidence')

