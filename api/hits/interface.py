"""Hits: the matches officers work, with their status history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from api.common import Actor


class HitStore(Protocol):
    """Hits worked to dispositions, and per-rule statistics."""

    def hits(
        self,
        agencies: Iterable[str] | None,
        *,
        flight: str | None = None,
        day: dt.date | None = None,
        status: str | None = None,
        rule_id: str | None = None,
        passenger_ref: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...

    def hit(self, hit_id: str) -> dict[str, Any]: ...

    def set_status(self, hit_id: str, status: str, note: str, actor: Actor) -> dict[str, Any]: ...

    def rule_stats(
        self, rule_id: str, since: dt.datetime | None, until: dt.datetime | None, runaway_share: float, runaway_min: int
    ) -> dict[str, Any]: ...
