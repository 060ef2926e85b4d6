"""cw_tip, cw_tip_notice, cw_ledger_item, cw_zone_finding; mkt_case on any subject
(tips, the issue ledger, zone clearance: issue 16)

Revision ID: 0031
Revises: 0028
Create Date: 2026-11-26 22:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0031"
down_revision = "0028"  # assigned on "0025"; main: 0025 -> 0029 -> 0034 -> 0027 -> 0030 -> 0028
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mkt_case", schema=None) as batch_op:
        batch_op.alter_column("point_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("subject_kind", sa.String(16), nullable=False, server_default="point")
        )
        batch_op.add_column(sa.Column("subject_ref", sa.String(100), nullable=True))
    with op.batch_alter_table("mkt_case", schema=None) as batch_op:
        batch_op.alter_column("subject_kind", server_default=None)
    op.create_table(
        "cw_tip",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("contact_sealed", sa.Text(), nullable=True),
        sa.Column("contact_masked", sa.String(40), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("destination", sa.String(300), nullable=False),
        sa.Column("reward_status", sa.String(16), nullable=False),
        sa.Column("reward_note", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("received_by", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mkt_case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cw_tip_case_id", "cw_tip", ["case_id"])
    op.create_index("ix_cw_tip_region_received", "cw_tip", ["region_code", "received_at"])
    op.create_table(
        "cw_tip_notice",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tip_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("notified_by", sa.String(64), nullable=False),
        sa.Column("notified_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tip_id"], ["cw_tip.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cw_tip_notice_tip_id", "cw_tip_notice", ["tip_id"])
    op.create_index("ux_cw_tip_notice", "cw_tip_notice", ["tip_id", "region_code"], unique=True)
    op.create_table(
        "cw_ledger_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("tip_id", sa.Integer(), nullable=True),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("joint", sa.Boolean(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("overdue_alerted", sa.Boolean(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["mkt_case.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["cw_tip.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cw_ledger_item_case_id", "cw_ledger_item", ["case_id"])
    op.create_index("ix_cw_ledger_item_tip_id", "cw_ledger_item", ["tip_id"])
    op.create_index("ix_cw_ledger_region_status", "cw_ledger_item", ["region_code", "status"])
    op.create_table(
        "cw_zone_finding",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("zone_area_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("household_ref", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("found_by", sa.String(64), nullable=False),
        sa.Column("found_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_by", sa.String(64), nullable=True),
        sa.Column("cleared_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("clearance", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["zone_area_id"], ["zone_area.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["hh_household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cw_zone_finding_household_id", "cw_zone_finding", ["household_id"])
    op.create_index("ix_cw_zone_finding_area_status", "cw_zone_finding", ["zone_area_id", "status"])


def downgrade() -> None:
    op.drop_table("cw_zone_finding")
    op.drop_table("cw_ledger_item")
    op.drop_table("cw_tip_notice")
    op.drop_table("cw_tip")
    with op.batch_alter_table("mkt_case", schema=None) as batch_op:
        batch_op.drop_column("subject_ref")
        batch_op.drop_column("subject_kind")
        batch_op.alter_column("point_id", existing_type=sa.Integer(), nullable=False)
