"""What a decision shows of a journey joined from a flight's API and PNR: which message gave each field
(and each section), the ``journey.*`` fields, and the disagreements among them an officer should see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The ``journey.*`` fields that say the two messages disagree, in the order an officer reads them.
DISAGREEMENTS = ("name_differs", "document_differs", "booked_not_boarded", "boarded_not_booked")


def journey_view(
    record: Mapping[str, Any] | None, sources: Mapping[str, str] | None, *, by_field: bool = True
) -> dict[str, Any] | None:
    """The journey of a decision's passenger, from its record (while retained) and sources; None for a
    passenger submitted whole. ``by_field``: with the message of each field, not only of each section."""
    found = record.get("journey") if isinstance(record, Mapping) else None
    journey = dict(found) if isinstance(found, Mapping) else {}
    if not sources and not journey:
        return None
    sections: dict[str, set[str]] = {}
    for name, source in (sources or {}).items():
        sections.setdefault(name.split(".", 1)[0], set()).add(source)
    view: dict[str, Any] = {
        "sections": {section: sorted(given) for section, given in sorted(sections.items())},
        "fields": journey,
        "disagreements": [name for name in DISAGREEMENTS if journey.get(name) is True],
    }
    if by_field:
        view["sources"] = dict(sorted((sources or {}).items()))
    return view
