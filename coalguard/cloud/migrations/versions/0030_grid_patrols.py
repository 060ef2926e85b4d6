"""ptl_grid, ptl_member, ptl_record, ptl_record_household, ptl_photo, ptl_record_photo,
ptl_alert, ptl_campaign, ptl_campaign_village: grid patrols (issue 16)

Revision ID: 0030
Revises: 0027
Create Date: 2026-11-26 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0030"
down_revision = "0027"  # assigned on "0025"; main holds 0025 -> 0029 -> 0034 -> 0027
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def _lifecycle() -> list[sa.Column]:
    return [
        _time("opened_at"),
        _time("updated_at"),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _time("cleared_at", True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        _time("acknowledged_at", True),
        sa.Column("acknowledged_via", sa.String(16), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        _time("resolved_at", True),
        sa.Column("resolution", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "ptl_grid",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("region_code", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("video_cover", sa.Boolean(), nullable=False),
        _time("created_at"),
    )
    op.create_table(
        "ptl_member",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("ptl_grid.id"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id"), nullable=False),
        sa.Column("grid_role", sa.String(16), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        sa.UniqueConstraint("grid_id", "contact_id", "grid_role"),
    )
    op.create_index("ix_ptl_member_grid_id", "ptl_member", ["grid_id"])
    op.create_index("ix_ptl_member_contact_id", "ptl_member", ["contact_id"])
    op.create_index("ix_ptl_member_user_name", "ptl_member", ["user_name"])
    op.create_table(
        "ptl_campaign",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _time("created_at"),
    )
    op.create_index("ix_ptl_campaign_region_code", "ptl_campaign", ["region_code"])
    op.create_table(
        "ptl_campaign_village",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("ptl_campaign.id"), primary_key=True),
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_by", sa.String(64), nullable=True),
        _time("done_at", True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_table(
        "ptl_record",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("ptl_grid.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("grid_role", sa.String(16), nullable=False),
        sa.Column("patrolled_by", sa.String(64), nullable=False),
        _time("patrolled_at"),
        sa.Column("households_seen", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("loose_coal_found", sa.Boolean(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("ptl_campaign.id"), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True, unique=True),
        _time("recorded_at"),
    )
    op.create_index("ix_ptl_record_region_code", "ptl_record", ["region_code"])
    op.create_index("ix_ptl_record_campaign_id", "ptl_record", ["campaign_id"])
    op.create_index("ix_ptl_record_grid_time", "ptl_record", ["grid_id", "patrolled_at"])
    op.create_table(
        "ptl_record_household",
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("ptl_record.id"), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("hh_household.id"), primary_key=True),
    )
    op.create_index(
        "ix_ptl_record_household_household_id", "ptl_record_household", ["household_id"]
    )
    op.create_table(
        "ptl_photo",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        _time("uploaded_at"),
    )
    op.create_table(
        "ptl_record_photo",
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("ptl_record.id"), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("ptl_photo.sha256"), primary_key=True),
    )
    op.create_table(
        "ptl_alert",
        *_lifecycle(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("ptl_grid.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("leader_contact_id", sa.Integer(), sa.ForeignKey("contact.id"), nullable=True),
    )
    op.create_index("ix_ptl_alert_grid_id", "ptl_alert", ["grid_id"])
    op.create_index("ix_ptl_alert_status", "ptl_alert", ["status"])
    op.create_index("ix_ptl_alert_region_status", "ptl_alert", ["region_code", "status"])


def downgrade() -> None:
    for table in (
        "ptl_alert",
        "ptl_record_photo",
        "ptl_record_household",
        "ptl_photo",
        "ptl_record",
        "ptl_campaign_village",
        "ptl_campaign",
        "ptl_member",
        "ptl_grid",
    ):
        op.drop_table(table)
