"""Relational model of the store: rules and their versions, rulesets, API keys, decisions, audit log.

Rule versions hold immutable content: a change is a new version; only lifecycle
fields (status, who moved it and when) change on a version row. The audit log is
append-only and hash-chained (``api.audit.log``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Re-exported: the SQL stores read their times through this (the in-memory ones from api.common).
from api.common import as_utc as as_utc


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class RuleRow(Base):
    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    versions: Mapped[list[RuleVersionRow]] = relationship(
        back_populates="rule", order_by="RuleVersionRow.number", lazy="selectin"
    )


class VersionColumns:
    """What every versioned document (a rule, a reference list) keeps of each version: its content
    and the four-eyes lifecycle, draft → submitted → approved → active → retired, who and when."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    activated_by: Mapped[str | None] = mapped_column(String(64))
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by: Mapped[str | None] = mapped_column(String(64))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RuleVersionRow(VersionColumns, Base):
    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "number"),)

    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id"), index=True)
    rule: Mapped[RuleRow] = relationship(back_populates="versions")


class ReferenceListRow(Base):
    """A named reference list (``engine.lists``), owned by one agency, with its versions."""

    __tablename__ = "reference_lists"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    versions: Mapped[list[ReferenceListVersionRow]] = relationship(
        back_populates="list", order_by="ReferenceListVersionRow.number", lazy="selectin"
    )


class ReferenceListVersionRow(VersionColumns, Base):
    """One immutable version of a list, through the same four-eyes lifecycle as a rule version."""

    __tablename__ = "reference_list_versions"
    __table_args__ = (UniqueConstraint("list_name", "number"),)

    list_name: Mapped[str] = mapped_column(ForeignKey("reference_lists.name"), index=True)

    list: Mapped[ReferenceListRow] = relationship(back_populates="versions")


class RulesetRow(Base):
    """One activated set of rule versions; the newest row is the live ruleset."""

    __tablename__ = "rulesets"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), index=True)
    rule_versions: Mapped[list] = mapped_column(JSON)  # [[rule_id, number], ...]
    # The reference list versions its rules were compiled with: a replay uses the same.
    list_versions: Mapped[list] = mapped_column(JSON, default=list)  # [[list name, number], ...]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public part of the key
    secret_hash: Mapped[str] = mapped_column(String(200))  # argon2
    name: Mapped[str] = mapped_column(String(100))
    agency: Mapped[str] = mapped_column(String(16))
    roles: Mapped[str] = mapped_column(String(100))  # comma separated
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_agency_created", "agency", "created_at"),
        Index("ix_decisions_flight", "flight", "flight_date"),
        # With the flight: a day's flights are read from the index alone.
        Index("ix_decisions_arrival", "arrival_at", "flight", "flight_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ruleset_seq: Mapped[int] = mapped_column(Integer)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[str] = mapped_column(String(64))
    passenger_ref: Mapped[str | None] = mapped_column(String(64))  # the system's passenger_id
    flight: Mapped[str | None] = mapped_column(String(8))  # carrier + number, e.g. NZ5
    flight_date: Mapped[dt.date | None] = mapped_column(Date)  # UTC date of scheduled departure
    # The record's flight.scheduled_arrival (UTC), set when stored and kept when the record is purged:
    # a day's arrivals (the worklist) are one indexed range, not every record of the days around it.
    arrival_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    identity_hash: Mapped[str] = mapped_column(String(64), index=True)
    matches: Mapped[list] = mapped_column(JSON)  # [{rule_id, version, weight, action}]
    score: Mapped[float] = mapped_column(Float)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    # none_as_null: a purged (or absent) record is SQL NULL, which "record IS NOT NULL" can see; the
    # default would write the JSON text null, which it cannot.
    record: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # purged after the retention period
    watchlist_version: Mapped[str | None] = mapped_column(String(32))  # the list screened against
    # Of a journey joined from a flight's API and PNR (api.sources): which message gave each field.
    sources: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))


class HitRow(Base):
    """One rule match on one passenger's journey, worked by an officer to a disposition.

    A passenger submitted again (a corrected manifest, a cache hit) is the same hit: the
    outcome is recorded once, on the first decision that produced it.
    """

    __tablename__ = "hits"
    __table_args__ = (
        UniqueConstraint("identity_hash", "flight", "flight_date", "rule_id", name="uq_hits_journey_rule"),
        Index("ix_hits_flight", "flight", "flight_date"),
        Index("ix_hits_rule", "rule_id", "rule_version"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    identity_hash: Mapped[str] = mapped_column(String(64))
    passenger_ref: Mapped[str | None] = mapped_column(String(64))
    flight: Mapped[str | None] = mapped_column(String(8))
    flight_date: Mapped[dt.date | None] = mapped_column(Date)
    rule_id: Mapped[str] = mapped_column(String(32))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    agency: Mapped[str] = mapped_column(String(16), index=True)  # the rule's agency
    weight: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    why: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(64))


class WatchlistEntryRow(Base):
    """One entry of the joint non-compliant list, owned by an agency."""

    __tablename__ = "watchlist_entries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(16), index=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(100), default="")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(3))
    document_number: Mapped[str | None] = mapped_column(String(20))
    document_country: Mapped[str | None] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    expires: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(64))


class WatchlistRevisionRow(Base):
    """A counter bumped by every list change, so each process knows when to rebuild its index."""

    __tablename__ = "watchlist_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SharingGrantRow(Base):
    """``viewer`` agency may see ``owner`` agency's ``what`` (matches or contributed fields)."""

    __tablename__ = "sharing_grants"

    viewer: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner: Mapped[str] = mapped_column(String(16), primary_key=True)
    what: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(64))


class AuditRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(16), index=True)
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(100), index=True)
    before_hash: Mapped[str | None] = mapped_column(String(64))
    after_hash: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's tip. Updating it first serialises appends across processes and databases."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class JourneyPartRow(Base):
    """One agency's part of a journey profile, for running without Redis (where it lives otherwise)."""

    __tablename__ = "journey_parts"

    journey_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency: Mapped[str] = mapped_column(String(16), primary_key=True)
    part: Mapped[dict] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class IngestedMessageRow(Base):
    """An airline message taken from the broker or a folder (``targeting ingest``), by the SHA-256 of its
    body: written in the transaction of its decisions, so a message delivered again records nothing."""

    __tablename__ = "ingested_messages"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # paxlst or pnrgov
    agency: Mapped[str] = mapped_column(String(16))  # the agency its decisions were made for
    travellers: Mapped[int] = mapped_column(Integer)  # travellers read from it
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class FlightSourcesRow(Base):
    """A flight whose API and PNR one agency holds to join them (``api.sources``); every commit moves
    ``version``, and an update is written only at the version it was made from."""

    __tablename__ = "flight_sources"

    agency: Mapped[str] = mapped_column(String(16), primary_key=True)
    flight: Mapped[str] = mapped_column(String(8), primary_key=True)  # carrier + number, e.g. NZ5
    flight_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # UTC date of scheduled departure
    version: Mapped[int] = mapped_column(Integer)
    api_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # the passenger API first came
    pnr_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # the PNR push first came
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class FlightTravellerRow(Base):
    """One traveller of a flight's API or PNR, held until the flight's sources expire: what pairing needs
    (folded names, document: ``messages.journey.Traveller``), looked up by document and by name."""

    __tablename__ = "flight_travellers"
    __table_args__ = (
        Index("ix_flight_travellers_document", "agency", "flight", "flight_date", "document_key"),
        Index("ix_flight_travellers_person", "agency", "flight", "flight_date", "person_key"),
        Index("ix_flight_travellers_booking", "agency", "flight", "flight_date", "booking"),
    )

    agency: Mapped[str] = mapped_column(String(16), primary_key=True)
    flight: Mapped[str] = mapped_column(String(8), primary_key=True)
    flight_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # api:<key> or pnr:<passenger id>
    traveller: Mapped[list] = mapped_column(JSON)
    document_key: Mapped[str | None] = mapped_column(String(80))
    person_key: Mapped[str | None] = mapped_column(Text)  # folded names: transliteration can lengthen them
    passenger_id: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    booking: Mapped[str | None] = mapped_column(String(16))  # the PNR's record locator
    record: Mapped[dict] = mapped_column(JSON)


class FlightJourneyRow(Base):
    """A journey of a flight's held API and PNR as last evaluated: its travellers and decision."""

    __tablename__ = "flight_journeys"
    __table_args__ = (
        Index("ix_flight_journeys_api", "agency", "flight", "flight_date", "api"),
        Index("ix_flight_journeys_pnr", "agency", "flight", "flight_date", "pnr"),
    )

    agency: Mapped[str] = mapped_column(String(16), primary_key=True)
    flight: Mapped[str] = mapped_column(String(8), primary_key=True)
    flight_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    journey: Mapped[str] = mapped_column(String(80), primary_key=True)
    api: Mapped[str | None] = mapped_column(String(80))
    pnr: Mapped[str | None] = mapped_column(String(80))
    digest: Mapped[str] = mapped_column(String(64))
    passenger_id: Mapped[str] = mapped_column(String(64))
    identity_hash: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[str] = mapped_column(String(36))
    matched_by: Mapped[str | None] = mapped_column(String(32))
    ambiguous: Mapped[str | None] = mapped_column(String(32))
