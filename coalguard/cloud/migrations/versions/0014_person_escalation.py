"""person-addressed CO notifications (contact, step, attempt, failover, reply code);
how an alert was acknowledged

Revision ID: 0014
Revises: 0016
Create Date: 2026-11-26 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0014"
down_revision = "0016"  # assigned "0009"; main holds 0009 -> 0013 -> 0012 -> 0016
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("co_notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("who", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("contact_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("failover_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("failed_over_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reply_code", sa.String(length=8), nullable=True))
        batch_op.create_index("ix_co_notification_reply_code", ["reply_code"], unique=False)
        batch_op.create_unique_constraint(
            "uq_co_notification_once", ["alert_id", "step", "attempt", "contact_id", "channel"]
        )
    for table in ("co_alert", "chk_alert"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("acknowledged_via", sa.String(length=16), nullable=True))


def downgrade() -> None:
    for table in ("chk_alert", "co_alert"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("acknowledged_via")
    with op.batch_alter_table("co_notification", schema=None) as batch_op:
        batch_op.drop_constraint("uq_co_notification_once", type_="unique")
        batch_op.drop_index("ix_co_notification_reply_code")
        for col in ("reply_code", "failed_over_at", "failover_of", "attempt", "step"):
            batch_op.drop_column(col)
        batch_op.drop_column("contact_id")
        batch_op.drop_column("who")
