"""audit: on PostgreSQL, the chain's head read under the chain's lock in one round trip

Every transaction that records an event took the chain's advisory lock and then read
the chain's head: two round trips, on every submission. This function does both in
one call. It is PL/pgSQL and VOLATILE, so at READ COMMITTED its SELECT takes a fresh
snapshot after the lock is granted: it sees the events of the transaction that held
the lock before it (one statement taking the lock and reading the head would read the
head as it stood before waiting). SQLite has no such locks, and no function is made.

The portal's code calls it from this revision on: on PostgreSQL, migrate before the new
code serves (as `make run` and the deploy notes do).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 16:30:00
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.execute(
        """
        CREATE FUNCTION audit_chain_head_locked(lock_key bigint, OUT head_position integer, OUT head_hash varchar)
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_key);
            SELECT position, hash INTO head_position, head_hash
            FROM audit_event WHERE position IS NOT NULL ORDER BY position DESC LIMIT 1;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.execute('DROP FUNCTION audit_chain_head_locked(bigint)')
