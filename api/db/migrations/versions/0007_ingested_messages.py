"""ingested messages

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:00:00

The digests of the airline messages ``targeting ingest`` took from a broker or a folder, each
written in the transaction of its decisions: a message delivered again (a worker killed before
its acknowledgement reached the broker) is acknowledged without being evaluated twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingested_messages",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("travellers", sa.Integer(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("ingested_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingested_messages_ingested_at"), ["ingested_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ingested_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingested_messages_ingested_at"))
    op.drop_table("ingested_messages")
