"""Schemas of reference lists, their versions and differences."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from api.http.fields import MAX_ID, StrictSchema, VersionSchema


class ListCreateSchema(StrictSchema):
    list = fields.Dict(
        required=True,
        metadata={
            "description": "The list document (engine.lists); values may come as values_csv instead",
            "component": "ReferenceList",
        },
    )
    values_csv = fields.String(
        validate=validate.Length(max=4_000_000),
        metadata={
            "description": "The values as CSV text instead of list.values: the first column of each line, "
            "an optional header 'value' and blank lines skipped (integers for a list of type integer)"
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ListVersionSummarySchema(VersionSchema):
    """A version as a list's history shows it: without its values."""

    name = fields.String()
    value_count = fields.Integer()


class ListVersionSchema(ListVersionSummarySchema):
    content = fields.Dict(metadata={"description": "The list document", "component": "ReferenceList"})


class ListSummarySchema(Schema):
    name = fields.String()
    agency = fields.String()
    description = fields.String()
    shared = fields.Boolean()
    active_version = fields.Integer(allow_none=True)
    value_count = fields.Integer()


class ListSchema(ListSummarySchema):
    versions = fields.List(fields.Nested(ListVersionSummarySchema))


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
