"""``/v1/flights/<flight>/<date>/priority``: the list an officer works through before arrival."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest import Blueprint

from api.auth import current_actor, requires
from api.schemas import FlightListQuerySchema, FlightListSchema, PrioritySchema
from api.services.container import services
from api.services.interfaces import NotFound, Unprocessable
from engine.risk import relative_risk

blp = Blueprint("flights", __name__, url_prefix="/v1", description="Flights ranked by relative risk")

TOP_REASONS = 3


@blp.route("/flights", methods=["GET"])
@requires("officer", "approver", "auditor")
@blp.arguments(FlightListQuerySchema, location="query")
@blp.response(200, FlightListSchema)
def flights(query: dict[str, Any]) -> dict[str, Any]:
    """Flights departing on ``date`` (UTC) with evaluated passengers: the day's work list."""
    return {"flights": services().store.flights(query["date"])}


@blp.route("/flights/<flight>/<day>/priority", methods=["GET"])
@requires("officer", "approver", "auditor")
@blp.response(200, PrioritySchema)
def priority(flight: str, day: str) -> dict[str, Any]:
    """A flight's passengers by relative risk, each with its top reasons.

    ``flight`` is carrier and number (``NZ5``), ``day`` the UTC date of scheduled departure.
    The combined score and band are shared with every agency; the reasons shown are the
    matches the sharing policy lets the caller's agency see (by default its own; auditors
    see all), the others are only counted.
    """
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Unprocessable("the date must be YYYY-MM-DD", "invalid_date", {"day": ["not a date"]}) from None
    decisions = services().store.flight_decisions(flight.upper(), date)
    if not decisions:
        raise NotFound(f"no evaluated passengers on {flight} {day}", "flight_not_found")
    actor = current_actor()
    policy = services().sharing.policy()
    summaries = _summaries(decisions)  # (rule id, version) -> (agency, title)
    risks = relative_risk([d.score for d in decisions])
    ranked = sorted(zip(decisions, risks, strict=True), key=lambda pair: (-pair[0].score, pair[0].passenger_ref or ""))
    rows = []
    for rank, (decision, risk) in enumerate(ranked, start=1):
        summarised = [
            {**m, "agency": agency, "title": title}
            for m in decision.matches
            for agency, title in [summaries.get((m["rule_id"], m["version"]), ("", ""))]
        ]
        visible, hidden = policy.matches_for(actor, summarised)
        rows.append(
            {
                "rank": rank,
                "decision_id": decision.id,
                "passenger_ref": decision.passenger_ref,
                "score": decision.score,
                "percentile": risk.percentile,
                "band": risk.band,
                "top_reasons": sorted(visible, key=lambda m: -m["weight"])[:TOP_REASONS],
                "other_agency_matches": hidden,
            }
        )
    return {"flight": flight.upper(), "date": date.isoformat(), "passengers": len(rows), "ranked": rows}


def _summaries(decisions: list[Any]) -> dict[tuple[str, int], tuple[str, str]]:
    wanted = {(m["rule_id"], m["version"]) for d in decisions for m in d.matches}
    return services().store.rule_versions_summary(wanted)
