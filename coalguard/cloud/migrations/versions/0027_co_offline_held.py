"""co_device.offline_at: last wills held back while their area may be out

Revision ID: 0027
Revises: 0034
Create Date: 2026-11-26 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0027"
down_revision = "0034"  # assigned on "0025"; main holds 0025 -> 0029 -> 0034
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("co_device", sa.Column("offline_at", UTCDateTime(timezone=True)))
    op.create_index("ix_co_device_offline_held", "co_device", ["offline_at"])


def downgrade() -> None:
    op.drop_index("ix_co_device_offline_held", table_name="co_device")
    op.drop_column("co_device", "offline_at")
