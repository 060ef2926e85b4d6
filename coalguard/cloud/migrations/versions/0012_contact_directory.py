"""contact directory: contacts with sealed phones, township duty shifts

Revision ID: 0012
Revises: 0013
Create Date: 2026-11-26 16:10:00

Households registered before this revision kept only a hash of their phone:
it cannot be recovered, so they get no contact here (re-register the alarm or
add the contact on the dashboard, docs/contacts.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0012"
down_revision = "0013"  # assigned "0009"; main holds 0009 -> 0013 (one head)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=64), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index("ix_contact_device_id", ["device_id"], unique=False)
        batch_op.create_index("ix_contact_phone_hash", ["phone_hash"], unique=False)
        batch_op.create_index("ix_contact_role_region", ["role", "region_code"], unique=False)
    op.create_table(
        "contact_shift",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_shift", schema=None) as batch_op:
        batch_op.create_index("ix_contact_shift_contact_id", ["contact_id"], unique=False)
        batch_op.create_index(
            "ix_contact_shift_region_time", ["region_code", "starts_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("contact_shift")
    op.drop_table("contact")
