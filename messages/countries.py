"""Country codes as messages send them (ISO alpha-2 or alpha-3, ICAO 9303's D for Germany), read
as the catalogue's ISO 3166-1 alpha-3."""

from __future__ import annotations

from typing import Any

import pycountry

from messages.edifact import Segment
from messages.problems import Problems, show_code


def alpha3(code: str) -> str | None:
    """ISO 3166-1 alpha-3 for a 2-letter code, and ICAO 9303's D for Germany; other codes unchanged."""
    if code == "D":
        return "DEU"
    if len(code) == 2 and code.isalpha():
        try:
            country = pycountry.countries.get(alpha_2=code)
        except (KeyError, LookupError):
            country = None
        return country.alpha_3 if country is not None else None
    return code


def country_code(raw: str, segment: Segment, what: str, problems: Problems[Any], *, quiet: bool = False) -> str:
    """``raw`` as the code to check against the catalogue: a 2-letter code converted to alpha-3 (with
    a warning unless ``quiet``); "" when there is none."""
    code = raw.strip().upper()
    if not code:
        return ""
    converted = alpha3(code)
    if converted is not None and converted != code:
        if not quiet:
            problems.warn("country_converted", segment, f"{what} {show_code(code)} read as {converted}")
        code = converted
    return code
