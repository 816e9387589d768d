"""audit: the hash chain (position, prev_hash, hash) and the published heads

The existing events are chained in id order (the order they were written), with the
portal's one hash formula (portal.audit.chain.compute_hash). An event's actor may no
longer be deleted (ON DELETE RESTRICT instead of SET NULL): the actor is a hashed field.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 1000


def _backfill() -> None:
    from portal.audit.chain import GENESIS, compute_hash

    events = sa.table(
        'audit_event',
        sa.column('id', sa.Integer()),
        sa.column('occurred_at', portal.db.UtcDateTime()),
        sa.column('actor_id', sa.Integer()),
        sa.column('action', sa.String()),
        sa.column('object_type', sa.String()),
        sa.column('object_id', sa.Integer()),
        sa.column('details', sa.JSON()),
        sa.column('position', sa.Integer()),
        sa.column('prev_hash', sa.String()),
        sa.column('hash', sa.String()),
    )
    update = (
        events.update()
        .where(events.c.id == sa.bindparam('b_id'))
        .values(position=sa.bindparam('b_position'), prev_hash=sa.bindparam('b_prev_hash'), hash=sa.bindparam('b_hash'))
    )
    bind = op.get_bind()
    last_id, position, prev_hash = 0, 0, GENESIS
    while True:
        rows = bind.execute(
            sa.select(
                events.c.id, events.c.occurred_at, events.c.actor_id, events.c.action,
                events.c.object_type, events.c.object_id, events.c.details,
            ).where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        links = []
        for row in rows:
            position += 1
            digest = compute_hash(
                position, row.occurred_at, row.actor_id, row.action, row.object_type, row.object_id,
                row.details, prev_hash,
            )
            links.append({'b_id': row.id, 'b_position': position, 'b_prev_hash': prev_hash, 'b_hash': digest})
            prev_hash, last_id = digest, row.id
        bind.execute(update, links)


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _backfill()

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_position'), ['position'])
        batch_op.drop_constraint(batch_op.f('fk_audit_event_actor_id_user_account'), type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_event_actor_id_user_account'), 'user_account', ['actor_id'], ['id'], ondelete='RESTRICT'
        )

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('published_at', portal.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    sa.UniqueConstraint('day', name=op.f('uq_audit_head_day'))
    )


def downgrade() -> None:
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_event_actor_id_user_account'), type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_event_actor_id_user_account'), 'user_account', ['actor_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.drop_constraint(batch_op.f('uq_audit_event_position'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('position')
