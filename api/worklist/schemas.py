"""Schemas of the worklist: its query, and its rows as the domain values (``api.worklist.rows``) dump."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from api.evaluations.schemas import ReasonSchema
from api.http.fields import Day, Timestamp
from api.worklist.paging import SORTS, STATUSES

BANDS = ("high", "elevated", "routine")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


class WorklistQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    date = Day(metadata={"description": "New Zealand arrival date (Pacific/Auckland); default: today there"})
    flight = fields.String(
        validate=validate.Regexp(r"^[A-Z0-9]{2,3}[0-9]{1,4}[A-Z]?$", flags=re.IGNORECASE),
        metadata={"description": "Carrier and number (NZ5)"},
    )
    status = fields.String(
        load_default="open",
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "open: a hit of the caller's agency is new or in_review; closed: all its hits "
            "have a disposition; all: either"
        },
    )
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
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @post_load
    def _codes(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        for name in ("flight", "nationality"):
            if name in data:
                data[name] = data[name].upper()
        return data


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
