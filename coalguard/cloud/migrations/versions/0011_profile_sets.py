"""installed profile sets; the profile-set version of each verdict; provisional verdicts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"  # assigned "0008"; main already holds 0008 -> 0010 (one head)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chk_profile_set",
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("installed_by", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("chk_verdict", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_set", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("cloud_profile_set", sa.String(length=100), nullable=True))
    with op.batch_alter_table("chk_inspection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provisional", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chk_inspection", schema=None) as batch_op:
        batch_op.drop_column("provisional")
    with op.batch_alter_table("chk_verdict", schema=None) as batch_op:
        batch_op.drop_column("cloud_profile_set")
        batch_op.drop_column("profile_set")
    op.drop_table("chk_profile_set")
