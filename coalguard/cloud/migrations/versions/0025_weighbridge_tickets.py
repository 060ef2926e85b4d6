"""mkt_ticket: weighbridge tickets (过磅单) of the sales points (issue 15)

Revision ID: 0025
Revises: 0020
Create Date: 2026-11-26 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0025"
down_revision = "0020"  # assigned "0018"; main holds ... -> 0021 -> 0020
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mkt_ticket",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("serial", sa.String(96), nullable=False, unique=True),
        sa.Column("point_id", sa.Integer(), sa.ForeignKey("mkt_point.id"), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=False),
        sa.Column("scale_id", sa.String(64), nullable=False),
        sa.Column("scale_format", sa.String(32), nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("gross_kg", sa.Numeric(12, 3), nullable=False),
        sa.Column("tare_kg", sa.Numeric(12, 3), nullable=False),
        sa.Column("net_kg", sa.Numeric(12, 3), nullable=False),
        sa.Column("gross_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("tare_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True, unique=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mkt_ticket_point_id", "mkt_ticket", ["point_id"])
    op.create_index("ix_mkt_ticket_region_recorded", "mkt_ticket", ["region_code", "recorded_at"])


def downgrade() -> None:
    op.drop_table("mkt_ticket")
