"""open data: OCDS releases, stored as published

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:40:00
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ocds_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.String(length=120), nullable=False),
    sa.Column('ocid', sa.String(length=80), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('date', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_ocds_release_tender_id_tender'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocds_release')),
    sa.UniqueConstraint('release_id', name=op.f('uq_ocds_release_release_id'))
    )
    with op.batch_alter_table('ocds_release', schema=None) as batch_op:
        batch_op.create_index('ix_ocds_release_date_id', ['date', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ocds_release_ocid'), ['ocid'], unique=False)
        batch_op.create_index(batch_op.f('ix_ocds_release_tender_id'), ['tender_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ocds_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ocds_release_tender_id'))
        batch_op.drop_index(batch_op.f('ix_ocds_release_ocid'))
        batch_op.drop_index('ix_ocds_release_date_id')
    op.drop_table('ocds_release')
