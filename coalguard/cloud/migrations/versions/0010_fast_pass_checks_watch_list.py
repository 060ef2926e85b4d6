"""fast-pass report quantities, the report a green lane drew on, the watch list

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-26 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL quantity: a report uploaded before quantities were kept covers no tonnes.
    with op.batch_alter_table("fp_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quantity_t", sa.Float(), nullable=True))
    with op.batch_alter_table("chk_inspection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fast_pass_report_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_chk_inspection_fast_pass_report_id"), ["fast_pass_report_id"]
        )
    op.create_table(
        "chk_watch_plate",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plate", "region_code", name="uq_chk_watch_plate_region"),
    )
    with op.batch_alter_table("chk_watch_plate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chk_watch_plate_plate"), ["plate"])
        batch_op.create_index(batch_op.f("ix_chk_watch_plate_region_code"), ["region_code"])


def downgrade() -> None:
    op.drop_table("chk_watch_plate")
    with op.batch_alter_table("chk_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chk_inspection_fast_pass_report_id"))
        batch_op.drop_column("fast_pass_report_id")
    with op.batch_alter_table("fp_report", schema=None) as batch_op:
        batch_op.drop_column("quantity_t")
