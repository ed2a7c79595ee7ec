"""Schemas of the audit log and API keys."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from api.http.fields import MAX_ID, Instant, StrictSchema, Timestamp


class AuditQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    agency = fields.String()
    rule = fields.String(metadata={"description": "A rule id: its versions' entries"})
    object_id = fields.String()
    actor = fields.String()
    since = Instant(default_timezone=None)
    until = Instant(default_timezone=None)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))
    before = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Entries before this one"}
    )
    order = fields.String(
        load_default="oldest",
        validate=validate.OneOf(["oldest", "newest"]),
        metadata={"description": "oldest first (page on with after) or newest first (page on with before)"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = Timestamp()
    actor = fields.String()
    agency = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    before_hash = fields.String(allow_none=True)
    after_hash = fields.String(allow_none=True)
    detail = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class AuditPageSchema(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))
    next_after = fields.Integer(allow_none=True, metadata={"description": "oldest first: the after of the next page"})
    next_before = fields.Integer(allow_none=True, metadata={"description": "newest first: the before of the next page"})


class IdentityViewQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    actor = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "Part of the viewer's label"}
    )
    since = Instant(default_timezone=None)
    until = Instant(default_timezone=None)
    before = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Entries before this one"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class IdentityViewSchema(Schema):
    seq = fields.Integer()
    at = Timestamp()
    actor = fields.String()
    agency = fields.String()
    endpoint = fields.String()
    passengers = fields.Integer(metadata={"description": "How many passengers' identities were shown"})
    decisions = fields.List(fields.String(), metadata={"description": "The decisions whose passengers they were"})


class IdentityViewPageSchema(Schema):
    entries = fields.List(fields.Nested(IdentityViewSchema))
    next_before = fields.Integer(allow_none=True, metadata={"description": "the before of the next page"})


class ChainReportSchema(Schema):
    ok = fields.Boolean()
    entries = fields.Integer()
    first_broken = fields.Integer(allow_none=True)
    reason = fields.String()


class KeyCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    agency = fields.String(required=True)
    roles = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    expires_at = Instant(default_timezone=None, allow_none=True)


class KeySchema(Schema):
    id = fields.String()
    name = fields.String()
    agency = fields.String()
    roles = fields.List(fields.String())
    created_at = Timestamp()
    created_by = fields.String()
    expires_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)


class NewKeySchema(KeySchema):
    key = fields.String(metadata={"description": "The key itself; shown once, never stored"})


class KeyListSchema(Schema):
    keys = fields.List(fields.Nested(KeySchema))


class IdentitySchema(Schema):
    key_id = fields.String(required=True)
    name = fields.String(required=True)
    agency = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
