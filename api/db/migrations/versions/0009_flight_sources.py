"""flight sources

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00

What each agency holds of a flight's API (PAXLST) and PNR (PNRGOV) to join them into one journey per
traveller (``api.sources``): the flight, its travellers, its journeys as last evaluated; and on each
decision of such a journey, which message gave each field.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_FLIGHT = ("agency", "flight", "flight_date")


def _flight_columns() -> list[sa.Column]:
    return [
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("flight", sa.String(length=8), nullable=False),
        sa.Column("flight_date", sa.Date(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "flight_sources",
        *_flight_columns(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("api_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pnr_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*_FLIGHT),
    )
    with op.batch_alter_table("flight_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flight_sources_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "flight_travellers",
        *_flight_columns(),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("traveller", sa.JSON(), nullable=False),
        sa.Column("document_key", sa.String(length=80), nullable=True),
        sa.Column("person_key", sa.Text(), nullable=True),
        sa.Column("passenger_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("booking", sa.String(length=16), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(*_FLIGHT, "name"),
    )
    with op.batch_alter_table("flight_travellers", schema=None) as batch_op:
        batch_op.create_index("ix_flight_travellers_document", [*_FLIGHT, "document_key"], unique=False)
        batch_op.create_index("ix_flight_travellers_person", [*_FLIGHT, "person_key"], unique=False)
        batch_op.create_index("ix_flight_travellers_booking", [*_FLIGHT, "booking"], unique=False)
    op.create_table(
        "flight_journeys",
        *_flight_columns(),
        sa.Column("journey", sa.String(length=80), nullable=False),
        sa.Column("api", sa.String(length=80), nullable=True),
        sa.Column("pnr", sa.String(length=80), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("passenger_id", sa.String(length=64), nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("matched_by", sa.String(length=32), nullable=True),
        sa.Column("ambiguous", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint(*_FLIGHT, "journey"),
    )
    with op.batch_alter_table("flight_journeys", schema=None) as batch_op:
        batch_op.create_index("ix_flight_journeys_api", [*_FLIGHT, "api"], unique=False)
        batch_op.create_index("ix_flight_journeys_pnr", [*_FLIGHT, "pnr"], unique=False)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("sources")
    with op.batch_alter_table("flight_journeys", schema=None) as batch_op:
        batch_op.drop_index("ix_flight_journeys_pnr")
        batch_op.drop_index("ix_flight_journeys_api")
    op.drop_table("flight_journeys")
    with op.batch_alter_table("flight_travellers", schema=None) as batch_op:
        batch_op.drop_index("ix_flight_travellers_booking")
        batch_op.drop_index("ix_flight_travellers_person")
        batch_op.drop_index("ix_flight_travellers_document")
    op.drop_table("flight_travellers")
    with op.batch_alter_table("flight_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flight_sources_expires_at"))
    op.drop_table("flight_sources")
