"""marshmallow fields and bases every domain's schemas share: times, days, strict bodies, passengers.

Passenger records are validated by the engine's field catalogue (``PassengerField``), so
the catalogue stays the one definition of a passenger; the field reports each problem at
its path inside the request (``passengers[3].booking.checked_bags``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from marshmallow import RAISE, Schema, ValidationError, fields

from engine import PassengerRecord, RecordError, check_record
from engine.errors import group_by_path
from engine.records import EARLIEST, LATEST, REQUIRED_FIELDS, check_instant
from engine.values import DATE_FORMAT, DATETIME_FORMAT, ValueProblem


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
        description = f"A passenger record (docs/fields.md); required: {', '.join(REQUIRED_FIELDS)}"
        # Documented as the catalogue's own schema (engine.json_schema), which api.contract publishes.
        super().__init__(metadata={"description": description, "component": "Passenger"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            _count_passenger_problems(1)
            raise ValidationError("a passenger record must be a JSON object")
        try:
            return SubmittedPassenger(value, check_record(value, REQUIRED_FIELDS))
        except RecordError as exc:
            _count_passenger_problems(len(exc.problems))
            raise ValidationError(group_by_path(exc.problems, "_schema")) from None


_PASSENGER_PROBLEMS = "targeting.passenger_problems"


def _count_passenger_problems(count: int) -> None:
    # Kept in the WSGI environ (as the parsed body is): the console's in-process calls share a context.
    if has_request_context():
        request.environ[_PASSENGER_PROBLEMS] = request.environ.get(_PASSENGER_PROBLEMS, 0) + count


def passenger_problems() -> int:
    """How many problems this request's passenger records had: when they are all a 422's problems, its
    code is ``invalid_passenger``, the code the command line gives the same record."""
    return int(request.environ.get(_PASSENGER_PROBLEMS, 0)) if has_request_context() else 0


class Instant(fields.AwareDateTime):
    """An ISO 8601 date and time, as a UTC instant within the range passenger records keep to.

    Every date-and-time field of a request is one of these, so one out of range (or one whose
    offset takes it past the first or last instant Python can hold) is a 422 naming the field.
    """

    default_error_messages = {  # noqa: RUF012 - marshmallow merges this class attribute with its bases'
        "invalid": f"Not a valid date and time: expected {DATETIME_FORMAT}.",
        "invalid_awareness": f"Not a date and time with a zone: expected {DATETIME_FORMAT}.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_instant(parsed)
        except ValueProblem as exc:
            raise ValidationError(str(exc)) from None


class Day(fields.Date):
    """A date (YYYY-MM-DD) within the range of :class:`Instant`."""

    default_error_messages = {"invalid": f"Not a valid date: expected {DATE_FORMAT}."}  # noqa: RUF012

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


class Timestamp(fields.DateTime):
    """A time in an answer: RFC 3339 in UTC with ``Z`` (``2026-12-03T08:00:00.123456Z``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:  # stored times are UTC; SQLite hands them back naive
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class VersionSchema(Schema):
    """What every version of a versioned document shows of its lifecycle (``api.lifecycle.Lifecycle``)."""

    number = fields.Integer()
    content_hash = fields.String()
    status = fields.String(attribute="lifecycle.status")
    reason = fields.String(attribute="lifecycle.reason")
    author = fields.String(attribute="lifecycle.author")
    created_at = Timestamp(attribute="lifecycle.created_at")
    submitted_by = fields.String(attribute="lifecycle.submitted_by", allow_none=True)
    submitted_at = Timestamp(attribute="lifecycle.submitted_at", allow_none=True)
    approved_by = fields.String(attribute="lifecycle.approved_by", allow_none=True)
    approved_at = Timestamp(attribute="lifecycle.approved_at", allow_none=True)
    activated_by = fields.String(attribute="lifecycle.activated_by", allow_none=True)
    activated_at = Timestamp(attribute="lifecycle.activated_at", allow_none=True)
    retired_by = fields.String(attribute="lifecycle.retired_by", allow_none=True)
    retired_at = Timestamp(attribute="lifecycle.retired_at", allow_none=True)
