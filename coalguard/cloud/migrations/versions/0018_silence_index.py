"""co_device.last_heard_at + ix_co_device_silence: the silence sweep reads an index

Revision ID: 0018
Revises: 0019
Create Date: 2026-11-26 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0018"
down_revision = "0019"  # assigned "0018" on "0017"; main holds 0017 -> 0019 (one head)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("co_device", sa.Column("last_heard_at", UTCDateTime(timezone=True)))
    # What the sweep computed each second: last state, else registration, for watched alarms.
    op.execute(
        "UPDATE co_device SET last_heard_at = COALESCE(last_state_at, registered_at, first_seen)"
        " WHERE registered OR last_state_at IS NOT NULL"
    )
    op.create_index("ix_co_device_silence", "co_device", ["silent_alerted", "last_heard_at"])


def downgrade() -> None:
    op.drop_index("ix_co_device_silence", table_name="co_device")
    with op.batch_alter_table("co_device") as batch:
        batch.drop_column("last_heard_at")
