"""What building passenger records from any airline message shares: values as the catalogue
writes them, sections without empty values, and ``check_record`` with each field it refuses
dropped and reported (never quoting a personal value)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.catalogue import CATALOGUE
from engine.errors import RecordError
from engine.records import check_record
from messages.edifact import Segment
from messages.problems import Problems


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def put_section(record: dict[str, Any], name: str, values: dict[str, Any]) -> None:
    """Section ``name`` of the record: its values that are not None, and only if there is one."""
    present = {key: value for key, value in values.items() if value is not None}
    if present:
        record[name] = present


def checked(
    record: dict[str, Any], segment: Segment, problems: Problems[Any], *, who: str, rounds: int
) -> dict[str, Any] | None:
    """The record as ``check_record`` accepts it: fields it refuses are dropped and reported.

    ``who`` names the record in the error when it cannot be made valid (``passenger``);
    ``rounds`` is how many times fields are dropped before giving up.
    """
    for _ in range(rounds):
        try:
            check_record(record)
            return record
        except RecordError as exc:
            for problem in exc.problems:
                if not drop_field(record, problem.path):
                    problems.error("bad_record", segment, f"the {who} could not be made a valid record; left out")
                    return None
                problems.warn(
                    "bad_value", segment, f"{problem.path}: {safe_reason(problem.path, problem.message)}; left out"
                )
    problems.error("bad_record", segment, f"the {who} could not be made a valid record; left out")
    return None


def drop_field(record: dict[str, Any], path: str) -> bool:
    """Remove the field at a ``check_record`` problem path; False when there is none to remove.

    In the itinerary only the stop's field goes (``itinerary[2].arrival``), unless it is the
    stop's airport or the itinerary itself is wrong: then the whole itinerary.
    """
    found = re.fullmatch(r"itinerary\[([0-9]+)\]\.([a-z_]+)", path)
    stops = record.get("itinerary")
    if found and isinstance(stops, list) and int(found.group(1)) < len(stops):
        stop, name = stops[int(found.group(1))], found.group(2)
        if isinstance(stop, dict) and name != "airport" and name in stop:
            del stop[name]
            return True
    if path.startswith("itinerary"):
        return record.pop("itinerary", None) is not None
    section, _, name = path.partition(".")
    values = record.get(section)
    if not name or not isinstance(values, dict) or name not in values:
        return False
    del values[name]
    if not values:
        del record[section]
    return True


def safe_reason(path: str, message: str) -> str:
    """A ``check_record`` message, unless it may quote a personal value."""
    field_ = CATALOGUE.get(path.split("[")[0])
    if (field_ is not None and field_.personal) or "'" in message:
        return "does not fit the field catalogue"
    return message
