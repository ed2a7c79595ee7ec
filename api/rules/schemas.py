"""Schemas of rules, versions, diffs, rulesets, rule statistics and backtests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.evaluations.schemas import ReasonSchema
from api.http.fields import MAX_ID, Instant, PassengerField, StrictSchema, Timestamp, VersionSchema
from engine.language import AGENCIES


class RuleCreateSchema(StrictSchema):
    rule = fields.Dict(required=True, metadata={"description": "The rule in the pack format", "component": "RuleBody"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReasonOnlySchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RollbackSchema(StrictSchema):
    to_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RuleVersionSchema(VersionSchema):
    rule_id = fields.String()
    content = fields.Dict(metadata={"description": "The rule as written", "component": "RuleBody"})


class RuleSummarySchema(Schema):
    id = fields.String()
    agency = fields.String()
    title = fields.String(allow_none=True)
    created_at = Timestamp()
    created_by = fields.String()
    active_version = fields.Integer(allow_none=True)
    latest_version = fields.Integer(allow_none=True)


class RuleSchema(RuleSummarySchema):
    versions = fields.List(fields.Nested(RuleVersionSchema))


class RuleListSchema(Schema):
    rules = fields.List(fields.Nested(RuleSummarySchema))


class ApprovalSchema(Schema):
    """A rule version awaiting approval."""

    rule_id = fields.String()
    number = fields.Integer()
    title = fields.String(allow_none=True)
    agency = fields.String()
    in_service = fields.Integer(allow_none=True, metadata={"description": "The rule's active version, if any"})
    reason = fields.String()
    author = fields.String()
    created_at = Timestamp()
    submitted_by = fields.String(allow_none=True)
    submitted_at = Timestamp(allow_none=True)
    may_approve = fields.Boolean(
        metadata={"description": "Whether the caller may approve it: an approver who is not its author"}
    )


class ApprovalQueueSchema(Schema):
    versions = fields.List(fields.Nested(ApprovalSchema), metadata={"description": "Oldest submission first"})


class RuleListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    agency = fields.String(validate=validate.OneOf(AGENCIES))


class DiffQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1, max=MAX_ID))
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1, max=MAX_ID))


class DiffSchema(Schema):
    rule_id = fields.String()
    from_version = fields.Integer(data_key="from")
    to_version = fields.Integer(data_key="to")
    changed = fields.List(fields.String())
    diff = fields.String()


class ActivationSchema(Schema):
    version = fields.Nested(RuleVersionSchema)
    ruleset_version = fields.String()
    ruleset_seq = fields.Integer()


class RulesetSchema(Schema):
    seq = fields.Integer()
    version = fields.String()
    rules = fields.Integer()
    rule_versions = fields.List(fields.List(fields.Raw()))


class WindowQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    since = Instant(default_timezone=dt.UTC)
    until = Instant(default_timezone=dt.UTC)


class VersionStatsSchema(Schema):
    version = fields.Integer(allow_none=True)
    hits = fields.Integer()
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer())
    reviewed = fields.Integer()
    precision = fields.Float(allow_none=True)


class RunawayFlightSchema(Schema):
    flight = fields.String()
    date = fields.Date()
    matched = fields.Integer()
    passengers = fields.Integer()
    share = fields.Float()


class RuleStatsSchema(Schema):
    rule_id = fields.String()
    versions = fields.List(fields.Nested(VersionStatsSchema))
    runaway_flights = fields.List(fields.Nested(RunawayFlightSchema))


class BacktestRequestSchema(StrictSchema):
    since = Instant(default_timezone=dt.UTC, metadata={"description": "Default: retention start"})
    until = Instant(default_timezone=dt.UTC, metadata={"description": "Default: now"})
    at = Instant(
        default_timezone=dt.UTC, metadata={"description": "When the rule is evaluated (validity dates); default now"}
    )


class BacktestSchema(Schema):
    rule_id = fields.String()
    version = fields.Integer()
    since = fields.String()
    until = fields.String()
    evaluated = fields.Integer()
    matched = fields.Integer()
    flights = fields.List(fields.Dict())
    sample = fields.List(fields.Dict())


class TryRequestSchema(StrictSchema):
    passengers = fields.List(PassengerField(), validate=validate.Length(min=1, max=100))
    decision_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Decisions of the caller's agency still within retention: their records are tried"},
    )
    at = Instant(
        default_timezone=dt.UTC, metadata={"description": "When the rule is evaluated (validity dates); default now"}
    )

    @validates_schema
    def _some(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "passengers" not in data and "decision_ids" not in data:
            raise ValidationError("give 'passengers' and/or 'decision_ids'", "_schema")
        if len(data.get("passengers", [])) + len(data.get("decision_ids", [])) > 100:
            raise ValidationError("at most 100 passengers in all", "_schema")


class TriedPassengerSchema(Schema):
    passenger_id = fields.String(allow_none=True)
    matched = fields.Boolean()
    why = fields.List(fields.Nested(ReasonSchema))


class TrySchema(Schema):
    rule_id = fields.String()
    version = fields.Integer()
    results = fields.List(fields.Nested(TriedPassengerSchema))
