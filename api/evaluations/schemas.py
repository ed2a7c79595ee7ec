"""Schemas of evaluations, manifests (JSON, PAXLST and PNRGOV), decisions, replays and flight lists."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.http.fields import Day, Instant, PassengerField, StrictSchema
from api.sources.schemas import (
    JourneySectionsSchema,
    JourneyViewSchema,
    MessageJourneySchema,
    UnchangedJourneySchema,
)


class EvaluationRequestSchema(StrictSchema):
    passenger = PassengerField()
    passengers = fields.List(PassengerField(), validate=validate.Length(min=1))
    at = Instant(
        default_timezone=None, metadata={"description": "'Now' for rule validity dates; default: the current time"}
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("passenger" in data) == ("passengers" in data):
            raise ValidationError("give either 'passenger' or 'passengers'", "_schema")


class ReasonSchema(Schema):
    """The outcome of a leaf condition: why a rule matched."""

    path = fields.String()
    field = fields.String()
    operator = fields.String()
    expected = fields.Raw()
    actual = fields.Raw()
    watchlist = fields.List(fields.Dict(), metadata={"description": "Entries a watchlist condition matched"})
    leg = fields.Integer(metadata={"description": "Inside any_leg: the position of the leg that satisfied it"})
    withheld = fields.Boolean(
        metadata={
            "description": "Present (true) when the passenger's value came from a contribution the sharing "
            "policy does not show the caller: actual is then null and no watchlist entries are given"
        }
    )


class MatchSchema(Schema):
    rule_id = fields.String()
    rule_version = fields.Integer()
    agency = fields.String()
    title = fields.String()
    weight = fields.Integer()
    action = fields.String()
    why = fields.List(fields.Nested(ReasonSchema))


class PassengerResultSchema(Schema):
    decision_id = fields.String()
    passenger_id = fields.String(allow_none=True)
    flight = fields.String(
        allow_none=True,
        metadata={
            "description": "Carrier and number (NZ5); null: the record cannot be placed on a flight (it lacks "
            "flight.carrier, flight.number or flight.scheduled_departure), so it is on no priority list "
            "but on GET /v1/flights/unplaced"
        },
    )
    flight_date = fields.String(allow_none=True, metadata={"description": "UTC date of scheduled departure"})
    score = fields.Float()
    cached = fields.Boolean()
    matches = fields.List(fields.Nested(MatchSchema))
    other_agency_matches = fields.Integer(
        metadata={"description": "Matches of agencies whose matches the sharing policy does not show the caller"}
    )
    journey = fields.Nested(
        MessageJourneySchema,
        metadata={"description": "Of an airline message's traveller: the journey joined from the flight's API and PNR"},
    )


class RunawaySchema(Schema):
    rule_id = fields.String()
    agency = fields.String()
    matched = fields.Integer()
    passengers = fields.Integer()
    share = fields.Float()


class EvaluationResponseSchema(Schema):
    ruleset_version = fields.String()
    ruleset_seq = fields.Integer()
    watchlist_version = fields.String(allow_none=True)
    evaluated_at = fields.String()
    results = fields.List(fields.Nested(PassengerResultSchema))
    runaway_rules = fields.List(fields.Nested(RunawaySchema))


class DecisionSchema(Schema):
    id = fields.String()
    created_at = fields.String()
    evaluated_at = fields.String()
    ruleset_seq = fields.Integer()
    ruleset_version = fields.String()
    agency = fields.String()
    submitted_by = fields.String()
    passenger_ref = fields.String(allow_none=True)
    identity_hash = fields.String()
    matches = fields.List(fields.Dict())
    other_agency_matches = fields.Integer()
    score = fields.Float()
    cached = fields.Boolean()
    record_retained = fields.Boolean()
    watchlist_version = fields.String(allow_none=True)
    journey = fields.Nested(
        JourneyViewSchema, allow_none=True, metadata={"description": "Joined from a flight's API and PNR: null if not"}
    )


class ReplaySchema(Schema):
    decision_id = fields.String()
    ruleset_version = fields.String()
    recorded = fields.List(fields.Dict())
    replayed = fields.List(fields.Dict())
    same = fields.Boolean()


class ReasonSummarySchema(Schema):
    rule_id = fields.String()
    version = fields.Integer()
    agency = fields.String()
    title = fields.String()
    weight = fields.Integer()
    action = fields.String()


class PriorityRowSchema(Schema):
    rank = fields.Integer()
    decision_id = fields.String()
    passenger_ref = fields.String(allow_none=True)
    score = fields.Float()
    percentile = fields.Float()
    band = fields.String(metadata={"enum": ["high", "elevated", "routine"]})
    top_reasons = fields.List(fields.Nested(ReasonSummarySchema))
    other_agency_matches = fields.Integer()
    journey = fields.Nested(
        JourneySectionsSchema,
        allow_none=True,
        metadata={
            "description": "Joined from a flight's API and PNR (by section; GET /v1/decisions/<id> gives each field): "
            "null if not, or if the sharing policy does not show the caller the agency's contributions"
        },
    )


class PrioritySchema(Schema):
    flight = fields.String()
    date = fields.String()
    passengers = fields.Integer()
    ranked = fields.List(fields.Nested(PriorityRowSchema))


class PaxlstProblemSchema(Schema):
    severity = fields.String()
    segment_number = fields.Integer(allow_none=True)
    code = fields.String()
    message = fields.String()


class MessageResponseSchema(EvaluationResponseSchema):
    """An airline message's answer: ``results`` are the journeys it changed, each evaluated once."""

    unchanged = fields.List(
        fields.Nested(UnchangedJourneySchema),
        metadata={"description": "The message's travellers whose journey it did not change: not evaluated again"},
    )


class PaxlstResponseSchema(MessageResponseSchema):
    message_type = fields.String()
    problems = fields.List(fields.Nested(PaxlstProblemSchema))


class PnrgovResponseSchema(MessageResponseSchema):
    version = fields.String(metadata={"description": "PNRGOV version of the message: 10.1, 11.1 or 13.1"})
    bookings = fields.Integer(metadata={"description": "PNRs read from the message"})
    problems = fields.List(
        fields.Nested(PaxlstProblemSchema), metadata={"description": "The reader's warnings and errors, by segment"}
    )


class FlightListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    date = Day(required=True)


class FlightCountSchema(Schema):
    flight = fields.String()
    date = fields.Date()
    passengers = fields.Integer()


class FlightListSchema(Schema):
    flights = fields.List(fields.Nested(FlightCountSchema))
    unplaced = fields.Integer(
        metadata={"description": "Passengers evaluated that day on no flight (GET /v1/flights/unplaced)"}
    )


class UnplacedRowSchema(PriorityRowSchema):
    missing = fields.List(fields.String(), metadata={"description": "What the record lacks to be placed on a flight"})


class UnplacedSchema(Schema):
    date = fields.String(metadata={"description": "The UTC day the passengers were evaluated"})
    passengers = fields.Integer()
    ranked = fields.List(fields.Nested(UnplacedRowSchema))
