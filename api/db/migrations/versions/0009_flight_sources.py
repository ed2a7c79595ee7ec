"""flight sources

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 10:00:00

What each agency holds of a flight's API (PAXLST) and PNR (PNRGOV) to join them into one journey per
traveller (``api.sources``), and on each decision of such a journey which message gave each field.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flight_sources",
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("flight", sa.String(length=8), nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "flight", "flight_date"),
    )
    with op.batch_alter_table("flight_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flight_sources_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "flight_source_records",
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("flight", sa.String(length=8), nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("agency", "flight", "flight_date", "name"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("sources")
    op.drop_table("flight_source_records")
    with op.batch_alter_table("flight_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flight_sources_expires_at"))
    op.drop_table("flight_sources")
