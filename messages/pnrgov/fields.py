"""Values read from a segment, checked against the field catalogue before they are kept: a value that
does not fit is left out with a warning naming what it was, never kept wrong."""

from __future__ import annotations

import re

from engine.catalogue import CATALOGUE, FieldType
from engine.values import ValueProblem, parse_value
from messages.countries import NOT_A_COUNTRY, country_code, known
from messages.edifact import Segment
from messages.legs import LocalTimes
from messages.pnrgov.problems import Problems
from messages.problems import show_code

# Fields the catalogue keeps as free text whose values this reader still holds to a format.
FORMATS = {
    "flight.marketing_flight": r"[A-Z0-9]{2,3}[0-9]{1,4}[A-Z]?",
    "flight.seat": r"[0-9]{1,3}[A-Z]",
    "traveller.frequent_flyer": r"[A-Z0-9]{3,27}",
    "visa.number": r"[A-Z0-9]{1,35}",
    "booking.ticket_number": r"[0-9]{8,16}",
    "booking.fare_currency": r"[A-Z]{3}",
}


class Checks:
    """Catalogue checks of values as they are read, each failure a warning tied to its segment."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.times = LocalTimes(problems)  # flight times, local to their airports

    def fit(self, name: str, value: str | None, segment: Segment, what: str) -> str | None:
        """``value`` if it fits catalogue field ``name``; otherwise None and a warning (never quoting it)."""
        if value is None or value == "":
            return None
        field_ = CATALOGUE[name]
        try:
            parse_value(field_, value)
            if name in FORMATS and not re.fullmatch(FORMATS[name], value):
                raise ValueProblem(f"must match {FORMATS[name]}")
        except ValueProblem as exc:
            reason = str(exc)
            if field_.personal or "'" in reason:
                # The reason may quote the value, and the value may be personal.
                plain = field_.code_problem(value) if field_.type is FieldType.CODE and not field_.personal else None
                reason = plain or "does not fit the field catalogue"
            elif name in FORMATS and reason.startswith("must match"):
                reason = f"must match {FORMATS[name]}"
            self.problems.warn("bad_value", segment, f"{what} left out ({name}): {reason}")
            return None
        return value

    def country(self, raw: str | None, segment: Segment, what: str, name: str, *, quiet: bool = False) -> str | None:
        """A country code as alpha-3 (a 2-letter code converted, with a warning unless ``quiet``)."""
        code = country_code(raw or "", segment, what, self.problems, quiet=quiet)
        value = self.fit(name, code, segment, what)
        if value is not None and not known(value):
            self.problems.warn("bad_value", segment, f"{what} left out ({name}): {show_code(value)} is {NOT_A_COUNTRY}")
            return None
        return value
