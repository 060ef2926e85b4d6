"""dashboard login sessions; audit entries keep their actor's region

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 10:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cloud_login_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["cloud_user.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("cloud_login_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloud_login_session_user_id"), ["user_id"], unique=False
        )
    # Entries written before this revision have no known region: national admins only.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor_region", sa.String(length=12), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_audit_log_actor_region"), ["actor_region"])


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_region"))
        batch_op.drop_column("actor_region")
    with op.batch_alter_table("cloud_login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloud_login_session_user_id"))
    op.drop_table("cloud_login_session")
