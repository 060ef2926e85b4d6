"""co_early_receipt: delivery receipts that arrived before their message id was stored

Revision ID: 0017
Revises: 0014
Create Date: 2026-11-26 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "co_early_receipt",
        sa.Column("provider_id", sa.String(128), primary_key=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_co_early_receipt_received_at", "co_early_receipt", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_co_early_receipt_received_at", table_name="co_early_receipt")
    op.drop_table("co_early_receipt")
