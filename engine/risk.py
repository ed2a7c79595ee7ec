"""Relative risk within a flight: where each passenger's combined score stands among the others.

``percentile`` is the mid-rank percentile of the score in the flight: the share of
passengers scoring lower, plus half the share scoring the same, times 100. So on a flight
where nobody hits anything everyone is at 50, and the single highest scorer of 300 is near
99.8. ``band`` combines the absolute score with that position:

* ``high``: score ≥ 60, or score > 0 in the top 5 % of the flight;
* ``elevated``: score ≥ 25, or score > 0 in the top 20 %;
* ``routine``: everything else (a passenger with no match is always routine).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

HIGH_SCORE, ELEVATED_SCORE = 60.0, 25.0
HIGH_PERCENTILE, ELEVATED_PERCENTILE = 95.0, 80.0


@dataclass(frozen=True)
class RelativeRisk:
    percentile: float
    band: str


def relative_risk(scores: Sequence[float]) -> list[RelativeRisk]:
    """The relative position of each score among ``scores``, in the same order."""
    ordered = sorted(scores)
    count = len(ordered)
    # Once per distinct score: a day's thousands of passengers share a few dozen scores.
    found: dict[float, RelativeRisk] = {}
    for score in ordered:
        if score not in found:
            below = bisect_left(ordered, score)
            equal = bisect_right(ordered, score) - below
            percentile = round(100 * (below + equal / 2) / count, 1)
            found[score] = RelativeRisk(percentile, band(score, percentile))
    return [found[score] for score in scores]


def band(score: float, percentile: float) -> str:
    if score <= 0:
        return "routine"
    if score >= HIGH_SCORE or percentile >= HIGH_PERCENTILE:
        return "high"
    if score >= ELEVATED_SCORE or percentile >= ELEVATED_PERCENTILE:
        return "elevated"
    return "routine"
