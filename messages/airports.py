"""Airports as the maintained IATA table of ``airportsdata`` knows them: the time zone a leg's
times are written in, and the country an itinerary stop is in. The table is loaded once, on
first use, so a process that reads no message never pays for it."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

import airportsdata

from messages.countries import alpha3


@functools.cache
def _table() -> dict[str, Any]:
    return airportsdata.load("IATA")


@functools.cache
def zone(code: str) -> zoneinfo.ZoneInfo | None:
    """The time zone of airport ``code`` (IATA), or None when the table does not have it."""
    airport = _table().get(code)
    if airport is None or not airport.get("tz"):
        return None
    try:
        return zoneinfo.ZoneInfo(airport["tz"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@functools.cache
def country(code: str) -> str | None:
    """The country of airport ``code`` (IATA) as ISO 3166-1 alpha-3 (Kosovo as RKS), or None when unknown."""
    airport = _table().get(code)
    if airport is None or not airport.get("country"):
        return None
    return alpha3(airport["country"])
