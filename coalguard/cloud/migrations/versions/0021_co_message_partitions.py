"""PostgreSQL: co_message partitioned by kind, then heartbeats by UTC day

Revision ID: 0021
Revises: 0024
Create Date: 2026-11-26 19:30:00

Every row is copied (ids kept); the id becomes 64-bit. SQLite: nothing
changes (one table, the batched retention job). See ``co/partitions.py``.
"""

from __future__ import annotations

from alembic import op

from coalguard.cloud.co import partitions

revision = "0021"
down_revision = "0024"  # assigned "0021" on "0018"; main holds 0018 -> 0023 -> 0024
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql" and not partitions.is_partitioned(conn):
        partitions.partition_messages(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if partitions.is_partitioned(conn):
        partitions.flatten_messages(conn)
