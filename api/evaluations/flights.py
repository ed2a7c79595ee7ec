"""``/v1/flights/<flight>/<date>/priority``: the list an officer works through before arrival.

``/v1/flights/unplaced`` lists the passengers whose record names no flight, who are on no such list.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint

from api.common import NotFound, Unprocessable
from api.container import services
from api.contract import answers
from api.evaluations.schemas import FlightListQuerySchema, FlightListSchema, UnplacedSchema
from api.http.auth import current_actor, requires
from api.sources.summary import journey_view
from api.worklist import paging
from api.worklist.audited import record_identities_shown
from api.worklist.rows import Candidate, flight_candidates, identity_shown, works
from api.worklist.schemas import FlightPrioritySchema, PriorityQuerySchema
from engine.risk import RelativeRisk, relative_risk

blp = Blueprint("flights", __name__, url_prefix="/v1", description="Flights ranked by relative risk")

TOP_REASONS = 3


@blp.route("/flights", methods=["GET"])
@requires("officer", "approver", "auditor")
@blp.arguments(FlightListQuerySchema, location="query")
@blp.response(200, FlightListSchema)
def flights(query: dict[str, Any]) -> dict[str, Any]:
    """Flights departing on ``date`` (UTC) with evaluated passengers: the day's work list.

    ``unplaced`` counts the passengers evaluated that day whose record names no flight
    (``GET /v1/flights/unplaced``): they are on none of these lists.
    """
    store = services().decision_store
    return {"flights": store.flights(query["date"]), "unplaced": len(store.unplaced_decisions(query["date"]))}


@blp.route("/flights/unplaced", methods=["GET"])
@requires("officer", "approver", "auditor")
@blp.arguments(FlightListQuerySchema, location="query")
@blp.response(200, UnplacedSchema)
def unplaced(query: dict[str, Any]) -> dict[str, Any]:
    """Passengers evaluated on ``date`` (UTC) that cannot be placed on a flight, by relative risk.

    A record is placed on a flight's priority list by its ``flight.carrier``, ``flight.number``
    and ``flight.scheduled_departure``; one without them is evaluated like any other but is on
    no priority list, so it is listed here, ranked and explained the same way, with what it lacks.
    """
    decisions = services().decision_store.unplaced_decisions(query["date"])
    rows = _ranked(decisions)
    for row in rows:
        row["missing"] = _missing(row.pop("decision"))
    return {"date": query["date"].isoformat(), "passengers": len(rows), "ranked": rows}


@blp.route("/flights/<flight>/<day>/priority", methods=["GET"])
@requires("officer", "approver", "auditor")
@answers("invalid_date", "flight_not_found", "invalid_cursor", "invalid_input")
@blp.arguments(PriorityQuerySchema, location="query", unknown=None)  # the schema's RAISE: a typo is a 422
@blp.response(200, FlightPrioritySchema)
def priority(query: dict[str, Any], flight: str, day: str) -> dict[str, Any]:
    """A flight's passengers by relative risk, each with its top reasons, filtered, sorted and paged
    as the worklist is (``status`` defaults to ``all``: every passenger, with a hit of the caller's
    agency or not; without ``limit``, every row).

    ``flight`` is carrier and number (``NZ5``), ``day`` the UTC date of scheduled departure.
    The combined score and band are shared with every agency; the reasons shown are the
    matches the sharing policy lets the caller's agency see (by default its own; auditors
    see all), the others are only counted. Each row names the traveller unless the sharing
    policy withholds the record; showing identities is audited.
    """
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Unprocessable("the date must be YYYY-MM-DD", "invalid_date", {"day": ["not a date"]}) from None
    flight = flight.upper()
    decisions = services().decision_store.flight_decisions(flight, date)
    if not decisions:
        raise NotFound(f"no evaluated passengers on {flight} {day}", "flight_not_found")
    actor = current_actor()
    policy = services().sharing.policy()
    journeys = [(d.identity_hash, flight, date) for d in decisions]
    hits = services().hits.journey_hits(journeys, policy.visible_agencies(actor, "matches"))
    everyone = flight_candidates(actor, policy, decisions, hits)
    query = {**query, "flight": flight, "date": date}  # a cursor is good for this flight only
    page = paging.page([c for c in everyone if paging.selected(c, query)], query)
    ranks = {c.arrival.decision_id: rank for rank, c in enumerate(sorted(everyone, key=_by_risk), start=1)}
    whole = {d.id: d for d in decisions}
    candidates = {c.arrival.decision_id: c for c in page.rows}
    rows = _ranked(
        [whole[c.arrival.decision_id] for c in page.rows], {c.arrival.decision_id: c.risk for c in page.rows}
    )
    for row in rows:
        candidate = candidates[row["decision_id"]]
        decision = row.pop("decision")
        row["rank"] = ranks[row["decision_id"]]
        row["identity"] = identity_shown(actor, policy, decision, bool(candidate.work))
        row["identity_withheld"] = row["identity"] is None
        work = [hit for hit in hits.get(candidate.arrival.journey, ()) if works(actor, hit.agency)]
        row["hits"] = sorted(work, key=lambda hit: (hit.agency, hit.rule_id, hit.id))
    record_identities_shown([row["decision_id"] for row in rows if row["identity"] is not None])
    return {
        "flight": flight,
        "date": date.isoformat(),
        "passengers": len(everyone),
        "bands": dict(Counter(c.risk.band for c in everyone)),
        "total": page.total,
        "ranked": rows,
        "next_cursor": page.next_cursor,
    }


def _by_risk(candidate: Candidate) -> paging.Key:
    return paging.sort_key(candidate, "risk")


def _ranked(decisions: list[Any], risk_of: Mapping[str, RelativeRisk] | None = None) -> list[dict[str, Any]]:
    """Rows by relative risk, each with the top reasons the sharing policy shows (and its ``decision``).

    The risk is relative to ``decisions`` unless ``risk_of`` gives each decision's (a page of a longer list).
    """
    actor = current_actor()
    policy = services().sharing.policy()
    summaries = _summaries(decisions)  # (rule id, version) -> (agency, title)
    if risk_of is None:
        risks = relative_risk([d.score for d in decisions])
        pairs = zip(decisions, risks, strict=True)
        ranked = sorted(pairs, key=lambda pair: (-pair[0].score, pair[0].passenger_ref or ""))
    else:
        ranked = [(d, risk_of[d.id]) for d in decisions]  # in the page's order
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
                # The journey's fields are the submitting agency's contribution, shown as the policy shows it.
                "journey": journey_view(decision.record, decision.sources, by_field=False)
                if policy.sees(actor, decision.agency, "contributions")
                else None,
                "decision": decision,
            }
        )
    return rows


#: What places a record on a flight's priority list.
PLACING_FIELDS = ("flight.carrier", "flight.number", "flight.scheduled_departure")


def _missing(decision: Any) -> list[str]:
    """The placing fields an unplaced decision's record lacks (from the decision itself once the record is purged)."""
    if decision.record is not None:
        flight = decision.record.get("flight") or {}
        return [name for name in PLACING_FIELDS if flight.get(name.split(".", 1)[1]) is None]
    missing = [] if decision.flight else ["flight.carrier", "flight.number"]
    return missing + ([] if decision.flight_date else ["flight.scheduled_departure"])


def _summaries(decisions: list[Any]) -> dict[tuple[str, int], tuple[str, str]]:
    wanted = {(m["rule_id"], m["version"]) for d in decisions for m in d.matches}
    return services().rule_store.rule_versions_summary(wanted)
