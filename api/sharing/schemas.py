"""Schemas of the sharing policy between agencies."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.http.fields import StrictSchema


class SharingGrantSchema(StrictSchema):
    share = fields.List(
        fields.String(validate=validate.OneOf(["matches", "contributions"])),
        required=True,
        validate=validate.Length(max=2),
        metadata={"description": "What the viewer may see of the owner's data; [] revokes"},
    )


class SharingPolicySchema(Schema):
    default = fields.String()
    grants = fields.List(fields.Dict())
