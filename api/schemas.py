"""marshmallow schemas: the edge's validation and the OpenAPI document come from these.

Passenger records are validated by the engine's field catalogue (``PassengerField``), so
the catalogue stays the one definition of a passenger; the field reports each problem at
its path inside the request (``passengers[3].booking.checked_bags``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from engine import PassengerRecord, RecordError, check_record
from engine.catalogue import CATALOGUE, FieldType
from engine.errors import group_by_path
from engine.language import AGENCIES
from engine.records import EARLIEST, LATEST, REQUIRED_FIELDS, check_instant
from engine.values import ValueProblem

_JSON_TYPES = {
    FieldType.STRING: {"type": "string"},
    FieldType.CODE: {"type": "string"},
    FieldType.INTEGER: {"type": "integer"},
    FieldType.DECIMAL: {"type": "string", "format": "decimal"},
    FieldType.BOOLEAN: {"type": "boolean"},
    FieldType.DATE: {"type": "string", "format": "date"},
    FieldType.DATETIME: {"type": "string", "format": "date-time"},
}


def passenger_json_schema() -> dict[str, Any]:
    """The passenger record as JSON Schema, generated from the catalogue, for the OpenAPI document."""
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for name, field in CATALOGUE.items():
        if field.derived:
            continue
        schema = dict(_JSON_TYPES[field.type], description=field.description)
        if field.choices:
            schema["enum"] = list(field.choices)
        elif field.pattern:
            schema["pattern"] = f"^{field.pattern}$"
        if "." in name:
            section, key = name.split(".", 1)
            sections.setdefault(section, {"type": "object", "additionalProperties": False, "properties": {}})
            sections[section]["properties"][key] = schema
        else:
            top[name] = schema
    leg = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "airport": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "arrival": {"type": "string", "format": "date-time"},
            "departure": {"type": "string", "format": "date-time"},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(REQUIRED_FIELDS),
        "properties": {**top, **sections, "itinerary": {"type": "array", "items": leg}},
    }


@dataclass(frozen=True)
class SubmittedPassenger:
    """A passenger as submitted (kept for replay) and as checked (what the engine evaluates)."""

    raw: dict[str, Any]
    record: PassengerRecord


class PassengerField(fields.Dict):
    """A passenger record, checked against the engine's catalogue once, here at the edge.

    It must carry at least ``engine.records.REQUIRED_FIELDS`` (its ``passenger_id``).
    """

    def __init__(self, **kwargs: Any) -> None:
        description = f"A passenger record (see docs/fields.md); required: {', '.join(REQUIRED_FIELDS)}"
        super().__init__(metadata={"description": description}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("a passenger record must be a JSON object")
        try:
            return SubmittedPassenger(value, check_record(value, REQUIRED_FIELDS))
        except RecordError as exc:
            raise ValidationError(group_by_path(exc.problems, "_schema")) from None


class Instant(fields.AwareDateTime):
    """An ISO 8601 date and time, as a UTC instant within the range passenger records keep to.

    Every date-and-time field of a request is one of these, so one out of range (or one whose
    offset takes it past the first or last instant Python can hold) is a 422 naming the field.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_instant(parsed)
        except ValueProblem as exc:
            raise ValidationError(str(exc)) from None


class Day(fields.Date):
    """A date (YYYY-MM-DD) within the range of :class:`Instant`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            check_instant(dt.datetime.combine(parsed, dt.time(), dt.UTC))
        except ValueProblem:
            raise ValidationError(f"date out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})") from None
        return parsed


#: Largest number accepted for sequence numbers and versions (a 32-bit column everywhere).
MAX_ID = 2**31 - 1


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


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


class RuleCreateSchema(StrictSchema):
    rule = fields.Dict(required=True, metadata={"description": "The rule in the pack format"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReasonOnlySchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RollbackSchema(StrictSchema):
    to_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RuleVersionSchema(Schema):
    rule_id = fields.String()
    number = fields.Integer()
    status = fields.String()
    content = fields.Dict()
    content_hash = fields.String()
    reason = fields.String()
    author = fields.String()
    created_at = fields.String()
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.String(allow_none=True)
    activated_by = fields.String(allow_none=True)
    activated_at = fields.String(allow_none=True)
    retired_by = fields.String(allow_none=True)
    retired_at = fields.String(allow_none=True)


class RuleSummarySchema(Schema):
    id = fields.String()
    agency = fields.String()
    title = fields.String(allow_none=True)
    created_at = fields.String()
    created_by = fields.String()
    active_version = fields.Integer(allow_none=True)
    latest_version = fields.Integer(allow_none=True)


class RuleSchema(RuleSummarySchema):
    versions = fields.List(fields.Nested(RuleVersionSchema))


class RuleListSchema(Schema):
    rules = fields.List(fields.Nested(RuleSummarySchema))


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


class ReplaySchema(Schema):
    decision_id = fields.String()
    ruleset_version = fields.String()
    recorded = fields.List(fields.Dict())
    replayed = fields.List(fields.Dict())
    same = fields.Boolean()


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
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.String()
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
    next_after = fields.Integer(allow_none=True)


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
    created_at = fields.String()
    created_by = fields.String()
    expires_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)


class NewKeySchema(KeySchema):
    key = fields.String(metadata={"description": "The key itself; shown once, never stored"})


class KeyListSchema(Schema):
    keys = fields.List(fields.Nested(KeySchema))


class RulesetSchema(Schema):
    seq = fields.Integer()
    version = fields.String()
    rules = fields.Integer()
    rule_versions = fields.List(fields.List(fields.Raw()))


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


class PaxlstResponseSchema(EvaluationResponseSchema):
    message_type = fields.String()
    problems = fields.List(fields.Nested(PaxlstProblemSchema))


# --- joint targeting ------------------------------------------------------------------------


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


class HitQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    flight = fields.String(validate=validate.Length(min=2, max=8))
    date = Day()
    status = fields.String(
        validate=validate.OneOf(["new", "in_review", "referred", "cleared", "false_match", "offence_found"])
    )
    rule_id = fields.String(validate=validate.Length(min=1, max=32))
    passenger_id = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


class HitSchema(Schema):
    id = fields.String()
    decision_id = fields.String()
    passenger_id = fields.String(allow_none=True)
    flight = fields.String(allow_none=True)
    flight_date = fields.String(allow_none=True)
    rule_id = fields.String()
    rule_version = fields.Integer(allow_none=True)
    agency = fields.String()
    weight = fields.Integer()
    action = fields.String()
    why = fields.List(fields.Dict())
    status = fields.String()
    disposition = fields.String(allow_none=True)
    note = fields.String()
    created_at = fields.String()
    updated_at = fields.String(allow_none=True)
    updated_by = fields.String(allow_none=True)


class HitListSchema(Schema):
    hits = fields.List(fields.Nested(HitSchema))


class DispositionSchema(StrictSchema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["in_review", "referred", "cleared", "false_match", "offence_found"]),
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class WindowQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    since = Instant(default_timezone=dt.UTC)
    until = Instant(default_timezone=dt.UTC)


class RuleStatsSchema(Schema):
    rule_id = fields.String()
    versions = fields.List(fields.Dict())
    runaway_flights = fields.List(fields.Dict())


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


class FlightListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    date = Day(required=True)


class FlightListSchema(Schema):
    flights = fields.List(fields.Dict())
    unplaced = fields.Integer(
        metadata={"description": "Passengers evaluated that day on no flight (GET /v1/flights/unplaced)"}
    )


class UnplacedRowSchema(PriorityRowSchema):
    missing = fields.List(fields.String(), metadata={"description": "What the record lacks to be placed on a flight"})


class UnplacedSchema(Schema):
    date = fields.String(metadata={"description": "The UTC day the passengers were evaluated"})
    passengers = fields.Integer()
    ranked = fields.List(fields.Nested(UnplacedRowSchema))


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
