"""co_message_hourly and the (kind, ts) index: the CO retention job

Revision ID: 0019
Revises: 0017
Create Date: 2026-11-26 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "co_message_hourly",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("hour", UTCDateTime(timezone=True), primary_key=True),
        sa.Column("co_min", sa.Float(), nullable=True),
        sa.Column("co_max", sa.Float(), nullable=True),
        sa.Column("co_last", sa.Float(), nullable=True),
        sa.Column("battery_last", sa.Float(), nullable=True),
        sa.Column("last_ts", UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_co_message_kind_ts", "co_message", ["kind", "ts"])


def downgrade() -> None:
    op.drop_index("ix_co_message_kind_ts", table_name="co_message")
    op.drop_table("co_message_hourly")
