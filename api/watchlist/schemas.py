"""Schemas of joint watchlist entries, pages, imports and status."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from api.http.fields import MAX_ID, StrictSchema


class WatchlistEntryInputSchema(StrictSchema):
    """An entry as written; the engine checks every field (``screening.parse_entry``)."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    agency = fields.String(metadata={"description": "Defaults to the caller's agency"})
    family_name = fields.String(required=True, validate=validate.Length(max=200))
    given_names = fields.String(load_default="", validate=validate.Length(max=200))
    date_of_birth = fields.String(
        allow_none=True, validate=validate.Length(max=10), metadata={"description": "YYYY-MM-DD, YYYY, or null"}
    )
    nationality = fields.String(allow_none=True, validate=validate.Length(max=3))
    document_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    document_country = fields.String(allow_none=True, validate=validate.Length(max=3))
    category = fields.String(required=True, validate=validate.Length(max=20))
    reason = fields.String(required=True, validate=validate.Length(max=500))
    expires = fields.String(required=True, validate=validate.Length(max=10), metadata={"description": "YYYY-MM-DD"})


class WatchlistEntrySchema(Schema):
    id = fields.String()
    agency = fields.String()
    family_name = fields.String()
    given_names = fields.String()
    date_of_birth = fields.String(allow_none=True)
    nationality = fields.String(allow_none=True)
    document_number = fields.String(allow_none=True)
    document_country = fields.String(allow_none=True)
    category = fields.String()
    reason = fields.String()
    expires = fields.String()


class WatchlistQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    agency = fields.String(validate=validate.OneOf(["customs", "mpi", "immigration"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


class WatchlistPageSchema(Schema):
    total = fields.Integer()
    entries = fields.List(fields.Nested(WatchlistEntrySchema))


class WatchlistImportQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    skip_bad_rows = fields.Boolean(load_default=False)


class WatchlistImportSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    skipped_rows = fields.Integer()
    errors = fields.List(fields.Dict(), metadata={"description": "Every bad row: line, field, message"})
    watchlist_revision = fields.Integer()


class WatchlistStatusSchema(Schema):
    version = fields.String()
    entries = fields.Integer()
    revision = fields.Integer()
    min_score = fields.Float()
