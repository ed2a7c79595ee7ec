"""reference lists

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_lists",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("reference_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_lists_agency"), ["agency"], unique=False)
    op.create_table(
        "reference_list_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_name", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_by", sa.String(length=64), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=64), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["list_name"], ["reference_lists.name"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("list_name", "number"),
    )
    with op.batch_alter_table("reference_list_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_list_versions_list_name"), ["list_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_reference_list_versions_status"), ["status"], unique=False)
    with op.batch_alter_table("rulesets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_versions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("rulesets", schema=None) as batch_op:
        batch_op.drop_column("list_versions")
    with op.batch_alter_table("reference_list_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_list_versions_status"))
        batch_op.drop_index(batch_op.f("ix_reference_list_versions_list_name"))
    op.drop_table("reference_list_versions")
    with op.batch_alter_table("reference_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_lists_agency"))
    op.drop_table("reference_lists")
