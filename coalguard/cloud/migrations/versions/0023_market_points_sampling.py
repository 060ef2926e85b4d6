"""mkt_point, mkt_plan, mkt_task, mkt_result, mkt_alert: coal-market oversight (issue 15)

Revision ID: 0023
Revises: 0018
Create Date: 2026-11-26 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0023"
down_revision = "0018"
branch_labels = None
depends_on = None


def _lifecycle() -> list[sa.Column]:
    return [
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("cleared_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_via", sa.String(16), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "mkt_point",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("licence", sa.String(64), nullable=True),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("operator_name", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pending_change", sa.String(16), nullable=True),
        sa.Column("pledge_posted", sa.Boolean(), nullable=False),
        sa.Column("pledge_posted_on", sa.Date(), nullable=True),
        sa.Column("facilities", sa.JSON(), nullable=False),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("coal_types", sa.JSON(), nullable=False),
        sa.Column("rectification_reason", sa.Text(), nullable=True),
        sa.Column("rectification_due", sa.Date(), nullable=True),
        sa.Column("rectification_started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rectification_accepted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mkt_point_region_kind", "mkt_point", ["region_code", "kind"])
    op.create_table(
        "mkt_plan",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_mkt_plan_region_year", "mkt_plan", ["region_code", "year"], unique=True)
    op.create_table(
        "mkt_task",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("mkt_plan.id"), nullable=False),
        sa.Column("point_id", sa.Integer(), sa.ForeignKey("mkt_point.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "recheck_of", sa.Integer(), sa.ForeignKey("mkt_task.id"), nullable=True, unique=True
        ),
        sa.Column("coal_type", sa.String(32), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sampler", sa.String(100), nullable=True),
        sa.Column("sample_id", sa.String(64), nullable=True, unique=True),
        sa.Column("seal", sa.String(64), nullable=True),
        sa.Column("sampled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("overdue_alerted", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mkt_task_plan_id", "mkt_task", ["plan_id"])
    op.create_index("ix_mkt_task_point_id", "mkt_task", ["point_id"])
    op.create_index("ix_mkt_task_region_planned", "mkt_task", ["region_code", "planned_on"])
    op.create_table(
        "mkt_result",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("mkt_task.id"), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("lab", sa.String(200), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("profile_id", sa.String(100), nullable=False),
        sa.Column("overall", sa.String(16), nullable=False),
        sa.Column("verdict", sa.JSON(), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mkt_result_task_id", "mkt_result", ["task_id"])
    op.create_table(
        "mkt_alert",
        *_lifecycle(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("point_id", sa.Integer(), sa.ForeignKey("mkt_point.id"), nullable=True),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_mkt_alert_point_id", "mkt_alert", ["point_id"])
    op.create_index("ix_mkt_alert_status", "mkt_alert", ["status"])
    op.create_index("ix_mkt_alert_region_status", "mkt_alert", ["region_code", "status"])


def downgrade() -> None:
    op.drop_table("mkt_alert")
    op.drop_table("mkt_result")
    op.drop_table("mkt_task")
    op.drop_table("mkt_plan")
    op.drop_table("mkt_point")
