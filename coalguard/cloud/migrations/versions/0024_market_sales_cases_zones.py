"""mkt_point_clerk, mkt_purchase, mkt_sale, mkt_finding, mkt_case(+_event), mkt_handover,
zone_list, zone_area: sales, findings, cases and zone lists (issue 15)

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-26 19:02:38.729858
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from coalguard.cloud.db import UTCDateTime

revision = "0024"
down_revision = "0023"  # assigned "0024" on "0018"; this branch holds 0023 (marketa15)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zone_list",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_table(
        "mkt_point_clerk",
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["mkt_point.id"],
        ),
        sa.PrimaryKeyConstraint("user_name"),
    )
    with op.batch_alter_table("mkt_point_clerk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mkt_point_clerk_point_id"), ["point_id"], unique=False)

    op.create_table(
        "mkt_purchase",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("quality_report", sa.String(length=200), nullable=False),
        sa.Column("coal_type", sa.String(length=32), nullable=False),
        sa.Column("tonnes", sa.Float(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["mkt_point.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mkt_purchase", schema=None) as batch_op:
        batch_op.create_index("ix_mkt_purchase_point_type", ["point_id", "coal_type"], unique=False)

    op.create_table(
        "mkt_sale",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("serial_no", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=100), nullable=False),
        sa.Column("buyer_address", sa.String(length=300), nullable=False),
        sa.Column("buyer_village", sa.String(length=12), nullable=False),
        sa.Column("buyer_id_sealed", sa.Text(), nullable=False),
        sa.Column("buyer_id_hash", sa.String(length=64), nullable=False),
        sa.Column("buyer_id_masked", sa.String(length=32), nullable=False),
        sa.Column("buyer_phone_sealed", sa.Text(), nullable=False),
        sa.Column("buyer_phone_hash", sa.String(length=64), nullable=False),
        sa.Column("buyer_phone_masked", sa.String(length=32), nullable=False),
        sa.Column("coal_type", sa.String(length=32), nullable=False),
        sa.Column("quantity_t", sa.Float(), nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("quality_report", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_net_t", sa.Float(), nullable=True),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["mkt_point.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mkt_sale", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mkt_sale_buyer_phone_hash"), ["buyer_phone_hash"], unique=False
        )
        batch_op.create_index("ix_mkt_sale_buyer_sold", ["buyer_id_hash", "sold_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mkt_sale_buyer_village"), ["buyer_village"], unique=False
        )
        batch_op.create_index("ix_mkt_sale_point_type", ["point_id", "coal_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_mkt_sale_serial_no"), ["serial_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_mkt_sale_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "zone_area",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("allowed_fuels", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["zone_list.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("zone_area", schema=None) as batch_op:
        batch_op.create_index("ix_zone_area_list_region", ["list_id", "region_code"], unique=False)

    op.create_table(
        "mkt_finding",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("found_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["mkt_alert.id"],
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["mkt_point.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["mkt_sale.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mkt_finding", schema=None) as batch_op:
        batch_op.create_index("ix_mkt_finding_point_found", ["point_id", "found_at"], unique=False)

    op.create_table(
        "mkt_case",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("violation", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("sample_ref", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("step_since", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("overdue_alerted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("seized_t", sa.Float(), nullable=False),
        sa.Column("disposal", sa.Text(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["mkt_finding.id"],
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["mkt_point.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mkt_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mkt_case_point_id"), ["point_id"], unique=False)
        batch_op.create_index("ix_mkt_case_region_status", ["region_code", "status"], unique=False)

    op.create_table(
        "mkt_case_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["mkt_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mkt_case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mkt_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "mkt_handover",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("tonnes", sa.Float(), nullable=False),
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("handed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["mkt_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mkt_handover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mkt_handover_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mkt_handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mkt_handover_case_id"))

    op.drop_table("mkt_handover")
    with op.batch_alter_table("mkt_case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mkt_case_event_case_id"))

    op.drop_table("mkt_case_event")
    with op.batch_alter_table("mkt_case", schema=None) as batch_op:
        batch_op.drop_index("ix_mkt_case_region_status")
        batch_op.drop_index(batch_op.f("ix_mkt_case_point_id"))

    op.drop_table("mkt_case")
    with op.batch_alter_table("mkt_finding", schema=None) as batch_op:
        batch_op.drop_index("ix_mkt_finding_point_found")

    op.drop_table("mkt_finding")
    with op.batch_alter_table("zone_area", schema=None) as batch_op:
        batch_op.drop_index("ix_zone_area_list_region")

    op.drop_table("zone_area")
    with op.batch_alter_table("mkt_sale", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mkt_sale_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_mkt_sale_serial_no"))
        batch_op.drop_index("ix_mkt_sale_point_type")
        batch_op.drop_index(batch_op.f("ix_mkt_sale_buyer_village"))
        batch_op.drop_index("ix_mkt_sale_buyer_sold")
        batch_op.drop_index(batch_op.f("ix_mkt_sale_buyer_phone_hash"))

    op.drop_table("mkt_sale")
    with op.batch_alter_table("mkt_purchase", schema=None) as batch_op:
        batch_op.drop_index("ix_mkt_purchase_point_type")

    op.drop_table("mkt_purchase")
    with op.batch_alter_table("mkt_point_clerk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mkt_point_clerk_point_id"))

    op.drop_table("mkt_point_clerk")
    op.drop_table("zone_list")
