"""``/v1/worklist``: the passengers arriving on a New Zealand day that the caller's agency has hits on;
``/v1/arrivals``: the flights arriving that day; ``/v1/passengers/<decision_id>``: one passenger.

Every answer that shows passengers' identities is audited (``identity.view``: who, which
decisions, which endpoint; never the identities) before it is sent: if it cannot be audited,
it is not sent.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask_smorest import Blueprint

from api.common import Unprocessable
from api.container import services
from api.contract import answers
from api.hits.views import as_seen
from api.http.auth import current_actor, requires
from api.http.paging import next_page
from api.worklist import paging
from api.worklist.arrivals import ROUTE_FIELDS, arrivals
from api.worklist.audited import record_identities_shown
from api.worklist.passenger import PassengerView, passenger_view
from api.worklist.rows import candidates, day_window, row_of, today, wanted_versions
from api.worklist.schemas import (
    ArrivalsQuerySchema,
    ArrivalsSchema,
    PassengerPageSchema,
    WorklistPageSchema,
    WorklistQuerySchema,
)

blp = Blueprint("worklist", __name__, url_prefix="/v1", description="The day's work of the caller's agency")
READERS = ("officer", "approver", "auditor")


@blp.route("/worklist", methods=["GET"])
@requires(*READERS)
@answers("invalid_cursor", "invalid_after", "invalid_input")
@blp.arguments(WorklistQuerySchema, location="query", unknown=None)  # the schema's RAISE: a typo is a 422
@blp.response(200, WorklistPageSchema)
def worklist(query: dict[str, Any]) -> dict[str, Any]:
    """Passengers arriving on ``date`` (New Zealand) with hits of the caller's agency (auditors: of every
    agency), filtered, sorted and paged with ``cursor`` (or started ``after`` a passenger).

    Each row shows the traveller's identity (unless the sharing policy withholds the record),
    the arrival and route, the combined score and its band among everyone arriving that day,
    the reasons the sharing policy shows the caller, how many matches each other agency has,
    and the caller's agency's hits to record dispositions on. Showing identities is audited.
    """
    actor = current_actor()
    query = {**query, "date": query.get("date") or today()}
    policy = services().sharing.policy()
    fields = paging.needed_fields(query)
    passengers = services().decision_store.arrivals(*day_window(query["date"]), fields)
    # Only the hits of agencies whose matches the caller sees are read at all.
    agencies = policy.visible_agencies(actor, "matches")
    states = services().hits.hit_states({(p.flight, p.flight_date) for p in passengers}, agencies)
    found, arriving = candidates(actor, policy, passengers, states, fields)
    selected = [candidate for candidate in found if paging.selected(candidate, query)]
    anchor = None
    if "after" in query:
        anchor = next((c for c in found if c.arrival.decision_id == query["after"]), None)
        if anchor is None:
            raise Unprocessable(
                "after names no passenger on this worklist", "invalid_after", {"after": ["not on this worklist"]}
            )
    page = paging.page(selected, query, anchor)
    # The whole decisions and hits of the page's rows only.
    store = services().decision_store
    decisions = {d.id: d for d in store.decisions([c.arrival.decision_id for c in page.rows])}
    hits = services().hits.journey_hits([c.arrival.journey for c in page.rows], agencies)
    summaries = services().rule_store.rule_versions_summary(wanted_versions(decisions.values()))
    titles = {version: title for version, (_, title) in summaries.items()}
    rows = [
        row_of(actor, policy, c, decisions[c.arrival.decision_id], hits.get(c.arrival.journey, ()), titles)
        for c in page.rows
        if c.arrival.decision_id in decisions  # always, as none is ever deleted: a row left out, not a 500
    ]
    record_identities_shown([row.decision_id for row in rows if row.identity is not None])
    if page.next_cursor:
        next_page(cursor=page.next_cursor)
    return {
        "date": query["date"],
        "sort": query["sort"],
        "arriving": arriving,
        "total": page.total,
        "rows": rows,
        "next_cursor": page.next_cursor,
    }


@blp.route("/arrivals", methods=["GET"])
@requires(*READERS)
@blp.arguments(ArrivalsQuerySchema, location="query", unknown=None)
@blp.response(200, ArrivalsSchema)
def flights_arriving(query: dict[str, Any]) -> dict[str, Any]:
    """Flights arriving in New Zealand on ``date`` (local), earliest first: route, scheduled arrival,
    passengers, how many are in each band of the flight's priority list, and open hits per agency
    (of the agencies whose matches the caller sees). No passenger is named."""
    actor = current_actor()
    day = query.get("date") or today()
    policy = services().sharing.policy()
    passengers = services().decision_store.arrivals(*day_window(day), ROUTE_FIELDS)
    flights = {(p.flight, p.flight_date) for p in passengers}
    states = services().hits.hit_states(flights, policy.visible_agencies(actor, "matches"))
    return {"date": day, "flights": arrivals(actor, passengers, states)}


@blp.route("/passengers/<decision_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, PassengerPageSchema)
def passenger(decision_id: str) -> PassengerView:
    """The passenger of a decision: identity (unless the sharing policy withholds the record), flight,
    arrival and route, rank and band on the flight's priority list, the reasons the sharing policy
    shows, other agencies' match counts, and the journey's hits the caller may see, with why.
    Showing the identity is audited. ``superseded_by`` names the passenger's newer decision, if any."""
    policy = services().sharing.policy()
    view = passenger_view(services(), current_actor(), policy, decision_id)
    if view.identity is not None:
        record_identities_shown([view.decision_id])
    return dataclasses.replace(view, hits=as_seen(policy, view.hits))
