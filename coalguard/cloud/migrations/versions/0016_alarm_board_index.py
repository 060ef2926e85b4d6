"""index co_alert.updated_at: the live alarm board's "changed since" poll

Revision ID: 0016
Revises: 0012
Create Date: 2026-11-26 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0012"  # assigned "0016" on "0009"; main holds 0009 -> 0013 -> 0012 (one head)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_co_alert_updated_at", "co_alert", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_co_alert_updated_at", table_name="co_alert")
