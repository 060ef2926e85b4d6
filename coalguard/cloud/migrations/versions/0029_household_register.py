"""hh_household, hh_verification, co_device.household_id: the household register (issue 16)

Revision ID: 0029
Revises: 0025
Create Date: 2026-11-26 22:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0029"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hh_household",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("head_name_sealed", sa.Text(), nullable=False),
        sa.Column("head_name_masked", sa.String(length=200), nullable=False),
        sa.Column("head_id_sealed", sa.Text(), nullable=True),
        sa.Column("head_id_hash", sa.String(length=64), nullable=True),
        sa.Column("head_id_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("heating_route", sa.String(length=32), nullable=True),
        sa.Column("stove_type", sa.String(length=32), nullable=True),
        sa.Column("hardship", sa.Boolean(), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=True),
        sa.Column("trained_by", sa.String(length=100), nullable=True),
        sa.Column("zone_told_on", sa.Date(), nullable=True),
        sa.Column("retrofit_acceptance", sa.String(length=32), nullable=True),
        sa.Column("pledge_signed_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("head_id_hash"),
    )
    op.create_index("ix_hh_household_village_code", "hh_household", ["village_code"])
    op.create_index("ix_hh_household_village_phone", "hh_household", ["village_code", "phone_hash"])
    op.create_table(
        "hh_verification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["hh_household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hh_verification_household_id", "hh_verification", ["household_id"])
    with op.batch_alter_table("co_device") as batch:
        batch.add_column(sa.Column("household_id", sa.Integer(), nullable=True))
        batch.create_index("ix_co_device_household_id", ["household_id"])


def downgrade() -> None:
    with op.batch_alter_table("co_device") as batch:
        batch.drop_index("ix_co_device_household_id")
        batch.drop_column("household_id")
    op.drop_table("hh_verification")
    op.drop_table("hh_household")
