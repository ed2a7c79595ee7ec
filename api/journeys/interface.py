"""Journey profiles: each agency's contribution to one traveller's journey, kept until it expires."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class JourneyStore(Protocol):
    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        """Store ``agency``'s contribution under ``key`` for ``ttl_seconds``; every part now held."""
        ...

    def get(self, key: str) -> dict[str, Any]:
        """Every part held under ``key`` by agency (empty when none)."""
        ...
