"""gateway ledger copies and forks

Revision ID: 0002
Revises: 0004 (chained after main's 0004 when merging main)
Create Date: 2026-11-26 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0004"  # assigned "0001"; main already holds 0004 -> 0001
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gw_ledger_entry",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("book", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("corrects", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("hash_ok", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gw_ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gw_ledger_entry_position", ["gateway_id", "book", "seq"], unique=False
        )
    op.create_table(
        "gw_ledger_fork",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("book", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway_id", "book", "seq", name="uq_gw_ledger_fork_position"),
    )
    with op.batch_alter_table("gw_ledger_fork", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gw_ledger_fork_gateway_id"), ["gateway_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gw_ledger_fork", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gw_ledger_fork_gateway_id"))
    op.drop_table("gw_ledger_fork")
    with op.batch_alter_table("gw_ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_gw_ledger_entry_position")
    op.drop_table("gw_ledger_entry")
