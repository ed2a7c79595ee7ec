"""Schemas of hits and their dispositions."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from api.http.fields import MAX_ID, Day, StrictSchema, Timestamp


class HitQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    flight = fields.String(validate=validate.Length(min=2, max=8))
    date = Day()
    status = fields.String(
        validate=validate.OneOf(["open", "new", "in_review", "referred", "cleared", "false_match", "offence_found"]),
        metadata={"description": "open: new or in_review"},
    )
    rule_id = fields.String(validate=validate.Length(min=1, max=32))
    passenger_id = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


class HitSchema(Schema):
    id = fields.String()
    decision_id = fields.String()
    passenger_id = fields.String(attribute="passenger_ref", allow_none=True)
    flight = fields.String(allow_none=True)
    flight_date = fields.Date(allow_none=True)
    rule_id = fields.String()
    rule_version = fields.Integer(allow_none=True)
    agency = fields.String()
    weight = fields.Integer()
    action = fields.String()
    why = fields.List(fields.Dict())
    status = fields.String()
    disposition = fields.String(allow_none=True)
    note = fields.String()
    created_at = Timestamp()
    updated_at = Timestamp(allow_none=True)
    updated_by = fields.String(allow_none=True)


class HitListSchema(Schema):
    hits = fields.List(fields.Nested(HitSchema))


class DispositionSchema(StrictSchema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["in_review", "referred", "cleared", "false_match", "offence_found"]),
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))
