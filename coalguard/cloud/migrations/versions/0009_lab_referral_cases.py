"""lab referral cases: a failing lab report's case for the air-pollution office, the
messages announcing it, and the profile version of each verdict

Revision ID: 0009
Revises: 0011
Create Date: 2026-11-26 13:03:40
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0009"
down_revision = "0011"  # assigned "0008"; main holds 0008 -> 0010 -> 0011 (one head)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_case",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lab_sample_id", sa.String(length=64), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=True),
        sa.Column("checkpoint_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("office", sa.String(length=400), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("next_reminder_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.Column("packet", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lab_sample_id"),
    )
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_case_inspection_id"), ["inspection_id"], unique=False
        )
        batch_op.create_index(
            "ix_referral_case_region_status", ["region_code", "status"], unique=False
        )

    op.create_table(
        "referral_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["referral_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referral_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_message_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_message_status"), ["status"], unique=False)

    with op.batch_alter_table("chk_verdict", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_version", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chk_verdict", schema=None) as batch_op:
        batch_op.drop_column("profile_version")

    with op.batch_alter_table("referral_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_message_status"))
        batch_op.drop_index(batch_op.f("ix_referral_message_case_id"))

    op.drop_table("referral_message")
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_case_region_status")
        batch_op.drop_index(batch_op.f("ix_referral_case_inspection_id"))

    op.drop_table("referral_case")
