"""Schemas of the worklist: its query, and its rows as the domain values (``api.worklist.rows``) dump."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from api.evaluations.schemas import JourneyViewSchema, PriorityRowSchema, PrioritySchema, ReasonSchema
from api.hits.schemas import HitSchema
from api.http.fields import Day, Timestamp
from api.worklist.paging import SORTS, STATUSES

BANDS = ("high", "elevated", "routine")


_STATUS = {
    "description": "open: a hit of the caller's agency is new or in_review; closed: all its hits have a "
    "disposition; all: either (on a priority list, also passengers it has no hit on)"
}


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


class RowQuerySchema(Schema):
    """What chooses, orders and pages a list of passengers: the worklist's and a flight's priority list's."""

    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(STATUSES), metadata=_STATUS)
    band = fields.String(validate=validate.OneOf(BANDS))
    rule = fields.String(validate=validate.Length(min=1, max=32), metadata={"description": "Has a hit of this rule"})
    nationality = fields.String(
        validate=validate.Regexp(r"^[A-Z]{3}$", flags=re.IGNORECASE),
        metadata={"description": "traveller.nationality, ISO 3166-1 alpha-3"},
    )
    q = fields.String(
        validate=[validate.Length(min=1, max=100), _not_blank],
        metadata={"description": "Part of a family or given name (any case, accents folded) or a document number"},
    )
    sort = fields.String(
        load_default="risk",
        validate=validate.OneOf(SORTS),
        metadata={"description": "risk (highest combined score first), arrival (earliest first) or name"},
    )
    cursor = fields.String(
        validate=validate.Length(min=1, max=512), metadata={"description": "next_cursor of the page before"}
    )
    limit = fields.Integer(validate=validate.Range(min=1, max=200))

    @post_load
    def _codes(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        for name in ("flight", "nationality"):
            if name in data:
                data[name] = data[name].upper()
        return data


class WorklistQuerySchema(RowQuerySchema):
    date = Day(metadata={"description": "New Zealand arrival date (Pacific/Auckland); default: today there"})
    flight = fields.String(
        validate=validate.Regexp(r"^[A-Z0-9]{2,3}[0-9]{1,4}[A-Z]?$", flags=re.IGNORECASE),
        metadata={"description": "Carrier and number (NZ5)"},
    )
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES), metadata=_STATUS)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "A decision id on this worklist (whatever its status now): the rows after it, in this "
            "sort; the next passenger after one just worked. Not with cursor"
        },
    )

    @validates_schema
    def _one_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "after" in data and "cursor" in data:
            raise ValidationError("give cursor or after, not both", "after")


class PriorityQuerySchema(RowQuerySchema):
    status = fields.String(load_default="all", validate=validate.OneOf(STATUSES), metadata=_STATUS)
    limit = fields.Integer(
        validate=validate.Range(min=1, max=200), metadata={"description": "Rows per page; default: every row"}
    )


class WorklistDocumentSchema(Schema):
    number = fields.String(allow_none=True)
    issuing_country = fields.String(allow_none=True)


class WorklistIdentitySchema(Schema):
    family_name = fields.String(allow_none=True)
    given_names = fields.String(allow_none=True)
    date_of_birth = fields.String(allow_none=True)
    nationality = fields.String(allow_none=True)
    document = fields.Nested(WorklistDocumentSchema)
    booking_reference = fields.String(allow_none=True)
    seat = fields.String(allow_none=True)


class WorklistRouteSchema(Schema):
    departure_airport = fields.String(allow_none=True)
    arrival_airport = fields.String(allow_none=True)


class WorklistReasonSchema(Schema):
    rule_id = fields.String()
    version = fields.Integer(allow_none=True)
    agency = fields.String()
    title = fields.String()
    weight = fields.Integer()
    action = fields.String()
    why = fields.List(fields.Nested(ReasonSchema))


class WorklistHitSchema(Schema):
    id = fields.String()
    rule_id = fields.String()
    rule_version = fields.Integer(allow_none=True)
    agency = fields.String()
    status = fields.String()


class WorklistRowSchema(Schema):
    decision_id = fields.String()
    passenger_id = fields.String(allow_none=True)
    flight = fields.String()
    identity = fields.Nested(
        WorklistIdentitySchema,
        allow_none=True,
        metadata={
            "description": "Null when the sharing policy withholds the record from the caller: it was sent by an "
            "agency whose contributions the caller's is not granted"
        },
    )
    identity_withheld = fields.Boolean()
    scheduled_arrival = Timestamp()
    scheduled_arrival_local = fields.DateTime(format="iso", metadata={"description": "In Pacific/Auckland"})
    route = fields.Nested(WorklistRouteSchema)
    score = fields.Float()
    percentile = fields.Float(metadata={"description": "Among every passenger arriving that day"})
    band = fields.String(metadata={"enum": list(BANDS)})
    reasons = fields.List(
        fields.Nested(WorklistReasonSchema),
        metadata={"description": "The matches the sharing policy shows the caller (its own first), with why"},
    )
    other_agencies = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Every other agency that matched, and how many of its rules (counts only)"},
    )
    hits = fields.List(
        fields.Nested(WorklistHitSchema),
        metadata={"description": "The caller's agency's hits on the passenger (an auditor's: every agency's)"},
    )


class WorklistPageSchema(Schema):
    date = fields.Date(metadata={"description": "The New Zealand arrival date"})
    sort = fields.String()
    arriving = fields.Integer(metadata={"description": "Passengers arriving that day, whose relative risk is ranked"})
    total = fields.Integer(metadata={"description": "Rows matching the filters, on every page"})
    rows = fields.List(fields.Nested(WorklistRowSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page"})


class ArrivalsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    date = Day(metadata={"description": "New Zealand arrival date (Pacific/Auckland); default: today there"})


class ArrivalSchema(Schema):
    flight = fields.String()
    departure_date = fields.Date(metadata={"description": "UTC date of scheduled departure (names its priority list)"})
    route = fields.Nested(WorklistRouteSchema)
    scheduled_arrival = Timestamp()
    scheduled_arrival_local = fields.DateTime(format="iso", metadata={"description": "In Pacific/Auckland"})
    passengers = fields.Integer(metadata={"description": "Passengers arriving on it that day"})
    bands = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Passengers in each band of the flight's priority list"},
    )
    open_hits = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Open hits (new or in review) of each agency whose matches the caller sees"},
    )


class ArrivalsSchema(Schema):
    date = fields.Date(metadata={"description": "The New Zealand arrival date"})
    flights = fields.List(fields.Nested(ArrivalSchema), metadata={"description": "Earliest arrival first"})


class StandingSchema(Schema):
    rank = fields.Integer()
    passengers = fields.Integer()
    percentile = fields.Float()
    band = fields.String(metadata={"enum": list(BANDS)})


class PassengerReasonSchema(Schema):
    rule_id = fields.String()
    version = fields.Integer(allow_none=True)
    agency = fields.String()
    title = fields.String()
    weight = fields.Integer()
    action = fields.String()


class PassengerPageSchema(Schema):
    decision_id = fields.String()
    passenger_id = fields.String(allow_none=True)
    flight = fields.String(allow_none=True)
    departure_date = fields.Date(allow_none=True)
    identity = fields.Nested(
        WorklistIdentitySchema,
        allow_none=True,
        metadata={"description": "Null when the record is purged or the sharing policy withholds it"},
    )
    identity_withheld = fields.Boolean()
    record_retained = fields.Boolean()
    scheduled_arrival = Timestamp(allow_none=True)
    scheduled_arrival_local = fields.DateTime(format="iso", allow_none=True)
    route = fields.Nested(WorklistRouteSchema)
    score = fields.Float()
    standing = fields.Nested(
        StandingSchema, allow_none=True, metadata={"description": "Rank and band on the flight's priority list"}
    )
    reasons = fields.List(
        fields.Nested(PassengerReasonSchema),
        metadata={"description": "The matches the sharing policy shows the caller, its own agency's first"},
    )
    other_agencies = fields.Dict(keys=fields.String(), values=fields.Integer())
    hits = fields.List(
        fields.Nested(HitSchema), metadata={"description": "The journey's hits the caller may see, with why"}
    )
    superseded_by = fields.String(
        allow_none=True, metadata={"description": "The passenger's newer decision, when they were evaluated again"}
    )
    journey = fields.Nested(
        JourneyViewSchema,
        allow_none=True,
        metadata={
            "description": "Joined from the flight's API and PNR: which message gave each section and where they "
            "disagree; null if not joined, or when the sharing policy withholds the sending agency's contributions"
        },
    )


class FlightRowSchema(PriorityRowSchema):
    identity = fields.Nested(
        WorklistIdentitySchema,
        allow_none=True,
        metadata={"description": "Null when the record is purged or the sharing policy withholds it"},
    )
    identity_withheld = fields.Boolean()
    hits = fields.List(
        fields.Nested(WorklistHitSchema),
        metadata={"description": "The caller's agency's hits on the passenger (an auditor's: every agency's)"},
    )


class FlightPrioritySchema(PrioritySchema):
    bands = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Passengers in each band"}
    )
    total = fields.Integer(metadata={"description": "Rows matching the filters, on every page"})
    ranked = fields.List(fields.Nested(FlightRowSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page"})
