"""decision arrival

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:00:00

Each decision keeps its record's scheduled arrival (``flight.scheduled_arrival``, UTC) in a column
indexed with the flight, so the worklist finds the flights arriving on one New Zealand day as one range
and reads their decisions only, instead of every retained record of the three departure days
that can arrive on it. Decisions already stored get theirs from their record; a purged record has none to give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BATCH = 1000


def _arrival(record: Any) -> dt.datetime | None:
    """The record's scheduled arrival in UTC, as the stores read it (``engine.values.parse_datetime``),
    written out here so that this revision means the same whatever the code becomes."""
    flight = record.get("flight") if isinstance(record, dict) else None
    value = flight.get("scheduled_arrival") if isinstance(flight, dict) else None
    if not isinstance(value, str) or not 10 < len(value) <= 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrival_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_decisions_arrival", ["arrival_at", "flight", "flight_date"], unique=False)
    decisions = sa.table(
        "decisions",
        sa.column("id", sa.String()),
        sa.column("record", sa.JSON()),
        sa.column("arrival_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    after = ""
    while True:
        rows = connection.execute(
            sa.select(decisions.c.id, decisions.c.record)
            .where(decisions.c.id > after, decisions.c.record.is_not(None))
            .order_by(decisions.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        found = [{"key": row.id, "arrival": arrival} for row in rows if (arrival := _arrival(row.record))]
        if found:
            connection.execute(
                decisions.update()
                .where(decisions.c.id == sa.bindparam("key"))
                .values(arrival_at=sa.bindparam("arrival")),
                found,
            )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_arrival")
        batch_op.drop_column("arrival_at")
