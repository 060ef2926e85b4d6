"""co_outage_member + area/kind indexes: correlated outages as one incident

Revision ID: 0020
Revises: 0021
Create Date: 2026-11-26 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0020"
down_revision = "0021"  # assigned "0020" on "0018"; main holds 0018 -> 0023 -> 0024 -> 0021
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "co_outage_member",
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("co_alert.id"), primary_key=True),
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", UTCDateTime(timezone=True)),
    )
    op.create_index("ix_co_outage_member_open", "co_outage_member", ["released_at", "alert_id"])
    op.create_index("ix_co_alert_kind_status", "co_alert", ["kind", "status"])
    op.create_index(
        "ix_co_device_area_silence", "co_device", ["region_code", "silent_alerted", "last_heard_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_co_device_area_silence", table_name="co_device")
    op.drop_index("ix_co_alert_kind_status", table_name="co_alert")
    op.drop_index("ix_co_outage_member_open", table_name="co_outage_member")
    op.drop_table("co_outage_member")
