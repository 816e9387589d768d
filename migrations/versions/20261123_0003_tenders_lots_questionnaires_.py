"""tenders, lots, questionnaires, clarifications, decisions, files

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:30:18.134665
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('alert_category',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['service_category.id'], name=op.f('fk_alert_category_category_id_service_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_alert_category_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'category_id', name=op.f('pk_alert_category'))
    )
    op.create_table('alert_district',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_alert_district_district_id_district'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_alert_district_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'district_id', name=op.f('pk_alert_district'))
    )
    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('decision_maker', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=80), nullable=False),
    sa.Column('is_key_decision', sa.Boolean(), nullable=False),
    sa.Column('is_subject_to_call_in', sa.Boolean(), nullable=False),
    sa.Column('is_urgent', sa.Boolean(), nullable=False),
    sa.Column('is_exempt', sa.Boolean(), nullable=False),
    sa.Column('lead_officer', sa.String(length=120), nullable=True),
    sa.Column('division', sa.String(length=120), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decision_text', sa.Text(), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('publication_date', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_decision_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision')),
    sa.UniqueConstraint('number', name=op.f('uq_decision_number'))
    )
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_stored_file_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=False)

    op.create_table('decision_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_decision_document_decision_id_decision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_decision_document_file_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_document'))
    )
    with op.batch_alter_table('decision_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_document_decision_id'), ['decision_id'], unique=False)

    op.create_table('tender',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('estimated_value_pence', sa.BigInteger(), nullable=False),
    sa.Column('procedure', sa.Enum('OPEN', 'COMPETITIVE_FLEXIBLE', name='procedure', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('is_light_touch', sa.Boolean(), nullable=False),
    sa.Column('is_framework', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'PUBLISHED', 'CLOSED', 'EVALUATION', 'AWARDED', 'CANCELLED', name='tender_status', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('clarification_deadline', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answers_by', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('submission_deadline', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('evaluation_date', sa.Date(), nullable=True),
    sa.Column('intended_award_date', sa.Date(), nullable=True),
    sa.Column('standstill_end_date', sa.Date(), nullable=True),
    sa.Column('contract_start_date', sa.Date(), nullable=True),
    sa.Column('quality_weight', sa.Integer(), nullable=False),
    sa.Column('price_weight', sa.Integer(), nullable=False),
    sa.Column('minimum_quality_score', sa.Integer(), nullable=False),
    sa.Column('score_descriptors', sa.JSON(), nullable=False),
    sa.Column('conflicts_assessment', sa.Text(), nullable=True),
    sa.Column('conflicts_assessed_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('conflicts_assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('published_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('evaluation_started_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('awarded_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancellation_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('estimated_value_pence >= 0', name=op.f('ck_tender_value_not_negative')),
    sa.CheckConstraint('quality_weight + price_weight = 100', name=op.f('ck_tender_split_totals_100')),
    sa.CheckConstraint('quality_weight >= 0 AND price_weight >= 0', name=op.f('ck_tender_split_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['service_category.id'], name=op.f('fk_tender_category_id_service_category'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['conflicts_assessed_by_id'], ['user_account.id'], name=op.f('fk_tender_conflicts_assessed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_tender_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_tender_decision_id_decision'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender')),
    sa.UniqueConstraint('reference', name=op.f('uq_tender_reference'))
    )
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index('ix_tender_status_deadline', ['status', 'submission_deadline'], unique=False)

    op.create_table('amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('published_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_amendment_published_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_amendment_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment')),
    sa.UniqueConstraint('tender_id', 'number', name='uq_amendment_tender_number')
    )
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_tender_id'), ['tender_id'], unique=False)

    op.create_table('clarification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', portal.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_clarification_answered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_clarification_asked_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_clarification_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_clarification_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clarification'))
    )
    with op.batch_alter_table('clarification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clarification_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clarification_tender_id'), ['tender_id'], unique=False)

    op.create_table('interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_interest_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user_account.id'], name=op.f('fk_interest_registered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_interest_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest')),
    sa.UniqueConstraint('tender_id', 'organisation_id', name='uq_interest_tender_organisation')
    )
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interest_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_tender_id'), ['tender_id'], unique=False)

    op.create_table('lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('estimated_annual_value_pence', sa.BigInteger(), nullable=False),
    sa.Column('max_providers', sa.Integer(), nullable=False),
    sa.Column('pricing_instructions', sa.Text(), nullable=False),
    sa.CheckConstraint('estimated_annual_value_pence >= 0', name=op.f('ck_lot_value_not_negative')),
    sa.CheckConstraint('max_providers >= 1', name=op.f('ck_lot_appoints_someone')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_lot_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('tender_id', 'number', name='uq_lot_tender_number')
    )
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_tender_id'), ['tender_id'], unique=False)

    op.create_table('questionnaire_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('PASS_FAIL', 'QUALITY', name='question_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_questionnaire_section_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_section'))
    )
    with op.batch_alter_table('questionnaire_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_section_tender_id'), ['tender_id'], unique=False)

    op.create_table('lot_delivery_mode',
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('FACE_TO_FACE', 'OUTREACH', 'VIRTUAL', name='delivery_mode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_lot_delivery_mode_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lot_id', 'mode', name=op.f('pk_lot_delivery_mode'))
    )
    op.create_table('lot_district',
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_lot_district_district_id_district'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_lot_district_lot_id_lot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lot_id', 'district_id', name=op.f('pk_lot_district'))
    )
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('PASS_FAIL', 'QUALITY', name='question_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('word_limit', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('passing_answer', sa.Boolean(), nullable=True),
    sa.CheckConstraint('weight >= 0 AND weight <= 100', name=op.f('ck_question_weight_in_range')),
    sa.CheckConstraint('word_limit IS NULL OR word_limit > 0', name=op.f('ck_question_word_limit_positive')),
    sa.ForeignKeyConstraint(['section_id'], ['questionnaire_section.id'], name=op.f('fk_question_section_id_questionnaire_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_question_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_section_id'), ['section_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('SPECIFICATION', 'TERMS', 'EQUALITY_IMPACT_ASSESSMENT', 'PRICING_TEMPLATE', 'OTHER', name='document_kind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['amendment_id'], ['amendment.id'], name=op.f('fk_tender_document_amendment_id_amendment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_tender_document_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_document_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_document'))
    )
    with op.batch_alter_table('tender_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_document_tender_id'), ['tender_id'], unique=False)

    op.create_table('question_lot',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_question_lot_lot_id_lot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_lot_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'lot_id', name=op.f('pk_question_lot'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replacement_tender_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_agreement_replacement_tender_id'), ['replacement_tender_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_agreement_replacement_tender_id_tender'), 'tender', ['replacement_tender_id'], ['id'], ondelete='SET NULL')




def downgrade() -> None:

    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agreement_replacement_tender_id_tender'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agreement_replacement_tender_id'))
        batch_op.drop_column('replacement_tender_id')

    op.drop_table('question_lot')
    with op.batch_alter_table('tender_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_document_tender_id'))

    op.drop_table('tender_document')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_tender_id'))
        batch_op.drop_index(batch_op.f('ix_question_section_id'))

    op.drop_table('question')
    op.drop_table('lot_district')
    op.drop_table('lot_delivery_mode')
    with op.batch_alter_table('questionnaire_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_section_tender_id'))

    op.drop_table('questionnaire_section')
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_tender_id'))

    op.drop_table('lot')
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interest_tender_id'))
        batch_op.drop_index(batch_op.f('ix_interest_organisation_id'))

    op.drop_table('interest')
    with op.batch_alter_table('clarification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clarification_tender_id'))
        batch_op.drop_index(batch_op.f('ix_clarification_organisation_id'))

    op.drop_table('clarification')
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendment_tender_id'))

    op.drop_table('amendment')
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.drop_index('ix_tender_status_deadline')
        batch_op.drop_index(batch_op.f('ix_tender_decision_id'))
        batch_op.drop_index(batch_op.f('ix_tender_category_id'))

    op.drop_table('tender')
    with op.batch_alter_table('decision_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_document_decision_id'))

    op.drop_table('decision_document')
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))

    op.drop_table('stored_file')
    op.drop_table('decision')
    op.drop_table('alert_district')
    op.drop_table('alert_category')

