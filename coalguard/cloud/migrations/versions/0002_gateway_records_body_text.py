"""gateway_records: drop digest, body as canonical JSON text

Duplicates are now told from conflicts by comparing the stored record with
the resent one, so the digest column goes. The body is bound as canonical
JSON text (TEXT on SQLite, still JSONB on PostgreSQL).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("gateway_records", schema=None) as batch_op:
        batch_op.drop_column("digest")
        if sqlite:
            batch_op.alter_column(
                "body", existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("gateway_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest", sa.String(length=64), nullable=False, server_default="")
        )
        if sqlite:
            batch_op.alter_column(
                "body", existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False
            )
