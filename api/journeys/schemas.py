"""Schemas of journey contributions and profiles."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.evaluations.schemas import MatchSchema
from api.http.fields import PassengerField, StrictSchema


class ContributionSchema(StrictSchema):
    passenger = PassengerField(required=True)


class JourneySchema(Schema):
    journey_key = fields.String()
    contributed_by = fields.List(fields.String())
    profile = fields.Dict()
    conflicts = fields.List(fields.Dict())
    score = fields.Float(allow_none=True)
    matches = fields.List(fields.Nested(MatchSchema))
    other_agency_matches = fields.Integer()
    decision_id = fields.String(allow_none=True)
    ruleset_version = fields.String(allow_none=True)
    evaluated_at = fields.String(allow_none=True)
    evaluated = fields.Boolean(metadata={"description": "Whether this contribution changed the profile"})
