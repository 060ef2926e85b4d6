"""the provider's message id, the delivery receipt and the last error time of every outgoing message

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-26 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("co_notification", "referral_message")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("provider_id", sa.String(length=128), nullable=True))
            batch_op.add_column(sa.Column("delivery_state", sa.String(length=16), nullable=True))
            batch_op.add_column(
                sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True)
            )
            batch_op.add_column(sa.Column("delivery_detail", sa.Text(), nullable=True))
            batch_op.add_column(
                sa.Column("last_error_at", UTCDateTime(timezone=True), nullable=True)
            )
            batch_op.create_index(f"ix_{table}_provider_id", ["provider_id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_provider_id")
            batch_op.drop_column("last_error_at")
            batch_op.drop_column("delivery_detail")
            batch_op.drop_column("delivered_at")
            batch_op.drop_column("delivery_state")
            batch_op.drop_column("provider_id")
