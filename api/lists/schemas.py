"""Schemas of reference lists, their versions and differences."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from api.http.fields import MAX_ID, StrictSchema


class ListCreateSchema(StrictSchema):
    list = fields.Dict(
        required=True,
        metadata={"description": "The list document: name, agency, description, type, shared, values (engine.lists)"},
    )
    values_csv = fields.String(
        validate=validate.Length(max=4_000_000),
        metadata={
            "description": "The values as CSV text instead of list.values: the first column of each line, "
            "an optional header 'value' and blank lines skipped (integers for a list of type integer)"
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ListVersionSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String()
    number = fields.Integer()
    status = fields.String()
    reason = fields.String()
    author = fields.String()
    created_at = fields.String(allow_none=True)
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.String(allow_none=True)
    activated_by = fields.String(allow_none=True)
    activated_at = fields.String(allow_none=True)
    retired_by = fields.String(allow_none=True)
    retired_at = fields.String(allow_none=True)
    value_count = fields.Integer()
    content = fields.Dict(metadata={"description": "The list document (absent in a list's history)"})


class ListSummarySchema(Schema):
    name = fields.String()
    agency = fields.String()
    description = fields.String()
    shared = fields.Boolean()
    active_version = fields.Integer(allow_none=True)
    value_count = fields.Integer()


class ListSchema(ListSummarySchema):
    versions = fields.List(fields.Nested(ListVersionSchema))


class ListListSchema(Schema):
    lists = fields.List(fields.Nested(ListSummarySchema))


class ListDiffQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    from_version = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))


class ListDiffSchema(Schema):
    name = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.Dict()
