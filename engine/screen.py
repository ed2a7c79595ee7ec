"""What the engine needs of a watchlist: a screen that scores a record against it.

Rules test the joint watchlist through ``watchlist.*`` score fields. The engine fills them
from whatever screen it is given; the joint watchlist itself (entries, names, scoring and its
index) lives in the ``screening`` package, which depends on the engine and not the reverse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from engine.records import PassengerRecord


class ScreenMatch(Protocol):
    """One entry a record matched."""

    @property
    def category(self) -> str:
        """The entry's category: which ``watchlist.<category>_score`` the match counts for."""
        ...

    @property
    def score(self) -> float: ...

    def as_dict(self) -> dict[str, Any]:
        """The match as shown in a hit, without the entry's personal data."""
        ...


class Screen(Protocol):
    """A snapshot of a watchlist that records are screened against."""

    @property
    def version(self) -> str:
        """Names the snapshot in every evaluation it produced."""
        ...

    @property
    def min_score(self) -> float:
        """The threshold down to which screening is guaranteed to find every match."""
        ...

    def screen(self, person: PassengerRecord, *, at: dt.date, min_score: float) -> Sequence[ScreenMatch]:
        """The entries ``person`` matches on day ``at`` with at least ``min_score``, best first."""
        ...
