"""dlv_* and sub_*: clean-coal delivery ledgers and subsidy payouts; the retrofit history
on hh_household (issue 17)

Revision ID: 0034
Revises: 0029
Create Date: 2026-11-26 22:52:08.684280
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0034"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dlv_reserve",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("stock_t", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dlv_reserve", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_reserve_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "dlv_supplier",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("tender_no", sa.String(length=64), nullable=False),
        sa.Column("tendered_on", sa.Date(), nullable=True),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("contract_signed_on", sa.Date(), nullable=True),
        sa.Column("quality_guarantee", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dlv_supplier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_supplier_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "sub_allocation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("season", sa.String(length=7), nullable=False),
        sa.Column("payer", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("county_code", "season", "payer"),
    )
    op.create_table(
        "sub_payout_list",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("season", sa.String(length=7), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("schemes_version", sa.String(length=40), nullable=False),
        sa.Column("drawn_by", sa.String(length=64), nullable=False),
        sa.Column("drawn_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("township_code", "season", "round"),
    )
    with op.batch_alter_table("sub_payout_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sub_payout_list_township_code"), ["township_code"], unique=False
        )

    op.create_table(
        "dlv_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slip_serial", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("season", sa.String(length=7), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("batch_no", sa.String(length=32), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["hh_household.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["dlv_supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slip_serial", "item"),
    )
    with op.batch_alter_table("dlv_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_delivery_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dlv_delivery_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            "ix_dlv_delivery_village_season", ["village_code", "season"], unique=False
        )

    op.create_table(
        "dlv_register",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("season", sa.String(length=7), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["dlv_supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("village_code", "season"),
    )
    with op.batch_alter_table("dlv_register", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_register_village_code"), ["village_code"], unique=False
        )

    op.create_table(
        "dlv_site",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["dlv_supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("level", "region_code", "name"),
    )
    with op.batch_alter_table("dlv_site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dlv_site_region_code"), ["region_code"], unique=False)

    op.create_table(
        "dlv_summary",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sealed_by", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["dlv_supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supplier_id", "township_code", "month"),
    )
    with op.batch_alter_table("dlv_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_summary_township_code"), ["township_code"], unique=False
        )

    op.create_table(
        "dlv_supplier_user",
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["dlv_supplier.id"],
        ),
        sa.PrimaryKeyConstraint("user_name"),
    )
    with op.batch_alter_table("dlv_supplier_user", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_supplier_user_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "sub_payout_line",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("scheme_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("payer", sa.String(length=16), nullable=False),
        sa.Column("units", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("refusal", sa.String(length=40), nullable=True),
        sa.Column("refusal_params", sa.JSON(), nullable=False),
        sa.Column("slips", sa.JSON(), nullable=False),
        sa.Column("clawback", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["hh_household.id"],
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["sub_payout_list.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sub_payout_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sub_payout_line_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sub_payout_line_list_id"), ["list_id"], unique=False)

    op.create_table(
        "dlv_register_line",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("coal_t", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("stoves", sa.Integer(), nullable=False),
        sa.Column("paid_yuan", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["hh_household.id"],
        ),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["dlv_register.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("register_id", "household_id"),
    )
    with op.batch_alter_table("dlv_register_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_register_line_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dlv_register_line_register_id"), ["register_id"], unique=False
        )

    op.create_table(
        "dlv_register_step",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["dlv_register.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dlv_register_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_register_step_register_id"), ["register_id"], unique=False
        )

    op.create_table(
        "dlv_summary_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["summary_id"],
            ["dlv_summary.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dlv_summary_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dlv_summary_review_summary_id"), ["summary_id"], unique=False
        )

    with op.batch_alter_table("hh_household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retrofit_year", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("retrofit_refused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("construction_paid_season", sa.String(length=7), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("hh_household", schema=None) as batch_op:
        batch_op.drop_column("construction_paid_season")
        batch_op.drop_column("retrofit_refused")
        batch_op.drop_column("retrofit_year")

    with op.batch_alter_table("dlv_summary_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_summary_review_summary_id"))

    op.drop_table("dlv_summary_review")
    with op.batch_alter_table("dlv_register_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_register_step_register_id"))

    op.drop_table("dlv_register_step")
    with op.batch_alter_table("dlv_register_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_register_line_register_id"))
        batch_op.drop_index(batch_op.f("ix_dlv_register_line_household_id"))

    op.drop_table("dlv_register_line")
    with op.batch_alter_table("sub_payout_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sub_payout_line_list_id"))
        batch_op.drop_index(batch_op.f("ix_sub_payout_line_household_id"))

    op.drop_table("sub_payout_line")
    with op.batch_alter_table("dlv_supplier_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_supplier_user_supplier_id"))

    op.drop_table("dlv_supplier_user")
    with op.batch_alter_table("dlv_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_summary_township_code"))

    op.drop_table("dlv_summary")
    with op.batch_alter_table("dlv_site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_site_region_code"))

    op.drop_table("dlv_site")
    with op.batch_alter_table("dlv_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_register_village_code"))

    op.drop_table("dlv_register")
    with op.batch_alter_table("dlv_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_dlv_delivery_village_season")
        batch_op.drop_index(batch_op.f("ix_dlv_delivery_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_dlv_delivery_household_id"))

    op.drop_table("dlv_delivery")
    with op.batch_alter_table("sub_payout_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sub_payout_list_township_code"))

    op.drop_table("sub_payout_list")
    op.drop_table("sub_allocation")
    with op.batch_alter_table("dlv_supplier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_supplier_region_code"))

    op.drop_table("dlv_supplier")
    with op.batch_alter_table("dlv_reserve", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlv_reserve_region_code"))

    op.drop_table("dlv_reserve")
