"""rg_region: region names imported by administrators (issue 16)

Revision ID: 0028
Revises: 0030
Create Date: 2026-11-26 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0028"
down_revision = "0030"  # assigned on "0025"; main holds 0025 -> 0029 -> 0034 -> 0027 -> 0030
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rg_region",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_rg_region_parent_code", "rg_region", ["parent_code"])


def downgrade() -> None:
    op.drop_table("rg_region")
