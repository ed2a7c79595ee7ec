"""Journey profiles: each agency's contribution to one traveller's journey, kept until it expires."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol


def journey_key(flight: str, day: str, issuing_country: str, document_number: str) -> str:
    """``j-`` and 32 hex digits of SHA-256 over ``FLIGHT|YYYY-MM-DD|COUNTRY|NUMBER`` (upper case).

    Every agency computes it from its own copy of the passenger's flight (carrier and
    number, e.g. ``NZ5``), the UTC date of scheduled departure and the travel document, so
    no agency needs another's identifiers, and no document number appears in a URL.
    """
    text = "|".join(part.strip().upper() for part in (flight, day, issuing_country, document_number))
    return "j-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class JourneyStore(Protocol):
    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        """Store ``agency``'s contribution under ``key`` for ``ttl_seconds``; every part now held."""
        ...

    def get(self, key: str) -> dict[str, Any]:
        """Every part held under ``key`` by agency (empty when none)."""
        ...
