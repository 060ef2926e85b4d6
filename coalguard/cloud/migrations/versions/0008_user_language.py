"""each user's own language for pages and messages

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-26 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0003"  # assigned none; main holds 0001 -> 0004 -> 0002 -> 0003 (one head)
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the user has not chosen; pages and messages are in Chinese.
    with op.batch_alter_table("cloud_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lang", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cloud_user", schema=None) as batch_op:
        batch_op.drop_column("lang")
